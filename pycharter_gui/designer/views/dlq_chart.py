"""Dead letters by reason and by stage as bar charts; clicking a bar filters the table to it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QWidget

from .charts import BarChart

CHART_HEIGHT = 130


def _bars(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Groups by count, largest first (then by name)."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


class DeadLetterChart(QWidget):
    """``statistics()``'s counts by reason and by stage, side by side.

    Signals: ``reason_clicked(reason)``, ``stage_clicked(stage)``.
    """

    reason_clicked = Signal(str)
    stage_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.by_reason = BarChart("Dead letters by reason", self, clickable=True)
        self.by_stage = BarChart("Dead letters by stage", self, clickable=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for chart, stretch in ((self.by_reason, 3), (self.by_stage, 2)):
            chart.setToolTip("Click a bar to show only its dead letters")
            layout.addWidget(chart, stretch)
        self.setFixedHeight(CHART_HEIGHT)
        self.by_reason.bar_clicked.connect(self.reason_clicked)
        self.by_stage.bar_clicked.connect(self.stage_clicked)
        self.set_statistics(None)

    def set_statistics(self, stats: dict[str, Any] | None) -> None:
        """Draw ``{by_reason, by_stage, ...}`` (None: still counting)."""
        for chart, key, kind in ((self.by_reason, "by_reason", "reason"), (self.by_stage, "by_stage", "stage")):
            bars = _bars((stats or {}).get(key) or {})
            summary = ("Counting…" if stats is None else
                       f"By {kind}: " + (" · ".join(f"{name} {n:,}" for name, n in bars) or "none"))
            chart.set_bars(bars, summary)
