"""Source preview: the first N records in a lazy table, "Load more", Cancel, column summaries.

Extraction runs on the async loop (``TaskHandle``); batches reach the table as they arrive,
gathered and profiled on the loop (``_Feed``) so the GUI thread only appends them. Cancel and
a switch to another pipeline settle the panel at once and ignore whatever the task still
sends. Each pipeline's last sample is kept and shown again when it is selected again
(``KEPT_ROWS`` rows over all the other pipelines; the one left longest ago goes first).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ..column_profile import BatchProfile, profile_batch, schema_marks, summarize_column
from ..models.records_table_model import ColumnNameRole, RecordRole, RecordsTableModel, pretty_json
from ..pipeline_tasks import SampleStream, build_orchestrator
from ..workers.task import TaskHandle
from .layout import headed_box
from .message_bar import MessageBar, describe_error
from .profile_popup import ColumnSummaryPopup

FEED_INTERVAL_S = 0.1  # at most ~10 table updates a second, however small the source's batches
KEPT_ROWS = 200_000  # rows of other pipelines' samples kept for their return; the oldest go first


class _Feed:
    """Preview rows on their way to the table, gathered on the async loop.

    Batches are joined and sent at most every ``FEED_INTERVAL_S`` (the first at once), each
    with its ``profile_batch`` made here, off the GUI thread: a fast source of small batches
    can neither flood the GUI thread with queued signals nor make it type columns.
    """

    def __init__(self, send: Callable[[Any], None]) -> None:
        self._send = send
        self._records: list[dict[str, Any]] = []
        self._sent_at = 0.0

    def add(self, records: list[dict[str, Any]]) -> None:
        self._records.extend(records)
        if time.monotonic() - self._sent_at >= FEED_INTERVAL_S:
            self.flush()

    def flush(self) -> None:
        """Send what is gathered (called once more when the stream ends)."""
        if self._records:
            records, self._records = self._records, []
            self._send((records, profile_batch(records)))
            self._sent_at = time.monotonic()


@dataclass
class _Kept:
    """What the panel showed for one pipeline, to show again when it is selected again."""

    records: list[dict[str, Any]]
    profile: BatchProfile
    status: str
    column_marks: dict[str, tuple[str, str]] = field(default_factory=dict)
    cell_marks: dict[tuple[int, str], tuple[str, str]] = field(default_factory=dict)


async def _contract_marks(stream: SampleStream, records: list[dict[str, Any]]) -> Any:
    """Cells and columns that break the contract, judged off the GUI thread (about 1 s per
    100,000 records with a schema)."""
    schema = (stream.orch.config.contract or {}).get("schema")
    if not schema:
        return {}, {}
    return await asyncio.to_thread(schema_marks, records, schema)


class PreviewPanel(QWidget):
    """Source preview of one pipeline; see ``set_pipeline`` and ``start_preview``.

    Signals: ``preview_started()``, ``batch_loaded(rows_so_far)``, ``preview_finished(rows)``,
    ``preview_cancelled(rows)``, ``preview_failed(message)``, ``sample_changed(records)``
    (the raw sample, for the transform preview and JSONata console), ``status_changed(text)``.
    """

    preview_started = Signal()
    batch_loaded = Signal(int)
    preview_finished = Signal(int)
    preview_cancelled = Signal(int)
    preview_failed = Signal(str)
    sample_changed = Signal(object)  # object, not list: a QVariantList would re-sort dict keys
    status_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.params: dict[str, Any] = {}  # run parameters (input_params) for the source
        self.texts: dict[str, str] | None = None
        self._stream: SampleStream | None = None
        self._handle: TaskHandle | None = None  # the last preview task started
        self._live = False  # its rows and outcome are still wanted (not cancelled, not switched away)
        self._pending_stream: dict[str, SampleStream] = {}
        self._marks: tuple[dict[str, tuple[str, str]], dict[tuple[int, str], tuple[str, str]]] = ({}, {})
        self._kept: dict[Path, _Kept] = {}  # other pipelines' last samples, oldest first
        self._summary_handle: TaskHandle | None = None  # the column summary being computed
        self._summary_at = QPoint()
        self.model = RecordsTableModel(self)
        self._build()

    def _build(self) -> None:
        self.preview_action = QAction("Preview", self, shortcut=QKeySequence(Qt.Key.Key_F5),
                                      shortcutContext=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.preview_action.triggered.connect(self.start_preview)
        self.addAction(self.preview_action)
        self.preview_button = QPushButton("Preview (F5)", toolTip="Read the first N records of the source")
        self.preview_button.clicked.connect(self.start_preview)
        self.n_spin = QSpinBox(minimum=1, maximum=1_000_000, value=100, singleStep=100,
                               suffix=" rows", toolTip="How many records to read")
        self.more_button = QPushButton("Load more", enabled=False)
        self.more_button.clicked.connect(self.load_more)
        self.spinner = QProgressBar(minimum=0, maximum=0, maximumWidth=80, textVisible=False, visible=False)
        self.cancel_button = QPushButton("Cancel", visible=False)
        self.cancel_button.clicked.connect(self.cancel)
        bar = QHBoxLayout()
        for w in (self.preview_button, self.n_spin, self.more_button, self.spinner, self.cancel_button):
            bar.addWidget(w)
        bar.addStretch(1)
        self.message_bar = MessageBar(self)
        self.table = QTableView(alternatingRowColors=True, wordWrap=False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionsClickable(True)
        self.table.horizontalHeader().sectionClicked.connect(self._on_header_clicked)
        self.table.selectionModel().currentChanged.connect(self._on_table_current_changed)
        self.detail_record_check = QCheckBox("Whole record")
        self.detail_record_check.toggled.connect(lambda _on: self._show_detail(self.table.currentIndex()))
        self.detail_title = QLabel("Select a cell to see its value")
        self.detail = QPlainTextEdit(readOnly=True)
        self.detail.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(headed_box(self.detail_title, self.detail_record_check, self.detail))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.status_label = QLabel("No preview yet: press Preview (F5).")
        self.summary_popup = ColumnSummaryPopup(self)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)

    # -- public API ----------------------------------------------------------------------------
    def set_pipeline(self, folder: Path, texts: dict[str, str] | None = None) -> None:
        """The pipeline to preview: its folder, with unsaved YAML ``texts`` laid over the files.

        Another folder stops a running preview (rows it still sends are ignored) and shows
        that pipeline's own last sample, or says that it has none yet.
        """
        old = self.folder
        changed = old != Path(folder) or self.texts != texts
        self.folder, self.texts = Path(folder), dict(texts) if texts else None
        if old != self.folder:
            self._switch_from(old)
        if changed:
            self._close_stream()
            self.more_button.setEnabled(False)

    def set_params(self, params: dict[str, Any]) -> None:
        """Run parameters for the source (the pipeline's ``input_params``); used by the next preview."""
        self.params = dict(params)

    def sample(self) -> list[dict[str, Any]]:
        """The records read so far (the raw sample)."""
        return self.model.records()

    def is_running(self) -> bool:
        """A preview is reading and its rows are shown as they come."""
        return self._live

    @Slot()
    def start_preview(self) -> None:
        """Read the first N records again (cancels a running preview)."""
        if self.folder is None:
            self.message_bar.show_message("Open a pipeline first.", "info")
            return
        self._drop_live()
        self._close_stream()
        self.model.set_records([])
        self._marks = ({}, {})
        self.message_bar.clear()
        folder, texts, n, params = self.folder, self.texts, self.n_spin.value(), dict(self.params)
        holder = self._pending_stream = {}

        async def work(reporter: Any) -> tuple[SampleStream, Any]:
            stream = SampleStream(build_orchestrator(folder, texts), batch_size=n, params=params)
            holder["stream"] = stream
            feed = _Feed(reporter.batch)
            records = await stream.take(n, feed.add)
            feed.flush()
            return stream, await _contract_marks(stream, records)

        self._start(work, "Reading the source…")

    @Slot()
    def load_more(self) -> None:
        """Append the next N records from the same open stream."""
        stream = self._stream
        if stream is None or stream.is_exhausted or self.is_running():
            return
        n = self.n_spin.value()
        prior = list(self.model.records())  # the marks cover the whole sample, rows as shown

        async def work(reporter: Any) -> tuple[SampleStream, Any]:
            feed = _Feed(reporter.batch)
            records = await stream.take(n, feed.add)
            feed.flush()
            return stream, await _contract_marks(stream, prior + records)

        self._start(work, "Reading more…")

    @Slot()
    def cancel(self) -> None:
        """Stop reading now: the rows shown stay, no further row is added, and the source is
        closed (no further pages, reads or queries). Settles the panel at once, without
        waiting for the task to unwind on the async loop."""
        if not self._live:
            return
        self._drop_live()  # first: the task closes its source as it unwinds on the async loop
        # Forget the stream and close it too (idempotent; it may never have been read), so
        # "Load more" stays off and no further page, read or query happens.
        self._stream = self._stream or self._pending_stream.get("stream")
        self._close_stream()
        self.more_button.setEnabled(False)
        rows = self.model.total_rows()
        self._set_status(f"Cancelled after {rows:,} rows; the source was closed. Press Preview to start again.")
        self.preview_cancelled.emit(rows)
        if rows:
            self.sample_changed.emit(self.model.records())

    # -- task plumbing -------------------------------------------------------------------------
    def _start(self, work: Any, status: str) -> None:
        handle = TaskHandle(work, self, name="preview")
        handle.batch_ready.connect(self._on_task_batch_ready)
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        handle.cancelled.connect(self._on_task_cancelled)
        self._handle, self._live = handle, True
        self._set_busy(True)
        self._set_status(status)
        self.preview_started.emit()
        handle.start()

    def _drop_live(self) -> None:
        """Cancel the running task and stop listening to it: whatever it still sends (rows
        queued to the GUI thread, its result) is ignored from now on."""
        if self._live and self._handle is not None:
            self._live = False
            self._handle.cancel()
            self._set_busy(False)

    def _switch_from(self, old: Path | None) -> None:
        """Another pipeline was selected: keep ``old``'s sample and show the new one's."""
        was_running = self._live
        self._drop_live()
        self._summary_handle = None  # a summary of the old sample must not pop up
        self.summary_popup.hide()
        self.message_bar.clear()
        rows = self.model.total_rows()
        if old is not None and rows:
            status = (f"Stopped after {rows:,} rows when another pipeline was selected." if was_running
                      else self.status_label.text())
            self._kept[old] = _Kept(self.model.records(), self.model.profile(), status, *self._marks)
            while sum(len(k.records) for k in self._kept.values()) > KEPT_ROWS:
                del self._kept[next(iter(self._kept))]  # the pipeline left longest ago
        kept = self._kept.pop(self.folder, None) if self.folder is not None else None
        self.detail_title.setText("Select a cell to see its value")
        self.detail.clear()
        if kept is None:
            self.model.set_records([])
            self._marks = ({}, {})
            self._set_status(f"No preview of {self.folder.name if self.folder else 'this pipeline'} "
                             "yet: press Preview (F5).")
        else:
            self.model.set_records(kept.records, profile=kept.profile)
            self._marks = (kept.column_marks, kept.cell_marks)
            self.model.set_column_marks(kept.column_marks)
            self.model.set_cell_marks(kept.cell_marks)
            self._set_status(f"{kept.status} (kept from earlier; press Preview to read again)")

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            TaskHandle(lambda _r: stream.aclose(), self, name="close-preview").start()

    def _set_busy(self, busy: bool) -> None:
        self.spinner.setVisible(busy)
        self.cancel_button.setVisible(busy)
        self.preview_button.setEnabled(not busy)
        self.more_button.setEnabled(not busy and self._stream is not None and not self._stream.is_exhausted)

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_changed.emit(text)

    def _is_current(self) -> bool:
        """The signal comes from the task whose rows are still wanted."""
        return self._live and self.sender() is self._handle

    @Slot(object)
    def _on_task_batch_ready(self, batch: Any) -> None:
        if not self._is_current():
            return  # cancelled, or another pipeline or preview since
        records, profile = batch  # joined and profiled by _Feed on the async loop
        self.model.append_records(records, profile)
        self._set_status(f"{self.model.total_rows():,} rows so far…")
        self.batch_loaded.emit(self.model.total_rows())

    @Slot(object)
    def _on_task_succeeded(self, result: Any) -> None:
        if not self._is_current():
            return
        # Every row came through _on_task_batch_ready: TaskHandle delivers a task's signals in order.
        stream, (col_marks, cells) = result
        self._live = False
        self._stream = stream
        self._set_busy(False)  # settled before preview_finished: "Load more" is usable at once
        rows = self.model.total_rows()
        first_s = stream.first_row_seconds
        first = f" · first row in {first_s * 1000:.0f} ms" if first_s is not None else ""
        end = " · end of source" if stream.is_exhausted else ""
        self._set_status(f"{rows:,} rows{first} · {stream.describe()}{end}")
        columns = set(self.model.columns())
        self._marks = ({c: ("mismatch", r) for c, r in col_marks.items() if c in columns},
                       {k: ("mismatch", r) for k, r in cells.items()})
        self.model.set_column_marks(self._marks[0])
        self.model.set_cell_marks(self._marks[1])
        self.preview_finished.emit(rows)
        self.sample_changed.emit(self.model.records())

    @Slot(object)
    def _on_task_failed(self, exc: Any) -> None:
        if not self._is_current():
            return
        text = describe_error(exc)
        self._live = False
        self._set_busy(False)
        self.message_bar.show_message(text, "error")
        self._set_status(f"Preview failed after {self.model.total_rows():,} rows.")
        self.preview_failed.emit(text)

    @Slot()
    def _on_task_cancelled(self) -> None:
        if self._is_current():  # cancelled elsewhere (e.g. on closing the app)
            self.cancel()

    # -- table interaction ---------------------------------------------------------------------
    @Slot(int)
    def _on_header_clicked(self, section: int) -> None:
        column = self.model.headerData(section, Qt.Orientation.Horizontal, ColumnNameRole)
        if column is None:
            return
        header = self.table.horizontalHeader()
        at = header.mapToGlobal(QPoint(header.sectionViewportPosition(section), header.height()))
        records = list(self.model.records())  # a snapshot: the worker never sees later rows

        async def work(_reporter: Any) -> Any:
            return await asyncio.to_thread(summarize_column, records, column)

        self._summary_at = at
        handle = TaskHandle(work, self, name="column-summary")
        handle.succeeded.connect(self._on_summary_task_succeeded)
        self._summary_handle = handle.start()

    @Slot(object)
    def _on_summary_task_succeeded(self, summary: Any) -> None:
        if self.sender() is self._summary_handle:  # the last header clicked wins
            self.summary_popup.show_summary(summary, self._summary_at)

    @Slot(QModelIndex, QModelIndex)
    def _on_table_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_detail(current)

    def _show_detail(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        column = self.model.columns()[index.column()]
        if self.detail_record_check.isChecked():
            self.detail_title.setText(f"Row {index.row() + 1}")
            self.detail.setPlainText(pretty_json(self.model.data(index, RecordRole)))
        else:
            mark = self.model.cell_mark(index.row(), column)
            note = f" — {mark[1]}" if mark else ""
            self.detail_title.setText(f"Row {index.row() + 1} · {column}{note}")
            self.detail.setPlainText(pretty_json(self.model.data(index, RecordRole).get(column)))
