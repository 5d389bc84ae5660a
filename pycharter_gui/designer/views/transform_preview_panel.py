"""Transform preview: the cached sample before and after the transform, side by side.

Re-runs automatically (debounced ~250 ms, on the engine loop, the previous computation
cancelled) when the transform changes; never extracts again. Rejected records appear in a
"Rejected" tab with the step and reason the dead-letter queue would get. Samples and results
are kept per pipeline: switching pipelines shows the other pipeline's own (or says it has none).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import QLabel, QSplitter, QTableView, QTabWidget, QVBoxLayout, QWidget

from .. import theme
from ..column_profile import schema_marks
from ..models.records_table_model import RecordsTableModel
from ..preview_engine import (
    TransformPreview,
    build_orchestrator,
    compute_transform_preview,
    normalized_transform,
)
from ..trust import skipped_reason, workspace_trust
from ..workers.task import TaskHandle
from .message_bar import MessageBar, describe_error

DEBOUNCE_MS = 250
_MARK_PRIORITY = {"mismatch": 3, "warning": 2, "changed": 1}


def _titled(title: str, view: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(QLabel(f"<b>{title}</b>"))
    layout.addWidget(view)
    return box


class TransformPreviewPanel(QWidget):
    """Before/after of the pipeline's transform on the sample given by ``set_sample``.

    Signals: ``preview_updated(TransformPreview)``, ``preview_failed(message)``,
    ``status_changed(text)``.
    """

    preview_updated = Signal(object)
    preview_failed = Signal(str)
    status_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.workspace: Path | None = None
        self._texts: dict[str, str] | None = None
        self._transform: Any = None  # text or dict from set_transform; None = from the pipeline
        self._sample: list[dict[str, Any]] = []
        self._samples: dict[Path | None, list[dict[str, Any]]] = {}  # per pipeline folder
        self._results: dict[Path | None, Any] = {}  # the last result shown for each folder
        self._handle: TaskHandle | None = None
        self.last_preview: TransformPreview | None = None
        self.before_model = RecordsTableModel(self)
        self.after_model = RecordsTableModel(self)
        self.rejected_model = RecordsTableModel(self)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.refresh)
        self._build()
        workspace_trust().trust_changed.connect(self._on_trust_changed)

    def _build(self) -> None:
        self.message_bar = MessageBar(self)
        self.message_bar.action_triggered.connect(self._on_message_bar_action_triggered)
        self.before_table, self.after_table = QTableView(), QTableView()
        for view in (self.before_table, self.after_table):
            view.setWordWrap(False)
            view.verticalHeader().setDefaultSectionSize(22)
        self.before_table.setModel(self.before_model)
        self.after_table.setModel(self.after_model)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(_titled("Before (sample)", self.before_table))
        splitter.addWidget(_titled("After transform", self.after_table))
        self.after_table.verticalScrollBar().valueChanged.connect(self.before_table.verticalScrollBar().setValue)
        self.rejected_table = QTableView(wordWrap=False)
        self.rejected_table.setModel(self.rejected_model)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Before / after")
        self.tabs.addTab(self.rejected_table, "Rejected (0)")
        self.legend = QLabel()
        theme.set_rich_text(self.legend, " ".join(
            f"<span style='background:$mark_{kind}; color:$mark_text'>&nbsp;{label}&nbsp;</span>"
            for kind, label in (("changed", "changed"), ("added", "added"), ("renamed", "renamed"),
                                ("converted", "converted"), ("dropped", "dropped"),
                                ("mismatch", "breaks the contract"),
                                ("warning", "conversion warning"))))
        self.status_label = QLabel("Preview the source to see the transform's effect.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.status_label)

    # -- public API ----------------------------------------------------------------------------
    def set_pipeline(self, folder: Path, texts: dict[str, str] | None = None,
                     workspace: Path | None = None) -> None:
        """The pipeline (unsaved ``texts`` laid over its files); trust is per ``workspace``
        (default: the folder's parent). Schedules a re-run; another folder first shows that
        pipeline's own sample and last result, or says it has no sample yet."""
        folder = Path(folder)
        switched = folder != self.folder
        self.folder = folder
        self.workspace = Path(workspace) if workspace else self.folder.parent
        self._texts = dict(texts) if texts else None
        self._transform = None
        if switched:
            self._show_folder_state()
        self._schedule()

    @Slot(object)
    def set_sample(self, records: list[dict[str, Any]], folder: Path | None = None) -> None:
        """The cached raw sample of ``folder`` (default: the shown pipeline, e.g. straight from
        ``PreviewPanel.sample_changed``); re-runs when that pipeline is the one shown."""
        target = self.folder if folder is None else Path(folder)
        self._samples[target] = list(records)
        if target == self.folder:
            self._sample = self._samples[target]
            self._schedule()

    def set_transform(self, cfg_or_text: Any) -> None:
        """A changed transform (YAML text or dict): re-run after ~250 ms of quiet."""
        self._transform = cfg_or_text
        self._schedule()

    def is_running(self) -> bool:
        return self._timer.isActive() or (self._handle is not None and self._handle.is_running())

    def _show_folder_state(self) -> None:
        """Show the selected pipeline's own sample and last result (a switch drops the other's)."""
        if self._handle is not None and self._handle.is_running():
            self._handle.cancel()
        self._handle = None
        self._sample = self._samples.get(self.folder, [])
        result = self._results.get(self.folder)
        if result is not None:
            self._show_result(result)
            return
        self.last_preview = None
        self.message_bar.clear()
        for model in (self.before_model, self.after_model, self.rejected_model):
            model.set_records([])
            model.set_column_marks({})
            model.set_cell_marks({})
        self.tabs.setTabText(1, "Rejected (0)")
        self._set_status(self._no_sample_text())

    def _no_sample_text(self) -> str:
        name = f" of {self.folder.name}" if self.folder is not None else ""
        return f"No sample{name} yet: preview the source (F5) to see the transform's effect."

    # -- computation ---------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._timer.start()

    @Slot()
    def refresh(self) -> None:
        """Re-run now on the engine loop, cancelling a previous computation."""
        self._timer.stop()
        if self._handle is not None and self._handle.is_running():
            self._handle.cancel()
        if self.folder is None or not self._sample:
            self._set_status(self._no_sample_text())
            return
        folder, texts, transform, sample = self.folder, self._texts, self._transform, self._sample
        trusted = workspace_trust().is_trusted(self.workspace)

        async def work(_reporter: Any) -> tuple[TransformPreview, dict[str, str], dict]:
            def compute() -> tuple[TransformPreview, dict[str, str], dict]:
                contract = None
                if transform is None:
                    orch = build_orchestrator(folder, texts)
                    cfg, contract = orch.config.transform, orch.config.contract
                else:
                    cfg = normalized_transform(transform, folder)
                    try:
                        contract = build_orchestrator(folder, texts).config.contract
                    except Exception:  # the contract is optional for a transform preview
                        contract = None
                preview = compute_transform_preview(sample, cfg, trusted=trusted)
                cols, cells = schema_marks(preview.after, (contract or {}).get("schema"))
                return preview, cols, cells
            return await asyncio.to_thread(compute)

        handle = TaskHandle(work, self, name="transform-preview")
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        self._handle = handle
        self._set_status("Applying the transform…")
        handle.start()

    def _set_status(self, text: str) -> None:
        self.status_label.setText(text)
        self.status_changed.emit(text)

    @Slot(object)
    def _on_task_succeeded(self, result: Any) -> None:
        if self.sender() is not self._handle:
            return  # a superseded computation, or one of the pipeline shown before
        self._results[self.folder] = result
        self._show_result(result)
        self.preview_updated.emit(result[0])

    def _show_result(self, result: Any) -> None:
        preview, schema_cols, schema_cells = result
        self.last_preview = preview
        self.before_model.set_records(preview.before)
        self.before_model.set_column_marks(
            {**{old: ("renamed", f"renamed to {new}") for old, new in preview.renamed.items()},
             **{c: ("dropped", "removed by the transform") for c in preview.dropped}})
        self.after_model.set_records(preview.after, columns=preview.after_columns)
        col_marks = {c: ("added", "added by the transform") for c in preview.added}
        col_marks.update({new: ("renamed", f"renamed from {old}") for old, new in preview.renamed.items()})
        col_marks.update({c: ("converted", "converted by the transform") for c in preview.converted})
        shown = set(self.after_model.columns())
        col_marks.update({c: ("mismatch", r) for c, r in schema_cols.items() if c in shown})
        self.after_model.set_column_marks(col_marks)
        cells: dict[tuple[int, str], tuple[str, str]] = {}
        for key in preview.changed_cells:
            src = preview.source_rows[key[0]]
            cells[key] = ("changed", f"changed by the transform (source row {src + 1 if src is not None else '?'})")
        for key, reason in preview.warning_cells.items():
            cells[key] = ("warning", reason)
        for key, reason in schema_cells.items():
            cells[key] = ("mismatch", reason)
        self.after_model.set_cell_marks(cells)
        self.rejected_model.set_records([
            {"row": (r.index + 1) if r.index is not None else None, "step": r.step, "reason": r.reason,
             "message": r.message, "field": r.field, "record": r.record} for r in preview.rejected],
            columns=["row", "step", "reason", "message", "field", "record"])
        self.tabs.setTabText(1, f"Rejected ({len(preview.rejected)})")
        if preview.skipped_custom:
            self.message_bar.show_message(skipped_reason(preview.skipped_custom), "warning",
                                          action="Trust this workspace…")
        else:
            self.message_bar.clear()
        self._set_status(
            f"{len(preview.before):,} in → {len(preview.after):,} out · {len(preview.rejected):,} rejected · "
            f"{preview.filtered:,} filtered · {len(preview.warnings):,} warnings · {preview.seconds * 1000:.0f} ms")

    @Slot(object)
    def _on_task_failed(self, exc: Any) -> None:
        if self.sender() is not self._handle:
            return
        text = describe_error(exc)
        self.message_bar.show_message(text, "error")
        self._set_status("The transform could not be applied; the tables show the last good result.")
        self.preview_failed.emit(text)

    @Slot()
    def _on_message_bar_action_triggered(self) -> None:
        if self.workspace is not None:
            name = self.last_preview.skipped_custom if self.last_preview else ""
            workspace_trust().ask(self, self.workspace, name or "", again=True)

    @Slot(str, bool)
    def _on_trust_changed(self, path: str, _is_trusted: bool) -> None:
        if self.workspace is not None and str(self.workspace.resolve()) == path:
            self._schedule()
