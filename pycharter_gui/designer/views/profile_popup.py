"""The Preview's column profile popup: counts in words and the column drawn."""

from __future__ import annotations

import html

from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from .. import theme
from ..column_profile import ColumnSummary
from .charts import BarChart, Histogram

CHART_SIZE = (380, 190)


def chart_summary(s: ColumnSummary) -> str:
    """One line saying what the chart of ``s`` shows."""
    if not s.histogram:
        return "No values to draw: every row is null."
    label, most = max(s.histogram, key=lambda bin_: bin_[1])
    if s.kind in ("number", "date"):
        return (f"{s.count - s.nulls:,} values in {len(s.histogram)} bins from {s.minimum} to {s.maximum}; "
                f"most in {label} ({most:,}).")
    others = f"; {s.others:,} other values" if s.others else ""
    return f"Top {len(s.histogram)} of {s.distinct:,} distinct values; most often {label} ({most:,}){others}."


class ColumnSummaryPopup(QFrame):
    """A small popup: type, values, nulls, distinct and min/max of one column, and a histogram
    of its numbers or dates or a bar chart of its most frequent values."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(textFormat=Qt.TextFormat.RichText)
        self.histogram = Histogram("Column histogram", self)
        self.top_values = BarChart("Column top values", self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        for chart in (self.histogram, self.top_values):
            chart.setFixedSize(*CHART_SIZE)
            layout.addWidget(chart)

    def chart(self) -> Histogram | BarChart:
        """The chart drawn for the column shown."""
        return self.top_values if self.top_values.isVisibleTo(self) else self.histogram

    def show_summary(self, s: ColumnSummary, at: QPoint) -> None:
        """Show ``s`` (made by ``summarize_column`` off the GUI thread) below ``at``."""
        esc = html.escape
        rows = [("Type", s.type), ("Values", f"{s.count:,}"), ("Nulls", f"{s.nulls:,}"),
                ("Distinct", f"{s.distinct:,}")]
        if s.minimum is not None:
            rows += [("Min", str(s.minimum)), ("Max", str(s.maximum))]
        table = "".join("<tr>" + "".join(
            f"<td style='padding-right:4px'>{k}</td><td style='padding-right:12px'><b>{esc(v)}</b></td>"
            for k, v in rows[i:i + 2]) + "</tr>" for i in range(0, len(rows), 2))
        self.label.setText(
            f"<b>{esc(s.name)}</b> <span style='color:{theme.color('muted')}'>(on the {s.count:,}-row sample)</span>"
            f"<table>{table}</table>")
        binned = s.kind in ("number", "date")
        if binned:
            self.histogram.setAccessibleName(f"Histogram of {s.name}")
            self.histogram.set_bins(s.edges, s.histogram, chart_summary(s), dates=s.kind == "date")
        else:
            self.top_values.setAccessibleName(f"Most frequent values of {s.name}")
            self.top_values.set_bars(s.histogram, chart_summary(s))
        self.histogram.setVisible(binned)
        self.top_values.setVisible(not binned and bool(s.histogram))
        self.adjustSize()
        self.move(at)
        self.show()
