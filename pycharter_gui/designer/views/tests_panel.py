"""Tests panel: a pipeline's saved test cases with pass/fail, the changed cells, Accept.

Cases live beside the pipeline (``tests/<name>/``, see the engine's ``pipeline_tests``). They
run on the async loop through ``TaskHandle`` (never on the GUI thread): on Run tests, after
"Save as test…" and after every save of a pipeline. ``SaveAsTestAction`` puts "Save as test…"
in the context menu of the Preview and Before/after tables: the selected rows, or the whole
sample.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.etl_generator import (
    PipelineTestResult,
    accept_test_output,
    run_pipeline_tests,
    save_pipeline_test,
)

from .. import theme
from ..models.records_table_model import RecordRole
from ..trust import workspace_trust
from ..workers.blocking import BlockingJob
from ..workers.task import TaskHandle
from . import dialogs
from .message_bar import MessageBar, describe_error
from .preview_panel import PreviewPanel
from .transform_preview_panel import TransformPreviewPanel

ResultRole = Qt.ItemDataRole.UserRole
STATUS_COLOR = {"passed": "ok", "failed": "error", "error": "error", "skipped": "muted"}  # theme roles
KIND_TEXT = {"changed": "changed", "missing": "missing row", "extra": "extra row",
             "to_dead_letters": "now a dead letter", "from_dead_letters": "no longer a dead letter",
             "dead_letter_changed": "dead letter changed", "missing_dead_letter": "missing dead letter",
             "extra_dead_letter": "extra dead letter"}
_DIFF_HEADERS = ["Row", "Field", "Change", "Expected", "Actual"]
Records = list[dict[str, Any]]


def _cell(value: Any) -> str:
    if isinstance(value, str):
        return value
    return repr(value) if type(value).__name__ == "_Absent" else json.dumps(value, default=str)


class PipelineTestsPanel(QWidget):
    """The test cases of the selected pipeline and their last results.

    Signals: ``tests_finished(folder, failed)`` after each run (also of a pipeline not shown),
    ``test_saved(name)`` after "Save as test".
    """

    tests_finished = Signal(str, int)
    test_saved = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.workspace: Path | None = None
        self._handles: dict[Path, TaskHandle] = {}  # one run per pipeline; a new one cancels it
        self._accept_job: BlockingJob | None = None
        self.run_button = QPushButton("Run tests", clicked=self.run_tests)
        self.accept_button = QPushButton("Accept new output", enabled=False,
                                         clicked=self.accept_selected,
                                         toolTip="Make this test's actual output its expectation")
        self.status_label = QLabel("No pipeline selected.")
        self.cases = QTreeWidget(rootIsDecorated=False, alternatingRowColors=True)
        self.cases.setHeaderLabels(["Test", "Result", "Differences"])
        self.cases.setAccessibleName("Test cases")
        self.cases.currentItemChanged.connect(self._on_cases_current_item_changed)
        self.diff_table = QTableWidget(0, len(_DIFF_HEADERS))
        self.diff_table.setHorizontalHeaderLabels(_DIFF_HEADERS)
        self.diff_table.setAccessibleName("Changed cells")
        self.diff_table.verticalHeader().setVisible(False)
        self.diff_table.verticalHeader().setDefaultSectionSize(22)
        self.diff_table.setWordWrap(False)
        self.diff_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.diff_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.diff_table.horizontalHeader().setStretchLastSection(True)
        self.message_bar = MessageBar(self)
        bar = QHBoxLayout()
        bar.addWidget(self.run_button)
        bar.addWidget(self.accept_button)
        bar.addWidget(self.status_label, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.cases)
        splitter.addWidget(self.diff_table)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(splitter, 1)

    # -- public API ----------------------------------------------------------------------------
    def set_pipeline(self, folder: Path | None, workspace: Path | None) -> None:
        """Show ``folder``'s tests (run in the background when it changes)."""
        if folder == self.folder:
            return
        self.folder, self.workspace = folder, workspace
        self.cases.clear()
        self.diff_table.setRowCount(0)
        self.message_bar.clear()
        if folder is not None:
            self.run_tests()

    def results(self) -> list[PipelineTestResult]:
        """The results shown, by test name."""
        return [self.cases.topLevelItem(i).data(0, ResultRole)
                for i in range(self.cases.topLevelItemCount())]

    @Slot()
    def run_tests(self, folder: Path | None = None) -> None:
        """Run every test of ``folder`` (default: the pipeline shown) on the async loop."""
        folder = folder or self.folder
        if folder is None:
            return
        trusted = workspace_trust().is_trusted(self.workspace)
        self._start(folder, lambda _r: run_pipeline_tests(folder, trusted=trusted))

    def save_as_test(self, name: str, records: list[dict[str, Any]]) -> None:
        """Save ``records`` with the pipeline's current output as test ``name``, then run."""
        folder = self.folder
        if folder is None or not records:
            self.message_bar.show_message("Preview a sample first: a test needs input rows.", "info")
            return

        trusted = workspace_trust().is_trusted(self.workspace)

        async def work(_reporter: Any) -> list[PipelineTestResult]:
            await save_pipeline_test(folder, name, records)
            return await run_pipeline_tests(folder, trusted=trusted)

        self._start(folder, work)
        self.test_saved.emit(name)

    @Slot()
    def accept_selected(self) -> None:
        """Rewrite the selected failed test's expectation with its actual output, then rerun."""
        item = self.cases.currentItem()
        result = item.data(0, ResultRole) if item is not None else None
        if result is None or result.actual is None:
            return
        job = BlockingJob(lambda: accept_test_output(result))
        job.signals.succeeded.connect(self._on_accept_job_succeeded)
        job.signals.failed.connect(self._on_accept_job_failed)
        self._accept_job = job.start()

    # -- running -------------------------------------------------------------------------------
    def _start(self, folder: Path, work: Any) -> None:
        old = self._handles.get(folder)
        if old is not None:
            old.cancel()
        handle = TaskHandle(work, self, name="pipeline-tests")
        handle.setProperty("folder", str(folder))
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        self._handles[folder] = handle.start()
        if folder == self.folder:
            self.status_label.setText("Running tests…")
            self.run_button.setEnabled(False)

    def _take(self) -> tuple[Path, bool]:
        """The finished task's pipeline, and whether it is that pipeline's latest run."""
        handle = self.sender()
        folder = Path(handle.property("folder"))
        latest = self._handles.get(folder) is handle
        if latest:
            del self._handles[folder]
            if folder == self.folder:
                self.run_button.setEnabled(True)
        return folder, latest

    @Slot(object)
    def _on_task_succeeded(self, results: object) -> None:
        folder, latest = self._take()
        if not latest:
            return
        results = list(results)  # type: ignore[call-overload]
        self.tests_finished.emit(str(folder), sum(r.status in ("failed", "error") for r in results))
        if folder == self.folder:
            self._show_results(results)

    @Slot(object)
    def _on_task_failed(self, exc: object) -> None:
        folder, latest = self._take()
        if latest and folder == self.folder:
            self.status_label.setText("Tests could not run.")
            self.message_bar.show_message(describe_error(exc), "error")  # type: ignore[arg-type]

    @Slot(object)
    def _on_accept_job_succeeded(self, _value: object) -> None:
        self._accept_job = None
        self.message_bar.show_message("New output accepted as the expectation.", "info")
        self.run_tests()

    @Slot(str)
    def _on_accept_job_failed(self, error: str) -> None:
        self._accept_job = None
        self.message_bar.show_message(f"Could not accept the output: {error}", "error")

    # -- showing -------------------------------------------------------------------------------
    def _show_results(self, results: list[PipelineTestResult]) -> None:
        current = self.cases.currentItem()
        keep = current.text(0) if current is not None else None
        self.cases.clear()
        for res in results:
            item = QTreeWidgetItem([res.name, res.status, str(len(res.differences)) if
                                    res.differences else ""])
            item.setData(0, ResultRole, res)
            item.setForeground(1, theme.qcolor(STATUS_COLOR.get(res.status, "muted")))
            item.setToolTip(1, res.message or res.status)
            self.cases.addTopLevelItem(item)
        self.cases.resizeColumnToContents(0)
        passed = sum(r.passed for r in results)
        self.status_label.setText(f"{passed} of {len(results)} tests pass" if results else
                                  "No tests yet: right-click the Preview table ▸ Save as test…")
        failing = [i for i, r in enumerate(results) if not r.passed]
        names = [r.name for r in results]
        row = names.index(keep) if keep in names else (failing[0] if failing else 0)
        if results:
            self.cases.setCurrentItem(self.cases.topLevelItem(row))
        else:
            self.diff_table.setRowCount(0)

    @Slot(QTreeWidgetItem, QTreeWidgetItem)
    def _on_cases_current_item_changed(self, current: QTreeWidgetItem | None,
                                       _previous: QTreeWidgetItem | None) -> None:
        result = current.data(0, ResultRole) if current is not None else None
        self.accept_button.setEnabled(result is not None and result.status == "failed")
        diffs = result.differences if result is not None else []
        if result is not None and result.status in ("error", "skipped"):
            self.message_bar.show_message(f"{result.name}: {result.message}", "warning")
        self.diff_table.setRowCount(len(diffs))
        for row, diff in enumerate(diffs):
            values = ["" if diff.row is None else str(diff.row), diff.field or "",
                      KIND_TEXT.get(diff.kind, diff.kind), _cell(diff.expected),
                      _cell(diff.actual)]
            for col, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setToolTip(diff.describe())
                self.diff_table.setItem(row, col, cell)
        self.diff_table.resizeColumnsToContents()
        for col in range(self.diff_table.columnCount()):  # whole records stay readable in tooltips
            self.diff_table.setColumnWidth(col, min(self.diff_table.columnWidth(col), 320))


