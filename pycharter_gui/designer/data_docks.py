"""The data docks of the main window: Preview, Transform preview, JSONata, Run, Runs.

``DataDocks`` creates the panels, tabifies them with Problems/Log in the bottom area, wires
them to each other, and keeps them pointed at the selected pipeline (with its unsaved texts).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Slot
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QLineEdit, QToolBar, QToolButton

from pycharter_gui.designer import theme
from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.history_tests_docks import HistoryAndTestsDocks
from pycharter_gui.designer.views.dead_letter_panel import DeadLetterPanel
from pycharter_gui.designer.views.jsonata_console import JsonataConsole
from pycharter_gui.designer.views.preview_panel import PreviewPanel
from pycharter_gui.designer.views.run_panel import RunPanel
from pycharter_gui.designer.views.runs_panel import RunsPanel
from pycharter_gui.designer.views.transform_preview_panel import TransformPreviewPanel
from pycharter_gui.designer.workers.after_paint import AfterPaint

if TYPE_CHECKING:
    from pycharter_gui.designer.main_window import MainWindow


class DataDocks(QObject):
    """Owns the data panels of one main window."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.preview = PreviewPanel()
        self.transform_preview = TransformPreviewPanel()
        self.jsonata = JsonataConsole()
        self.run_panel = RunPanel()
        self.runs = RunsPanel()
        self.dead_letters = DeadLetterPanel()
        self.docks = window.add_panel_docks((
            ("preview", "Preview", self.preview, "Preview panel"),
            ("transform", "Before / after", self.transform_preview, "Transform preview panel"),
            ("jsonata", "JSONata", self.jsonata, "JSONata console"),
            ("run", "Run", self.run_panel, "Run panel"),
            ("runs", "Runs", self.runs, "Runs panel"),
            ("dead_letters", "Dead letters", self.dead_letters, "Dead letters panel"),
        ))
        for dock in self.docks.values():
            dock.visibilityChanged.connect(self._on_data_dock_visibility_changed)
        self.history_tests = HistoryAndTestsDocks(window, self.preview)
        window.problems_dock.raise_()
        self.preview.sample_changed.connect(self._on_preview_sample_changed)
        self.jsonata.apply_requested.connect(self._on_jsonata_apply_requested)
        self.preview.preview_started.connect(self._on_preview_preview_started)
        self.run_panel.history_changed.connect(self.runs.refresh)
        self.run_panel.run_started.connect(self._on_run_panel_run_started)
        self.run_panel.running_changed.connect(self._on_run_panel_running_changed)
        self.run_panel.run_finished.connect(self._on_run_panel_run_finished)
        self.run_panel.dead_letters_requested.connect(self._on_dead_letters_requested)
        self.runs.dead_letters_requested.connect(self._on_dead_letters_requested)
        self._folder = None
        self._dlq_stale = True
        self.after_paint = AfterPaint(self)
        self.docks["dead_letters"].visibilityChanged.connect(self._on_dead_letters_visibility_changed)
        self._add_actions()

    def _add_actions(self) -> None:
        acts = self.window.actions_by_name
        preview = acts["preview"]
        preview.setEnabled(True)
        preview.setToolTip("Preview the first records of the source (F5)")
        preview.triggered.connect(self.preview.start_preview)
        self.preview.preview_action.setShortcut(QKeySequence())  # the window's F5 owns the key
        dry = self.window.addAction("Dry &run")
        dry.setShortcut(QKeySequence("Ctrl+R"))
        dry.setToolTip("Run the whole pipeline without writing anything (Ctrl+R)")
        dry.triggered.connect(self._on_dry_run_triggered)
        real = self.window.addAction("R&un…")
        real.setShortcut(QKeySequence("Ctrl+Shift+R"))
        real.setToolTip("Run the pipeline and write to its target (asks first)")
        real.triggered.connect(self._on_run_triggered)
        acts["dry_run"], acts["run"] = dry, real
        pipe_menu = next(m for m in self.window.menuBar().findChildren(type(self.window.view_menu))
                         if m.title() == "&Pipeline")
        pipe_menu.insertAction(acts["duplicate"], dry)
        pipe_menu.insertAction(acts["duplicate"], real)
        pipe_menu.insertSeparator(acts["duplicate"])
        theme.set_icon(preview, "preview")  # themed: Qt's stock icons are dark on dark
        theme.set_icon(dry, "dry-run")
        self.params_edit = QLineEdit()
        self.params_edit.setAccessibleName("Run parameters")
        self.params_edit.setToolTip("Input parameters for previews and runs, e.g. day=2024-01-31, "
                                    "region=eu (the pipeline's input_params; defaults apply)")
        self.params_edit.setMaximumWidth(360)
        self.params_edit.editingFinished.connect(self._on_params_edit_editing_finished)
        toolbar = self.window.findChild(QToolBar)
        if toolbar is not None:
            toolbar.addSeparator()
            for action in (preview, dry):
                toolbar.addAction(action)
            toolbar.addWidget(self.params_edit)
            # The pipeline verbs are words beside their icons: an analyst should not guess them.
            for action in (acts["validate"], preview, dry):
                button = toolbar.widgetForAction(action)
                if isinstance(button, QToolButton):
                    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)

    # -- following the selected pipeline ---------------------------------------------------
    def set_document(self, doc: PipelineDocument | None) -> None:
        """Point every panel at ``doc`` (None: nothing selected)."""
        if doc is None:
            return
        texts = doc.texts() if doc.is_dirty() else None
        workspace = self.window.workspace.root if self.window.workspace else None
        self.preview.set_pipeline(doc.path, texts)
        self.transform_preview.set_pipeline(doc.path, texts, workspace)
        self.run_panel.set_pipeline(doc.path, texts, workspace)
        if workspace is not None:
            self.runs.set_workspace(workspace)
        self.runs.set_pipeline(doc.path)
        self.jsonata.set_pipeline(doc.path, *self._jsonata_of(doc))
        self.jsonata.set_transform(doc.text("transform"))
        self.history_tests.set_document(doc)
        self._show_declared_params(doc)
        if self._folder != doc.path:
            self._folder, self._dlq_stale = doc.path, True
            if self.docks["dead_letters"].isVisible():  # its queue opens once the switch painted
                self.after_paint.call(self._open_dead_letters_if_stale)

    def _open_dead_letters_if_stale(self) -> None:
        if self._dlq_stale and self.docks["dead_letters"].isVisible():
            self._open_dead_letters()

    def document_changed(self, doc: PipelineDocument, kind: str) -> None:
        """The selected pipeline's text changed: previews follow without a new extraction."""
        texts = doc.texts()
        workspace = self.window.workspace.root if self.window.workspace else None
        self.preview.set_pipeline(doc.path, texts)
        self.run_panel.set_pipeline(doc.path, texts, workspace)
        if kind == "transform":
            self.transform_preview.set_transform(doc.text("transform"))
            self.jsonata.set_transform(doc.text("transform"))
            self._sync_jsonata(doc)
        else:
            self.transform_preview.set_pipeline(doc.path, texts, workspace)

    def _show_declared_params(self, doc: PipelineDocument) -> None:
        declared = doc.data("extract").get("input_params")
        names = list(declared) if isinstance(declared, (dict, list)) else []
        names = [n if isinstance(n, str) else str(n) for n in names]
        self.params_edit.setPlaceholderText(
            "parameters: " + ", ".join(f"{n}=…" for n in names) if names else "no input parameters")

    @Slot()
    def _on_params_edit_editing_finished(self) -> None:
        params, bad = parse_params(self.params_edit.text())
        if bad:
            self.window.statusBar().showMessage(
                f"Parameters are written name=value, separated by commas: cannot read {bad!r}", 8000)
            return
        self.preview.set_params(params)
        self.run_panel.set_params(params)

    @Slot(str, str)
    def _on_jsonata_apply_requested(self, expression: str, mode: str) -> None:
        doc = self.window.current
        if doc is None or not expression.strip():
            return
        if doc.parse_error("transform") is not None or not isinstance(doc.raw_data("transform"),
                                                                        dict | None):
            self.window.statusBar().showMessage(
                "transform.yaml does not parse as a mapping: fix it in the YAML tab first.", 8000)
            return
        doc.undo_stack.beginMacro("Use the JSONata expression")  # one Undo takes it back
        doc.set_value("transform", "jsonata.expression", expression)
        doc.set_value("transform", "jsonata.mode", mode)
        doc.undo_stack.endMacro()
        self.window.statusBar().showMessage("JSONata expression written to transform.yaml "
                                            "(not saved yet).", 5000)

    def _sync_jsonata(self, doc: PipelineDocument) -> None:
        expression, mode = self._jsonata_of(doc)
        if expression:
            self.jsonata.set_expression(expression, mode)

    @staticmethod
    def _jsonata_of(doc: PipelineDocument) -> tuple[str, str]:
        """The JSONata expression and mode in ``doc``'s transform.yaml (``""`` when none)."""
        jsonata = doc.value("transform", "jsonata")
        if isinstance(jsonata, dict) and isinstance(jsonata.get("expression"), str):
            return jsonata["expression"], str(jsonata.get("mode") or "batch")
        return "", "batch"

    # -- room for data ---------------------------------------------------------------------------
    @Slot(bool)
    def _on_data_dock_visibility_changed(self, visible: bool) -> None:
        """A data table needs room: grow the bottom area to ~45% of the window when raised."""
        dock = self.sender()
        if not visible or dock is None:
            return
        wanted = int(self.window.height() * 0.45)
        if dock.height() < wanted * 0.8:
            self.window.resizeDocks([dock], [wanted], Qt.Orientation.Vertical)

    # -- actions ---------------------------------------------------------------------------------
    @Slot()
    def _on_preview_preview_started(self) -> None:
        self.docks["preview"].show()
        self.docks["preview"].raise_()

    @Slot(object)
    def _on_preview_sample_changed(self, records: object) -> None:
        """The preview's sample is its pipeline's: kept for it even before the panels follow."""
        self.transform_preview.set_sample(records, self.preview.folder)
        self.jsonata.set_sample(records, self.preview.folder)

    @Slot(bool)
    def _on_run_panel_run_started(self, _dry_run: bool) -> None:
        self.docks["run"].show()
        self.docks["run"].raise_()

    @Slot(object, bool)
    def _on_run_panel_running_changed(self, folder: object, running: bool) -> None:
        if self.window.list_model is not None:
            self.window.list_model.set_running(folder, running)

    @Slot()
    def _on_dry_run_triggered(self) -> None:
        self.run_panel.start_run(dry_run=True)

    @Slot()
    def _on_run_triggered(self) -> None:
        self.run_panel.start_run(dry_run=False)

    # -- dead letters ----------------------------------------------------------------------------
    def _open_dead_letters(self) -> None:
        """Open the selected pipeline's DLQ (opening pages through it in a worker)."""
        if self._folder is not None:
            self.dead_letters.open_pipeline(self._folder)
            self._dlq_stale = False

    @Slot(bool)
    def _on_dead_letters_visibility_changed(self, visible: bool) -> None:
        if visible and self._dlq_stale:
            self._open_dead_letters()

    @Slot(object)
    def _on_run_panel_run_finished(self, result: object) -> None:
        self._dlq_stale = True  # a real run may have added dead letters

    @Slot(str)
    def _on_dead_letters_requested(self, run_id: str) -> None:
        result = self.run_panel.last_result or {}
        dock = self.docks["dead_letters"]
        self._dlq_stale = False  # showing the dock must not reopen the pipeline's DLQ over this
        dock.show()
        dock.raise_()
        if result.get("run_id") == run_id and result.get("dry_run") and result.get("dead_letters") is not None:
            # A dry run's dead letters live only in memory: show that queue.
            self.dead_letters.open_queue(result["dead_letters"], pipeline_dir=self._folder)
            self.dead_letters.show_run(run_id)  # replaces a run filter left from earlier
            self._dlq_stale = True  # next time the dock opens, show the pipeline's own DLQ
        else:
            self._open_dead_letters()
            self.dead_letters.show_run(run_id)


def parse_params(text: str) -> tuple[dict[str, str], str | None]:
    """``"a=1, b=x"`` → ``({"a": "1", "b": "x"}, None)``; the first unreadable part otherwise."""
    params: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            return {}, part
        params[key.strip()] = value.strip()
    return params, None
