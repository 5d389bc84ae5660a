"""The Tests and History docks (issue 19) and what a save sets off.

Every save of a pipeline becomes a revision (History) and runs its saved tests in the
background (Tests); a failing test marks the pipeline in the workspace list.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Slot

from .documents import PipelineDocument
from .run_history import RunEntry
from .views.history_panel import HistoryPanel
from .views.preview_panel import PreviewPanel
from .views.tests_panel import PipelineTestsPanel, SaveAsTestAction
from .views.transform_preview_panel import TransformPreviewPanel
from .workers.after_paint import AfterPaint

if TYPE_CHECKING:
    from .main_window import MainWindow


class HistoryAndTestsDocks(QObject):
    """Owns the Tests and History panels of one main window."""

    def __init__(self, window: MainWindow, preview: PreviewPanel) -> None:
        super().__init__(window)
        self.window = window
        self.tests = PipelineTestsPanel()
        self.history = HistoryPanel()
        self.docks = window.add_panel_docks((("tests", "Tests", self.tests, "Tests panel"),
                                             ("history", "History", self.history, "History panel")))
        self.save_as_test_action = SaveAsTestAction.for_preview(preview, self.tests)
        # The Before/after dock is in the window already: "Save as test…" on its tables too.
        self.before_after_test_action = SaveAsTestAction.for_before_after(
            window.findChild(TransformPreviewPanel), self.tests)
        self.after_paint = AfterPaint(self)
        self.tests.tests_finished.connect(self._on_tests_finished)
        self.tests.test_saved.connect(self._on_tests_test_saved)
        self.history.show_run_requested.connect(self._on_history_show_run_requested)

    def _workspace(self) -> Path | None:
        return self.window.workspace.root if self.window.workspace else None

    def set_document(self, doc: PipelineDocument) -> None:
        """Follow the selected pipeline; its saves record revisions and run its tests."""
        if not doc.property("history_tests_hooked"):
            doc.setProperty("history_tests_hooked", True)
            doc.saved.connect(self._on_document_saved)
        # The panels' jobs start once the switch has painted (only the latest switch's).
        self.after_paint.call(lambda: self._show_pipeline(doc))

    def _show_pipeline(self, doc: PipelineDocument) -> None:
        if self.window.current is doc:
            self.tests.set_pipeline(doc.path, self._workspace())
            self.history.set_pipeline(doc, self._workspace())

    @Slot()
    def _on_document_saved(self) -> None:
        doc = self.sender()
        workspace = self._workspace()
        if isinstance(doc, PipelineDocument) and workspace is not None:
            self.history.record_save(doc, workspace)
            self.tests.run_tests(doc.path)

    @Slot(str, int)
    def _on_tests_finished(self, folder: str, failed: int) -> None:
        ws, model = self.window.workspace, self.window.list_model
        info = next((p for p in ws.pipelines if p.path == Path(folder)), None) if ws else None
        if info is not None and model is not None:
            model.set_tests_failed(info.name, failed > 0)

    @Slot(str)
    def _on_tests_test_saved(self, _name: str) -> None:
        self.docks["tests"].show()
        self.docks["tests"].raise_()

    @Slot(object)
    def _on_history_show_run_requested(self, entry: RunEntry) -> None:
        """History ▸ Show the run: select it in the Runs panel and bring that dock up."""
        data = self.window.data_docks
        data.runs.show_entry(entry)
        data.docks["runs"].show()
        data.docks["runs"].raise_()
