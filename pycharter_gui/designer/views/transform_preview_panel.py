"""Transform preview: the cached sample before and after the transform, step by step.

A step strip lists "All steps" and every stage (each op, JSONata, custom function, contract)
with its records in → out; choosing one shows that stage's input beside its output, line by
line: a record the stage filtered or rejected keeps its line, marked, and the detail pane
says why (step, reason, field). A cell is marked changed only when its value changed; a type
change alone ("5" → 5) gets a small badge. Counts are what a dry run of the sample reports
(contract breaks are rejected). Re-runs automatically (debounced ~250 ms, on the async loop,
the previous computation cancelled) when the transform changes; never extracts again.
Samples and results are kept per pipeline: switching pipelines shows the other pipeline's own
(or says it has none).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QTabBar,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from ..models.records_table_model import RecordsTableModel, pretty_json
from ..pipeline_tasks import build_orchestrator, compute_transform_preview, normalized_transform
from ..transform_diff import StepDiff, TransformPreview
from ..trust import skipped_reason, workspace_trust
from ..workers.task import TaskHandle
from .message_bar import MessageBar, describe_error

DEBOUNCE_MS = 250
_FATE_MARKS = {"filtered": "dropped", "rejected": "mismatch"}


def _titled(title: QLabel, view: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(title)
    layout.addWidget(view)
    return box


def _row_label(row: int | None) -> str:
    return "·" if row is None else str(row + 1)


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
        self._views: list[StepDiff] = []  # the strip's views: all steps, then each step
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
        self.step_bar = QTabBar(expanding=False, usesScrollButtons=True, drawBase=False)
        self.step_bar.setAccessibleName("Steps")
        self.step_bar.currentChanged.connect(self._on_step_bar_current_changed)
        self.before_table, self.after_table = QTableView(), QTableView()
        for view in (self.before_table, self.after_table):
            view.setWordWrap(False)
            view.verticalHeader().setDefaultSectionSize(22)
            view.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.before_table.setModel(self.before_model)
        self.after_table.setModel(self.after_model)
        for view in (self.before_table, self.after_table):
            view.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.before_title, self.after_title = QLabel("<b>Before (sample)</b>"), QLabel("<b>After</b>")
        self.detail = QPlainTextEdit(readOnly=True, placeholderText="Select a row to see what "
                                     "happened to it.")
        self.detail.setAccessibleName("Row detail")
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(_titled(self.before_title, self.before_table))
        splitter.addWidget(_titled(self.after_title, self.after_table))
        splitter.addWidget(_titled(QLabel("<b>Row detail</b>"), self.detail))
        splitter.setSizes([400, 400, 220])
        before_bar, after_bar = (v.verticalScrollBar() for v in (self.before_table, self.after_table))
        after_bar.valueChanged.connect(before_bar.setValue)
        before_bar.valueChanged.connect(after_bar.setValue)
        self.rejected_table = QTableView(wordWrap=False)
        self.rejected_table.setModel(self.rejected_model)
        self.tabs = QTabWidget()
        self.tabs.addTab(splitter, "Before / after")
        self.tabs.addTab(self.rejected_table, "Rejected (0)")
        self.legend = QLabel()
        theme.set_rich_text(self.legend, " ".join(
            f"<span style='background:$mark_{kind}; color:$mark_text'>&nbsp;{label}&nbsp;</span>"
            for kind, label in (("changed", "value changed"), ("converted", "■ type changed"),
                                ("added", "added"), ("renamed", "renamed"),
                                ("dropped", "removed / filtered"),
                                ("mismatch", "rejected (its field)"),
                                ("warning", "conversion warning"))))
        self.status_label = QLabel("Preview the source to see the transform's effect.")
        layout = QVBoxLayout(self)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.step_bar)
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

    def sample(self) -> list[dict[str, Any]]:
        """The raw sample the shown pipeline's before/after runs on."""
        return list(self._sample)

    def selected_sample_rows(self) -> list[int]:
        """The sample rows of the lines selected in either table (a record a batch-wide step
        made has none)."""
        index = self.step_bar.currentIndex()
        if not 0 <= index < len(self._views):
            return []
        view = self._views[index]
        rows: set[int] = set()
        for table, lines in ((self.before_table, view.before_rows),
                             (self.after_table, view.after_rows)):
            rows |= {lines[i.row()] for i in table.selectionModel().selectedRows()
                     if i.row() < len(lines) and lines[i.row()] is not None}
        return sorted(rows)

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
        self._set_steps([])
        self.detail.clear()
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
        """Re-run now on the async loop, cancelling a previous computation."""
        self._timer.stop()
        if self._handle is not None and self._handle.is_running():
            self._handle.cancel()
        if self.folder is None or not self._sample:
            self._set_status(self._no_sample_text())
            return
        folder, texts, transform, sample = self.folder, self._texts, self._transform, self._sample
        trusted = workspace_trust().is_trusted(self.workspace)

        async def work(_reporter: Any) -> TransformPreview:
            def compute() -> TransformPreview:
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
                return compute_transform_preview(sample, cfg, contract=contract, trusted=trusted)
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
        self.preview_updated.emit(result)

    def _show_result(self, preview: TransformPreview) -> None:
        self.last_preview = preview
        self.rejected_model.set_records([
            {"row": (r.index + 1) if r.index is not None else None, "step": r.step, "reason": r.reason,
             "message": r.message, "field": r.field, "record": r.record} for r in preview.rejected],
            columns=["row", "step", "reason", "message", "field", "record"])
        self.tabs.setTabText(1, f"Rejected ({len(preview.rejected)})")
        self._set_steps([preview, *preview.steps])
        if preview.skipped_custom:
            self.message_bar.show_message(skipped_reason(preview.skipped_custom), "warning",
                                          action="Trust this workspace…")
        else:
            self.message_bar.clear()

    def _set_steps(self, views: list[StepDiff]) -> None:
        """Fill the step strip (keeping the chosen step when it still exists) and show it."""
        chosen = self.step_bar.currentIndex()
        self.step_bar.blockSignals(True)
        while self.step_bar.count():
            self.step_bar.removeTab(0)
        for pos, view in enumerate(views):
            lost = sum(1 for kind, _ in view.fates.values() if kind == "rejected")
            self.step_bar.addTab(f"{view.title}  {view.count_in:,} → {view.count_out:,}")
            self.step_bar.setTabToolTip(pos, (
                f"{view.title}: {view.count_in:,} records in, {view.count_out:,} out"
                + (f", {lost:,} rejected" if lost else "")
                + (f", {len(view.fates) - lost:,} filtered" if len(view.fates) > lost else "")))
        self.step_bar.setCurrentIndex(chosen if 0 <= chosen < len(views) else 0)
        self.step_bar.blockSignals(False)
        self._views = views
        self.show_step(self.step_bar.currentIndex())

    def show_step(self, index: int) -> None:
        """Show view ``index`` of the strip (0: all steps) in the before/after tables."""
        if not 0 <= index < len(self._views):
            self._set_status(self._no_sample_text())
            return
        if self.step_bar.currentIndex() != index:
            self.step_bar.setCurrentIndex(index)  # comes back here through the signal
            return
        view = self._views[index]
        self.before_title.setText("<b>Before (sample)</b>" if index == 0
                                  else f"<b>Into {view.title}</b>")
        self.after_title.setText("<b>After all steps</b>" if index == 0
                                 else f"<b>Out of {view.title}</b>")
        self.before_model.set_records(view.before)
        self.before_model.set_column_marks(
            {**{old: ("renamed", f"renamed to {new}") for old, new in view.renamed.items()},
             **{c: ("dropped", "removed by the transform") for c in view.dropped}})
        origin = {new: old for old, new in view.renamed.items()}
        self.before_model.set_cell_marks({
            (line, origin.get(rej.field, rej.field)): ("mismatch", f"{rej.step}: {rej.message}")
            for line, rej in view.rejections.items() if rej.field and view.aligned})
        self.before_model.set_row_marks({}, [_row_label(r) for r in view.before_rows])
        self.after_model.set_records(view.after, columns=view.after_columns)
        col_marks = {c: ("added", "added by the transform") for c in view.added}
        col_marks.update({new: ("renamed", f"renamed from {old}") for old, new in view.renamed.items()})
        col_marks.update({c: ("converted", "converted by the transform") for c in view.converted})
        self.after_model.set_column_marks(col_marks)
        cells = {key: ("changed", f"value changed: {why}") for key, why in view.changed_cells.items()}
        cells.update({key: ("warning", why) for key, why in view.warning_cells.items()})
        self.after_model.set_cell_marks(cells)
        self.after_model.set_cell_badges(
            {key: ("converted", why) for key, why in view.retyped_cells.items()})
        self.after_model.set_row_marks(
            {line: (_FATE_MARKS[kind], text) for line, (kind, text) in view.fates.items()},
            [_row_label(r) for r in view.after_rows])
        self.after_table.clearSpans()
        width = len(view.after_columns)
        for line in view.fates if width > 1 else ():
            self.after_table.setSpan(line, 0, 1, width)  # the reason across the whole line
        self.detail.clear()
        self._set_status(self._summary(view, index == 0))

    def _summary(self, view: StepDiff, whole: bool) -> str:
        """The status line: counts as a dry run reports them, and what the view marks."""
        rejected = sum(1 for kind, _ in view.fates.values() if kind == "rejected")
        filtered = len(view.fates) - rejected
        preview = self.last_preview
        if whole and preview is not None:
            rejected, filtered = len(preview.rejected), preview.filtered
        text = (f"{view.title}: {view.count_in:,} in → {view.count_out:,} out · {rejected:,} "
                f"rejected · {filtered:,} filtered · {len(view.changed_cells):,} values changed "
                f"· {len(view.retyped_cells):,} type changes · {len(view.warning_cells):,} warnings")
        if whole and preview is not None:
            text += f" · {preview.seconds * 1000:.0f} ms"
        if not view.aligned:
            text += " · this step reshapes the records, so rows are not lined up"
        return text

    @Slot(int)
    def _on_step_bar_current_changed(self, index: int) -> None:
        self.show_step(index)

    @Slot(QModelIndex, QModelIndex)
    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        """Select the same line on the other side (aligned views) and describe it."""
        if not current.isValid() or not self._views:
            return
        view = self._views[self.step_bar.currentIndex()]
        line = current.row()
        if view.aligned:
            for table in (self.before_table, self.after_table):
                if table.currentIndex().row() != line:
                    table.selectRow(line)
        self.detail.setPlainText(self._describe(view, line, current.model() is self.after_model))

    @staticmethod
    def _describe(view: StepDiff, line: int, after_side: bool) -> str:
        """What happened to one line of ``view``, in words."""
        rows = view.after_rows if after_side or view.aligned else view.before_rows
        row = rows[line] if line < len(rows) else None
        head = "A record made by this step" if row is None else f"Sample row {row + 1}"
        if line in view.fates:
            out = [f"{head}: {view.fates[line][1]}"]
            rej = view.rejections.get(line)
            record = view.before[line]
            if rej is not None:
                out += [f"step: {rej.step}", f"reason: {rej.reason}", f"field: {rej.field or '—'}",
                        f"message: {rej.message}"]
                record = rej.record
            return "\n".join([*out, "", "record as the step got it:", pretty_json(record)])
        if not view.aligned and not after_side:
            return f"{head}: in"
        changes = [f"  {col}: {why}" for (n, col), why in view.changed_cells.items() if n == line]
        types = [f"  {col}: {why}" for (n, col), why in view.retyped_cells.items() if n == line]
        warns = [f"  {col}: {why}" for (n, col), why in view.warning_cells.items() if n == line]
        out = [f"{head}: kept"]
        for title, items in (("values changed", changes), ("type changes", types),
                             ("warnings", warns)):
            if items:
                out += [f"{title}:", *items]
        return "\n".join(out)

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