class SaveAsTestAction(QAction):
    """"Save as test…" in the context menu of tables showing the sample (Preview, Before/after):
    the selected rows when more than one is selected, else the whole sample."""

    def __init__(self, parent: QWidget, tables: list[QTableView], sample: Callable[[], Records],
                 selected: Callable[[], Records], tests: PipelineTestsPanel) -> None:
        super().__init__("Save as test…", parent)
        self.parent_widget, self.sample, self.selected, self.tests = parent, sample, selected, tests
        self.setToolTip("Freeze these input rows and the pipeline's current output as a test")
        self.triggered.connect(self._on_triggered)
        for table in tables:
            table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
            table.addAction(self)

    @classmethod
    def for_preview(cls, preview: PreviewPanel, tests: PipelineTestsPanel) -> SaveAsTestAction:
        """On the Preview table: its selected rows are sample records."""
        def selected() -> Records:
            model = preview.table.model()
            rows = sorted({i.row() for i in preview.table.selectionModel().selectedIndexes()})
            return [model.index(r, 0).data(RecordRole) for r in rows]
        return cls(preview, [preview.table], preview.sample, selected, tests)

    @classmethod
    def for_before_after(cls, panel: TransformPreviewPanel,
                         tests: PipelineTestsPanel) -> SaveAsTestAction:
        """On both Before/after tables: a selected line stands for its sample row."""
        def selected() -> Records:
            sample = panel.sample()
            return [sample[row] for row in panel.selected_sample_rows()]
        return cls(panel, [panel.before_table, panel.after_table], panel.sample, selected, tests)

    def chosen_records(self) -> Records:
        """The selected rows when more than one is selected, else the whole sample."""
        chosen = self.selected()
        return chosen if len(chosen) > 1 else self.sample()

    @Slot()
    def _on_triggered(self) -> None:
        records = self.chosen_records()
        what = (f"{len(records)} selected rows" if len(records) < len(self.sample())
                else f"the whole sample, {len(records)} rows")
        name = dialogs.ask_text(self.parent_widget, "Save as test",
                                f"Name of the test ({what}; its expected output is what the saved "
                                "pipeline makes of them now):", "sample")
        if name:
            self.tests.save_as_test(name.strip(), records)
