"""The Dead letters panel: find out why records failed, fix them and load them again.

API for the window: ``DeadLetterPanel(parent=None)``, ``open_pipeline(folder)``,
``open_file(path)``, ``open_queue(queue, pipeline_dir=None)``, ``show_run(run_id)``,
``refresh()``. Every query, export, replay and bulk change runs in a worker; errors go to the
panel's message bar, never to a crash or a modal traceback.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.etl_generator import (
    DeadLetterQueue,
    DLQStatus,
    PycharterError,
    open_dead_letter_file,
)

from ..models.dead_letter_table_model import DeadLetterTableModel, RecordRole
from ..workers.dlq_jobs import records_for_rows
from ..workers.task import TaskHandle
from .dlq_bars import ExportProgress, ReplayBar, start_task
from .dlq_chart import DeadLetterChart
from .dlq_detail import DeadLetterDetailView
from .dlq_edits import RecordEdits
from .dlq_filters import DeadLetterFilterBar, DeadLetterSummaryBar
from .dlq_sources import queue_for_pipeline
from .message_bar import MessageBar


def _error_text(exc: object) -> str:
    if isinstance(exc, PycharterError):
        return exc.user_message
    if isinstance(exc, OSError | ValueError):
        return str(exc)
    return f"Unexpected error ({type(exc).__name__}: {exc}); please report it."


STATS_DELAY_MS = 150  # after the first page's paint
EXPORT_FILTER = "CSV (*.csv);;JSON Lines (*.jsonl);;Parquet (*.parquet)"


class DeadLetterPanel(QWidget):
    """Table of dead letters with summary, filters, detail, export, edit, replay and bulk actions.

    Signals: ``opened(location)``, ``statistics_loaded(dict)``, ``export_finished(path, count)``,
    ``replay_finished(result)`` (dry and real), ``records_changed()`` after a bulk change or a
    real replay, ``records_copied(count)``, ``error_shown(text)``.
    """

    opened = Signal(str)
    statistics_loaded = Signal(object)
    records_copied = Signal(int)
    export_finished = Signal(str, int)
    replay_finished = Signal(object)
    records_changed = Signal()
    error_shown = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue: DeadLetterQueue | None = None
        self.pipeline_dir: Path | None = None
        self._fit_columns = True
        self._stats_task: TaskHandle | None = None
        self._resolving: TaskHandle | None = None  # reading a pipeline's DLQ config
        self._resolving_folder: Path | None = None
        # The summary's counts scan the whole queue (seconds on a big JSON Lines file, holding
        # the GIL); they start once the first page has painted, so the table shows at once.
        self._stats_timer = QTimer(self, singleShot=True, interval=STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self._on_stats_timer_timeout)
        self.model = DeadLetterTableModel(self)
        self._build()
        self._set_actions_enabled()

    # -- construction ------------------------------------------------------------------
    def _build(self) -> None:
        self.source_label = QLabel("No dead-letter queue open", self)
        self.open_button = QPushButton("Open file…", self)
        self.refresh_button = QPushButton("Refresh", self)
        self.edit_button = QPushButton("Edit…", self)
        self.replay_button = QPushButton("Replay…", self)
        self.replay_button.setToolTip("Dry replay of the selected records first; then for real")
        self.resolve_button = QPushButton("Mark resolved", self)
        self.delete_button = QPushButton("Delete", self)
        self.export_button = QToolButton(self)
        self.export_button.setText("Export")
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        self.export_selection_action = menu.addAction("Export selection…")
        self.export_filter_action = menu.addAction("Export all matching…")
        self.export_button.setMenu(menu)
        top = QHBoxLayout()
        top.addWidget(self.source_label, 1)
        for w in (self.open_button, self.refresh_button, self.edit_button, self.replay_button,
                  self.resolve_button, self.delete_button, self.export_button):
            top.addWidget(w)
        self.message_bar = MessageBar(self)
        self.filter_bar = DeadLetterFilterBar(self)
        self.summary_bar = DeadLetterSummaryBar(self)
        self.chart = DeadLetterChart(self)
        self.replay_bar = ReplayBar(self)
        self.export_progress = ExportProgress(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setWordWrap(False)
        self.view.verticalHeader().setDefaultSectionSize(22)
        self.view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.horizontalHeader().setResizeContentsPrecision(50)  # fit widths on 50 rows, not all
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.setSortingEnabled(True)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.copy_cells_action = QAction("Copy cells", self.view)
        self.copy_cells_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_records_action = QAction("Copy records as JSON", self.view)
        self.copy_records_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.end_action = QAction("Go to last row", self.view)
        self.end_action.setShortcut(QKeySequence("Ctrl+End"))
        for a in (self.copy_cells_action, self.copy_records_action, self.end_action):
            a.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.view.addAction(a)
        self.detail = DeadLetterDetailView(self)
        self.record_edits = RecordEdits(self, self.detail, self.message_bar)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        for w in (self.message_bar, self.filter_bar, self.summary_bar, self.chart, self.replay_bar,
                  self.export_progress):
            layout.addWidget(w)
        layout.addWidget(split, 1)
        # wiring
        self.open_button.clicked.connect(self._on_open_clicked)
        self.refresh_button.clicked.connect(self.refresh)
        self.edit_button.clicked.connect(self.record_edits.edit_current)
        self.record_edits.failed.connect(self._show_error)
        self.replay_button.clicked.connect(self._on_replay_clicked)
        self.replay_bar.replay_finished.connect(self._on_replay_finished)
        self.replay_bar.failed.connect(self._on_task_failed)
        self.export_progress.export_finished.connect(self._on_export_finished)
        self.export_progress.failed.connect(self._on_task_failed)
        self.resolve_button.clicked.connect(self._on_resolve_clicked)
        self.delete_button.clicked.connect(self._on_delete_clicked)
        self.export_selection_action.triggered.connect(self._on_export_selection)
        self.export_filter_action.triggered.connect(self._on_export_filter)
        self.copy_cells_action.triggered.connect(self.copy_cells)
        self.copy_records_action.triggered.connect(self.copy_records)
        self.end_action.triggered.connect(self._on_end_triggered)
        self.filter_bar.filters_changed.connect(self._on_filters_changed)
        self.summary_bar.reason_clicked.connect(self.filter_bar.set_reason)
        self.summary_bar.stage_clicked.connect(self.filter_bar.set_stage)
        self.chart.reason_clicked.connect(self.filter_bar.set_reason)
        self.chart.stage_clicked.connect(self.filter_bar.set_stage)
        self.statistics_loaded.connect(self.chart.set_statistics)
        self.model.reloaded.connect(self._on_model_reloaded)
        self.model.chunk_loaded.connect(self._on_model_chunk_loaded)
        self.model.load_failed.connect(self._on_task_failed)
        self.view.horizontalHeader().sortIndicatorChanged.connect(self._on_sort_indicator_changed)
        self.view.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.view.selectionModel().selectionChanged.connect(self._set_actions_enabled)

    # -- opening -----------------------------------------------------------------------
    def open_pipeline(self, folder: Path) -> None:
        """Open the DLQ named by ``folder``'s load config, read on a worker (``opened`` follows;
        an error goes to the message bar). Opening anything else meanwhile wins over it."""
        folder = Path(folder)
        self._cancel_resolving()
        self._resolving_folder = folder

        async def resolve(_reporter: Any) -> Any:
            return await asyncio.to_thread(queue_for_pipeline, folder)

        self._resolving = start_task(self, resolve, self._on_pipeline_resolved,
                                     self._on_pipeline_failed, "resolve")

    def _cancel_resolving(self) -> None:
        if self._resolving is not None:
            self._resolving.cancel()
            self._resolving = None

    @Slot(object)
    def _on_pipeline_resolved(self, result: object) -> None:
        if self.sender() is not self._resolving:
            return  # another pipeline or file was opened meanwhile
        queue, keys = result  # type: ignore[misc]
        self.open_queue(queue, pipeline_dir=self._resolving_folder, key_fields=keys)

    @Slot(object)
    def _on_pipeline_failed(self, exc: object) -> None:
        if self.sender() is not self._resolving:
            return
        self._resolving = None
        self._show_error(f"Cannot open the dead letters of {self._resolving_folder}: "
                         f"{_error_text(exc)}")

    def open_file(self, path: Path) -> bool:
        """Open a DLQ file (.jsonl or SQLite .db); replay works when it lies in a pipeline."""
        path = Path(path)
        try:
            queue = open_dead_letter_file(path)
        except (PycharterError, OSError, ValueError) as exc:
            self._show_error(f"Cannot open {path}: {_error_text(exc)}")
            return False
        folder = path.parent.parent if path.parent.name == ".pycharter" else path.parent
        has_pipeline = any((folder / f).exists() for f in ("load.yaml", "pipeline.yaml"))
        self.open_queue(queue, pipeline_dir=folder if has_pipeline else None)
        return True

    def open_queue(self, queue: DeadLetterQueue, pipeline_dir: Path | None = None,
                   key_fields: list[str] | None = None) -> bool:
        """Show ``queue`` (any backend, e.g. a dry run's memory queue); returns True."""
        self._cancel_resolving()
        self.queue, self.pipeline_dir = queue, pipeline_dir
        self.replay_bar.dismiss()
        self.message_bar.hide()
        self.record_edits.open_for(queue, pipeline_dir)
        where = queue.location
        self.source_label.setText(f"<b>Dead letters</b> · {where}"
                                  + ("" if pipeline_dir else " · replay needs the pipeline folder"))
        self.source_label.setToolTip(where)
        self._fit_columns = True
        self.model.set_queue(queue, key_fields, self.filter_bar.filters())
        self.opened.emit(where)
        return True

    def show_run(self, run_id: str) -> None:
        """Show only the dead letters of one run (the run summary links here)."""
        self.filter_bar.set_run_id(run_id)

    @Slot()
    def refresh(self) -> None:
        """Query the backend again (the table, then the summary)."""
        if self.queue is not None:
            self.summary_bar.set_statistics(None)  # "Counting…" until the backend answers
            self.chart.set_statistics(None)
            self.model.set_filters(self.filter_bar.filters())

    @Slot()
    def _on_open_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Open dead-letter file", "",
                                              "Dead letters (*.jsonl *.ndjson *.db *.sqlite *.sqlite3)")
        if name:
            self.open_file(Path(name))

    # -- model and filter events -------------------------------------------------------
    @Slot()
    def _on_filters_changed(self) -> None:
        self.refresh()

    @Slot(int)
    def _on_model_reloaded(self, total: int) -> None:
        if self._fit_columns and total:
            self._fit_columns = False  # once per queue: later filters keep the user's widths
            header = self.view.horizontalHeader()
            for col in range(self.model.columnCount() - 1):
                self.view.resizeColumnToContents(col)
                header.resizeSection(col, min(header.sectionSize(col), 260))
        self.detail.show_record(None)
        self._set_actions_enabled()
        self.summary_bar.set_statistics(None)
        self.chart.set_statistics(None)
        if self._stats_task is not None:
            self._stats_task.cancel()
            self._stats_task = None
        self._stats_timer.start()

    @Slot()
    def _on_stats_timer_timeout(self) -> None:
        queue, flt = self.queue, self.model.snapshot()["filters"]
        if queue is None:
            return
        self._stats_task = self._start(lambda: queue.statistics(flt), self._on_statistics_done, "stats")

    @Slot(object)
    def _on_statistics_done(self, stats: object) -> None:
        self.summary_bar.set_statistics(stats)  # type: ignore[arg-type]
        self.statistics_loaded.emit(stats)

    @Slot(int, int)
    def _on_model_chunk_loaded(self, offset: int, count: int) -> None:
        row = self.view.currentIndex().row()
        if offset <= row < offset + count and self.detail.current is None:
            self._on_current_row_changed(self.view.currentIndex(), QModelIndex())

    @Slot(QModelIndex, QModelIndex)
    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        rec = self.model.data(current, RecordRole) if current.isValid() else None
        self.detail.show_record(rec, self.record_edits.draft_for(rec))
        self._set_actions_enabled()

    @Slot(int, Qt.SortOrder)
    def _on_sort_indicator_changed(self, column: int, _order: Qt.SortOrder) -> None:
        if not self.model.is_sortable(column):
            header = self.view.horizontalHeader()
            order_by, desc = self.model.order_by
            header.blockSignals(True)
            header.setSortIndicator(max(0, self.model.sort_column()),
                                    Qt.SortOrder.DescendingOrder if desc else Qt.SortOrder.AscendingOrder)
            header.blockSignals(False)
            self.message_bar.show_message(
                f"This backend can sort by {', '.join(self.queue.sortable_columns) if self.queue else '-'} "
                f"only (sorted by {order_by}).", "info")

    @Slot()
    def _on_end_triggered(self) -> None:
        self.model.jump_to_end()
        self.view.scrollToBottom()

    @Slot()
    def _set_actions_enabled(self) -> None:
        has_rows = bool(self.selected_rows())
        for w in (self.resolve_button, self.delete_button, self.replay_button):
            w.setEnabled(has_rows)
        self.replay_button.setEnabled(has_rows and self.pipeline_dir is not None)
        self.edit_button.setEnabled(self.detail.current is not None)
        self.export_button.setEnabled(self.queue is not None)

    # -- selection and copying ---------------------------------------------------------
    def selected_rows(self) -> list[int]:
        selection = self.view.selectionModel()
        return sorted({i.row() for i in selection.selectedRows()}) if selection else []

    def select_rows(self, rows: list[int]) -> None:
        """Select ``rows`` (as a user would by clicking), making the first one current."""
        selection = self.view.selectionModel()
        selection.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in rows:
            selection.select(self.model.index(row, 0), flags)
        if rows:
            selection.setCurrentIndex(self.model.index(rows[0], 0), QItemSelectionModel.SelectionFlag.NoUpdate)

    @Slot()
    def copy_cells(self) -> None:
        """Copy the selected cells as tab-separated text."""
        indexes = sorted(self.view.selectionModel().selectedIndexes(), key=lambda i: (i.row(), i.column()))
        rows: dict[int, list[str]] = {}
        for i in indexes:
            rows.setdefault(i.row(), []).append(str(self.model.data(i) or ""))
        QGuiApplication.clipboard().setText("\n".join("\t".join(v) for v in rows.values()))

    @Slot()
    def copy_records(self) -> None:
        """Copy the selected records as JSON Lines; rows not loaded yet are read in a worker."""
        rows = self.selected_rows()
        recs = [self.model.data(self.model.index(r, 0), RecordRole) for r in rows]
        if all(r is not None for r in recs):
            self._set_clipboard_records(recs)
            return
        snapshot = self.model.snapshot()
        self.message_bar.show_message(f"Reading {len(rows):,} records to copy…", "info")
        self._start(lambda: records_for_rows(snapshot, rows), self._on_copy_records_read, "copy")

    @Slot(object)
    def _on_copy_records_read(self, records: object) -> None:
        self.message_bar.hide()
        self._set_clipboard_records(list(records))  # type: ignore[call-overload]

    def _set_clipboard_records(self, recs: list[Any]) -> None:
        QGuiApplication.clipboard().setText("\n".join(
            json.dumps(r.to_dict(), ensure_ascii=False, default=str) for r in recs if r is not None))
        self.records_copied.emit(sum(1 for r in recs if r is not None))

    # -- edits (dlq_edits.RecordEdits) -------------------------------------------------
    @property
    def edits(self) -> Any:
        """Edited records by id (``DeadLetterDrafts``), kept in the pipeline's .pycharter."""
        return self.record_edits.drafts

    @property
    def edit_dialog(self) -> Any:
        """The open JSON editor, if any."""
        return self.record_edits.dialog

    def edit_current(self) -> None:
        """Open the JSON editor on the current record (its edit is kept as a draft)."""
        self.record_edits.edit_current()

    def discard_edit(self, record_id: str) -> None:
        """Forget the edit of ``record_id``."""
        self.record_edits.discard(record_id)

    # -- export ------------------------------------------------------------------------
    @Slot()
    def _on_export_selection(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export selected dead letters", "", EXPORT_FILTER)
        if name:
            self.export(Path(name), selection=True)

    @Slot()
    def _on_export_filter(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export matching dead letters", "", EXPORT_FILTER)
        if name:
            self.export(Path(name), selection=False)

    def export(self, path: Path, selection: bool = False) -> None:
        """Export the selected rows or every record matching the filter, in a worker."""
        if self.queue is not None:
            rows = self.selected_rows() if selection else None
            self.export_progress.start(self.queue, Path(path), self.model.snapshot(), rows)

    @Slot(str, int)
    def _on_export_finished(self, path: str, count: int) -> None:
        self.message_bar.show_message(f"Exported {count:,} dead letters to {path}", "info")
        self.export_finished.emit(path, count)

    # -- replay and bulk changes ---------------------------------------------------------
    @Slot()
    def _on_replay_clicked(self) -> None:
        self.replay_selected()

    def replay_selected(self) -> None:
        """Dry-replay the selected records; the replay bar then offers the real replay."""
        if self.queue is None or self.pipeline_dir is None:
            self._show_error("Replay needs the pipeline: open the dead letters from its folder.")
            return
        self.replay_bar.start_dry(self.queue, self.pipeline_dir, self.model.snapshot(),
                                  self.selected_rows(), dict(self.edits))

    @Slot(object)
    def _on_replay_finished(self, result: object) -> None:
        res: dict = result  # type: ignore[assignment]
        self.replay_finished.emit(res)
        if res["dry_run"]:
            return
        self.record_edits.after_replay(res["outcomes"], res["replay_of"])
        self.message_bar.show_message(
            f"Replayed {res['total']} record(s): {res['succeeded']} loaded and marked resolved, "
            f"{res['filtered']} filtered out by the transform (nothing loaded; kept pending), "
            f"{res['failed']} failed again (kept with the new reason).",
            "warning" if res["failed"] or res["filtered"] else "info")
        self.records_changed.emit()
        self.refresh()

    @Slot()
    def _on_resolve_clicked(self) -> None:
        rows = self.selected_rows()
        if rows and self._confirm("Mark resolved", f"Mark {len(rows):,} dead letter(s) as resolved?"):
            self._bulk(rows, lambda q, ids: q.set_status(ids, DLQStatus.RESOLVED), "marked resolved")

    @Slot()
    def _on_delete_clicked(self) -> None:
        rows = self.selected_rows()
        if rows and self._confirm("Delete dead letters",
                                  f"Delete {len(rows):,} dead letter(s) for good? This cannot be undone."):
            self._bulk(rows, lambda q, ids: q.delete(ids), "deleted")

    def _confirm(self, title: str, text: str) -> bool:
        return QMessageBox.question(self, title, text) == QMessageBox.StandardButton.Yes

    def _bulk(self, rows: list[int], change: Any, verb: str) -> None:
        queue, snap = self.queue, self.model.snapshot()

        def work() -> tuple[str, int, list[str]]:
            ids = [r.id for r in records_for_rows(snap, rows)]
            return verb, change(queue, ids), ids

        self._start(work, self._on_bulk_done, "bulk")

    @Slot(object)
    def _on_bulk_done(self, result: object) -> None:
        verb, n, ids = result  # type: ignore[misc]
        self.record_edits.forget(ids)
        self.message_bar.show_message(f"{n:,} dead letter(s) {verb}.", "info")
        self.records_changed.emit()
        self.refresh()

    # -- workers -----------------------------------------------------------------------
    def _start(self, work: Any, on_success: Any, name: str) -> TaskHandle:
        """Run the blocking ``work()`` in a worker thread; the result goes to ``on_success``."""
        async def run(_reporter: Any) -> Any:
            return await asyncio.to_thread(work)

        return start_task(self, run, on_success, self._on_task_failed, name)

    @Slot(object)
    def _on_task_failed(self, exc: object) -> None:
        self._show_error(_error_text(exc))

    def _show_error(self, text: str) -> None:
        self.message_bar.show_message(text, "error")
        self.error_shown.emit(text)
