"""Source preview: the first N records in a lazy table, "Load more", Cancel, column summaries.

Extraction runs on the engine loop (``TaskHandle``); batches reach the table as they arrive.
Also home of ``MessageBar`` (the panels' in-place error area: never a modal, never a crash)
and ``describe_error`` (one mapping from engine exceptions to analyst messages).
"""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QFrame,
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

from ..column_profile import ColumnSummary, schema_marks, summarize_column
from ..models.records_table_model import ColumnNameRole, RecordRole, RecordsTableModel, pretty_json
from ..preview_engine import SampleStream, build_orchestrator
from ..workers.task import TaskHandle
from .message_bar import MessageBar, describe_error


async def _contract_marks(stream: SampleStream, records: list[dict[str, Any]]) -> Any:
    """Cells and columns that break the contract, judged off the GUI thread (about 1 s per
    100,000 records with a schema)."""
    schema = (stream.orch.config.contract or {}).get("schema")
    if not schema:
        return {}, {}
    return await asyncio.to_thread(schema_marks, records, schema)


class ColumnSummaryPopup(QFrame):
    """A small popup: type, nulls, distinct, min/max and a histogram of one column."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel(textFormat=Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)

    def show_summary(self, s: ColumnSummary, at: QPoint) -> None:
        """Show ``s`` (made by ``summarize_column`` off the GUI thread) below ``at``."""
        column = s.name
        esc = html.escape
        rows = [("Type", s.type), ("Values", f"{s.count:,}"), ("Nulls", f"{s.nulls:,}"),
                ("Distinct", f"{s.distinct:,}")]
        if s.minimum is not None:
            rows += [("Min", str(s.minimum)), ("Max", str(s.maximum))]
        top = max((c for _label, c in s.histogram), default=1) or 1
        bars = "".join(
            f"<tr><td style='padding-right:6px'>{esc(label)}</td>"
            f"<td><span style='color:#3b73b9'>{'█' * max(1, round(20 * c / top))}</span> {c}</td></tr>"
            for label, c in s.histogram)
        self.label.setText(
            f"<b>{esc(column)}</b> <span style='color:gray'>(on the {s.count:,}-row sample)</span>"
            "<table>" + "".join(f"<tr><td>{k}</td><td><b>{esc(v)}</b></td></tr>" for k, v in rows)
            + "</table><br>" + (f"<table>{bars}</table>" if bars else ""))
        self.adjustSize()
        self.move(at)
        self.show()


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
        self._handle: TaskHandle | None = None
        self._pending_stream: dict[str, SampleStream] = {}
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
        detail_box = QWidget()
        dl = QVBoxLayout(detail_box)
        dl.setContentsMargins(0, 0, 0, 0)
        head = QHBoxLayout()
        head.addWidget(self.detail_title, 1)
        head.addWidget(self.detail_record_check)
        dl.addLayout(head)
        dl.addWidget(self.detail)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.table)
        splitter.addWidget(detail_box)
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
        """The pipeline to preview: its folder, with unsaved YAML ``texts`` laid over the files."""
        changed = self.folder != Path(folder) or self.texts != texts
        self.folder, self.texts = Path(folder), dict(texts) if texts else None
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
        return self._handle is not None and self._handle.is_running()

    @Slot()
    def start_preview(self) -> None:
        """Read the first N records again (cancels a running preview)."""
        if self.folder is None:
            self.message_bar.show_message("Open a pipeline first.", "info")
            return
        self._cancel_handle()
        self._close_stream()
        self.model.set_records([])
        self.message_bar.clear()
        folder, texts, n, params = self.folder, self.texts, self.n_spin.value(), dict(self.params)
        holder = self._pending_stream = {}

        async def work(reporter: Any) -> tuple[SampleStream, list[dict[str, Any]], Any]:
            stream = SampleStream(build_orchestrator(folder, texts), batch_size=n, params=params)
            holder["stream"] = stream
            records = await stream.take(n, reporter.batch)
            return stream, records, await _contract_marks(stream, records)

        self._start(work, "Reading the source…")

    @Slot()
    def load_more(self) -> None:
        """Append the next N records from the same open stream."""
        stream = self._stream
        if stream is None or stream.is_exhausted or self.is_running():
            return
        n = self.n_spin.value()
        prior = list(self.model.records())  # the marks cover the whole sample, rows as shown

        async def work(reporter: Any) -> tuple[SampleStream, list[dict[str, Any]], Any]:
            records = await stream.take(n, reporter.batch)
            return stream, records, await _contract_marks(stream, prior + records)

        self._start(work, "Reading more…")

    @Slot()
    def cancel(self) -> None:
        """Stop reading now: the source is closed (no further pages, reads or queries)."""
        self._cancel_handle()

    # -- task plumbing -------------------------------------------------------------------------
    def _start(self, work: Any, status: str) -> None:
        handle = TaskHandle(work, self, name="preview")
        handle.batch_ready.connect(self._on_task_batch_ready)
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        handle.cancelled.connect(self._on_task_cancelled)
        handle.finished.connect(self._on_task_finished)
        self._handle = handle
        self._task_rows = 0
        self._set_busy(True)
        self._set_status(status)
        self.preview_started.emit()
        handle.start()

    def _cancel_handle(self) -> None:
        if self._handle is not None and self._handle.is_running():
            self._handle.cancel()

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
        handle = self.sender()
        return handle is self._handle and handle is not None

    @Slot(object)
    def _on_task_batch_ready(self, batch: Any) -> None:
        if not self._is_current() or self._task_rows < 0:
            return  # a late batch of a finished task: its rows came with the result
        self._task_rows += len(batch)
        self.model.append_records(list(batch))
        self._set_status(f"{self.model.total_rows():,} rows so far…")
        self.batch_loaded.emit(self.model.total_rows())

    @Slot(object)
    def _on_task_succeeded(self, result: Any) -> None:
        if not self._is_current():
            return
        stream, records, (col_marks, cells) = result
        # TaskHandle may deliver the result before queued batches: append what is missing.
        self.model.append_records(records[self._task_rows:])
        self._task_rows = -1
        self._stream = stream
        self._set_busy(False)  # settled before preview_finished: "Load more" is usable at once
        rows = self.model.total_rows()
        first_s = stream.first_row_seconds
        first = f" · first row in {first_s * 1000:.0f} ms" if first_s is not None else ""
        end = " · end of source" if stream.is_exhausted else ""
        self._set_status(f"{rows:,} rows{first} · {stream.describe()}{end}")
        columns = set(self.model.columns())
        self.model.set_column_marks({c: ("mismatch", r) for c, r in col_marks.items() if c in columns})
        self.model.set_cell_marks({k: ("mismatch", r) for k, r in cells.items()})
        self.preview_finished.emit(rows)
        self.sample_changed.emit(self.model.records())

    @Slot(object)
    def _on_task_failed(self, exc: Any) -> None:
        if not self._is_current():
            return
        text = describe_error(exc)
        self._set_busy(False)
        self.message_bar.show_message(text, "error")
        self._set_status(f"Preview failed after {self.model.total_rows():,} rows.")
        self.preview_failed.emit(text)

    @Slot()
    def _on_task_cancelled(self) -> None:
        if not self._is_current():
            return
        # The task may still be unwinding on the engine loop: forget the stream and close it
        # (idempotent), so "Load more" stays off and no further page, read or query happens.
        self._stream = self._stream or self._pending_stream.get("stream")
        self._close_stream()
        self._set_busy(False)
        rows = self.model.total_rows()
        self._set_status(f"Cancelled after {rows:,} rows; the source was closed. Press Preview to start again.")
        self.preview_cancelled.emit(rows)
        if rows:
            self.sample_changed.emit(self.model.records())

    @Slot()
    def _on_task_finished(self) -> None:
        if self._is_current():
            self._set_busy(False)  # already settled by the outcome slot; kept for safety

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
