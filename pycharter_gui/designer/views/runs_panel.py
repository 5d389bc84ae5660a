"""Runs panel: the workspace's run history as a chart and a list; selecting a run (in either)
shows its summary and log."""

from __future__ import annotations

import functools
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from ..run_history import RunEntry, RunHistory, status_words
from ..workers.blocking import BlockingJob
from .charts import RunPoint, RunsChart
from .layout import headed_box

EntryRole = Qt.ItemDataRole.UserRole
_HEADERS = ["When", "Pipeline", "Kind", "Outcome", "Extracted", "Loaded", "Dead letters", "Duration"]
CHART_RUNS = 200  # the newest runs drawn on the chart (the list has them all)


def _status(entry: RunEntry) -> str:
    """The run's status in words; entries from before ``status`` was recorded are derived
    from their outcome and dead-letter count, so a run with dead letters never reads "success"."""
    dead = int((entry.counts or {}).get("dead_lettered") or 0)
    status = entry.status or ({"success": "completed_with_dead_letters" if dead else "completed"}
                              .get(entry.outcome, entry.outcome))
    return status_words(status, dead)


def _when(iso: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    try:
        return datetime.fromisoformat(iso).astimezone().strftime(fmt)
    except ValueError:
        return iso


def _point(entry: RunEntry) -> RunPoint:
    counts = entry.counts or {}
    return RunPoint(_when(entry.started_at, "%m-%d %H:%M"), int(counts.get("loaded") or 0),
                    int(counts.get("dead_lettered") or 0), float(entry.duration_seconds))


class RunsPanel(QWidget):
    """Lists ``<workspace>/.pycharter/runs.jsonl``, newest first.

    Signals: ``run_selected(RunEntry)``, ``dead_letters_requested(run_id)``, ``refreshed(count)``
    once the history (read on a worker thread) is shown.
    """

    run_selected = Signal(object)
    dead_letters_requested = Signal(str)
    refreshed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.history: RunHistory | None = None
        self.folder: Path | None = None  # show only the runs of this pipeline folder (None: all)
        self._read_job: BlockingJob | None = None
        self._wanted: RunEntry | None = None  # the run ``show_entry`` selects once it is listed
        self.tree = QTreeWidget(rootIsDecorated=False, alternatingRowColors=True)
        self.tree.setHeaderLabels(_HEADERS)
        self.tree.currentItemChanged.connect(self._on_tree_current_changed)
        self.chart = RunsChart()
        self.chart.setMinimumHeight(150)
        self.chart.run_clicked.connect(self._on_chart_run_clicked)
        self.summary_label = QLabel("Select a run to see its summary and log.", wordWrap=True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dead_letters_button = QPushButton("Show dead letters", visible=False)
        self.dead_letters_button.clicked.connect(self._on_dead_letters_button_clicked)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.log_view = QPlainTextEdit(readOnly=True)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.chart)
        splitter.addWidget(self.tree)
        splitter.addWidget(headed_box(self.summary_label, self.dead_letters_button, self.log_view,
                                      body_stretch=1))
        bar = QHBoxLayout()
        bar.addWidget(QLabel("<b>Runs</b>"), 1)
        bar.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)

    def set_workspace(self, workspace: Path) -> None:
        """Show the runs of ``workspace`` (read again only when the workspace changes)."""
        if self.history is not None and self.history.workspace == Path(workspace):
            return
        self.history = RunHistory(workspace)
        self.refresh()

    def set_pipeline(self, folder: Path | None) -> None:
        """Show only the runs of the pipeline in ``folder`` (None: every run of the workspace)."""
        if folder != self.folder:
            self.folder = folder
            self.refresh()

    @Slot()
    def refresh(self) -> None:
        """Re-read the history file on a worker (connect ``RunPanel.history_changed`` here)."""
        if self.history is None:
            self.tree.clear()
            return
        job = BlockingJob(functools.partial(self.history.entries, folder=self.folder))
        job.signals.succeeded.connect(self._on_read_job_succeeded)
        self._read_job = job.start()

    @Slot(object)
    def _on_read_job_succeeded(self, entries: object) -> None:
        if self.sender() is not self._read_job.signals:  # a newer read is on its way
            return
        self._show(list(entries))  # type: ignore[call-overload]

    def _show(self, entries: list[RunEntry]) -> None:
        self.tree.clear()
        self.log_view.clear()
        self.dead_letters_button.hide()
        self.summary_label.setText("Select a run to see its summary and log." if entries else
                                   f"No runs{f' of {self.folder.name}' if self.folder else ''} yet.")
        for entry in entries:
            counts = entry.counts or {}
            item = QTreeWidgetItem([
                _when(entry.started_at), entry.pipeline, "dry run" if entry.dry_run else "run", _status(entry),
                f"{counts.get('extracted', 0):,}", f"{counts.get('loaded', 0):,}",
                f"{counts.get('dead_lettered', 0):,}", f"{entry.duration_seconds:.1f} s"])
            item.setData(0, EntryRole, entry)
            if entry.outcome != "success":
                item.setForeground(3, theme.qcolor("error"))
            elif counts.get("dead_lettered"):
                item.setForeground(3, theme.qcolor("warning"))
            self.tree.addTopLevelItem(item)
        for col in range(len(_HEADERS)):
            self.tree.resizeColumnToContents(col)
        self.chart.set_runs([_point(e) for e in reversed(entries[:CHART_RUNS])])
        if self._wanted is not None:
            self._select_wanted()
        self.refreshed.emit(len(entries))

    def entries(self) -> list[RunEntry]:
        return [self.tree.topLevelItem(i).data(0, EntryRole) for i in range(self.tree.topLevelItemCount())]

    def select_run(self, row: int) -> None:
        self.tree.setCurrentItem(self.tree.topLevelItem(row))

    def show_entry(self, entry: RunEntry) -> None:
        """Select ``entry``'s run; when the list does not have it yet, once it is read again."""
        self._wanted = entry
        if not self._select_wanted():
            self.refresh()

    def _select_wanted(self) -> bool:
        rows = [i for i, e in enumerate(self.entries()) if e == self._wanted]
        if rows:
            self._wanted = None
            self.select_run(rows[0])
        return bool(rows)

    def _chart_index(self, row: int) -> int:
        """The chart's index of the run in list row ``row`` (and back: the map is its own inverse)."""
        return min(self.tree.topLevelItemCount(), CHART_RUNS) - 1 - row

    @Slot(int)
    def _on_chart_run_clicked(self, index: int) -> None:
        self.select_run(self._chart_index(index))

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_tree_current_changed(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is None:
            return
        row = self.tree.indexOfTopLevelItem(current)
        self.chart.set_current(self._chart_index(row) if row < CHART_RUNS else None)
        entry: RunEntry = current.data(0, EntryRole)
        c = entry.counts or {}
        reasons = ", ".join(f"{k}: {v:,}" for k, v in sorted((c.get("dlq_by_reason") or {}).items()))
        lines = [f"<b>{entry.pipeline}</b> · {'dry run' if entry.dry_run else 'run'} · {_status(entry)} · "
                 f"{_when(entry.started_at)} · {entry.duration_seconds:.1f} s",
                 f"extracted {c.get('extracted', 0):,} · transformed {c.get('transformed', 0):,} · "
                 f"filtered {c.get('filtered', 0):,} · {'would load' if entry.dry_run else 'loaded'} "
                 f"{c.get('loaded', 0):,} · dead-lettered {c.get('dead_lettered', 0):,}"
                 + (f" ({reasons})" if reasons else "")]
        if entry.params:
            lines.append("params: " + ", ".join(f"{k}={v}" for k, v in entry.params.items()))
        if entry.error:
            lines.append(f"<span style='color:{theme.color('error')}'>{entry.error}</span>")
        self.summary_label.setText("<br>".join(lines))
        self.log_view.setPlainText("\n".join(entry.log))
        self.dead_letters_button.setVisible(bool(entry.run_id) and bool(c.get("dead_lettered")))
        self.run_selected.emit(entry)

    @Slot()
    def _on_dead_letters_button_clicked(self) -> None:
        item = self.tree.currentItem()
        if item is not None:
            self.dead_letters_requested.emit(item.data(0, EntryRole).run_id)
