"""``MainWindow``: pipeline list on the left, editor tabs in the centre, Problems/Log docks.

The bottom dock area is shared by Problems and Log now; Preview, Run and Dead letters docks are
added later with ``add_bottom_dock`` and tabify with them.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal, Slot
from PySide6.QtGui import QCloseEvent, QUndoGroup
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QDockWidget,
    QFileDialog,
    QHeaderView,
    QLabel,
    QListView,
    QMainWindow,
    QPlainTextEdit,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer import theme
from pycharter_gui.designer.actions import build_actions
from pycharter_gui.designer.data_docks import DataDocks
from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.draft_autosave import DraftAutosave
from pycharter_gui.designer.file_ops import PipelineFileOps
from pycharter_gui.designer.models.pipelines import (
    LEGEND_TEMPLATE,
    PipelineListModel,
    PipelineRole,
)
from pycharter_gui.designer.models.problems import ProblemRole, ProblemTableModel
from pycharter_gui.designer.settings import AppSettings
from pycharter_gui.designer.views import dialogs
from pycharter_gui.designer.views.pipeline_editor import PipelineEditor
from pycharter_gui.designer.workers.task import TaskHandle
from pycharter_gui.designer.workers.validation import ValidationController
from pycharter_gui.designer.workspace import Workspace
from pycharter_gui.etl_generator import ConfigProblem

log = logging.getLogger("pycharter_gui.designer")
APP_TITLE = "pycharter designer"
DRAFT_DELAY_MS = 1500


class _LogBridge(QObject, logging.Handler):
    """Logging handler whose records reach the Log dock through a queued signal."""

    emitted = Signal(str)

    def __init__(self) -> None:
        QObject.__init__(self)
        logging.Handler.__init__(self, logging.INFO)
        self.setFormatter(logging.Formatter("%(asctime)s  %(levelname)s  %(message)s",
                                            "%H:%M:%S"))

    def emit(self, record: logging.LogRecord) -> None:  # type: ignore[override]
        with contextlib.suppress(RuntimeError):  # the window is already gone
            self.emitted.emit(self.format(record))


class MainWindow(QMainWindow):
    """The designer window over one workspace."""

    def __init__(self, workspace: str | Path | None = None,
                 settings: AppSettings | None = None) -> None:
        super().__init__()
        self.settings = settings or AppSettings()
        self.workspace: Workspace | None = None
        self.list_model: PipelineListModel | None = None
        self.current: PipelineDocument | None = None
        self.problems_by_pipeline: dict[str, list[Any]] = {}
        self._run_action_tips: dict[str, str] = {}  # tooltips of preview/run while enabled
        self.setWindowTitle(APP_TITLE)
        self.undo_group = QUndoGroup(self)
        self.validation = ValidationController(self)
        self.validation.validated.connect(self._on_validation_validated)
        self.drafts = DraftAutosave(lambda: self.workspace, DRAFT_DELAY_MS, self)
        self.file_ops = PipelineFileOps(self)
        self._build_ui()
        self.actions_by_name = build_actions(self)
        self.view_menu.addAction(self.problems_dock.toggleViewAction())
        self.view_menu.addAction(self.log_dock.toggleViewAction())
        self.data_docks = DataDocks(self)
        self._restore_state()
        self.update_actions()
        if workspace is not None:
            self.open_workspace(workspace)

    # -- layout ----------------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.pipeline_list = QListView()
        self.pipeline_list.setAccessibleName("Pipeline list")
        self.pipeline_list.setObjectName("pipeline_list")
        self.pipeline_list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.pipeline_list.setMinimumWidth(180)
        self.editor = PipelineEditor()
        self.placeholder = QLabel("Open a workspace (File ▸ Open) or pick a pipeline on the left.")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("main_splitter")
        self.status_legend = QLabel(wordWrap=True)
        self.status_legend.setAccessibleName("Pipeline status legend")
        theme.set_rich_text(self.status_legend, LEGEND_TEMPLATE)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.pipeline_list, 1)
        left_layout.addWidget(self.status_legend)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 880])
        self.setCentralWidget(self.splitter)
        self.problem_model = ProblemTableModel(self)
        self.problems_view = QTableView()
        self.problems_view.setModel(self.problem_model)
        self.problems_view.setAccessibleName("Problems list")
        self.problems_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.problems_view.verticalHeader().setVisible(False)
        header = self.problems_view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        # sized by the rows in view: thousands of problems must not be measured on each change
        header.setResizeContentsPrecision(0)
        self.problems_view.doubleClicked.connect(self._on_problems_view_double_clicked)
        self.problems_dock = self.add_bottom_dock("Problems", self.problems_view)
        self.log_view = QPlainTextEdit()
        self.log_view.setReadOnly(True)
        self.log_view.setAccessibleName("Log")
        self.log_view.setMaximumBlockCount(5000)
        self.log_dock = self.add_bottom_dock("Log", self.log_view)
        self.problems_dock.raise_()
        self._log_bridge = _LogBridge()
        self._log_bridge.emitted.connect(self._on_log_emitted)
        log.addHandler(self._log_bridge)
        log.setLevel(logging.INFO)
        self.status_label = QLabel()
        self.statusBar().addPermanentWidget(self.status_label)

    def add_bottom_dock(self, title: str, widget: QWidget) -> QDockWidget:
        """Add a dock to the bottom area, tabified with the existing bottom docks."""
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{title.lower().replace(' ', '_')}")
        dock.setWidget(widget)
        existing = [d for d in self.findChildren(QDockWidget)
                    if d is not dock and self.dockWidgetArea(d) == Qt.DockWidgetArea.BottomDockWidgetArea]
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, dock)
        if existing:
            self.tabifyDockWidget(existing[0], dock)
        return dock

    def add_panel_docks(self, panels: Iterable[tuple[str, str, QWidget, str]]
                        ) -> dict[str, QDockWidget]:
        """A bottom dock, listed in the View menu, for each (key, title, panel, accessible
        name) of a data panel; the docks by key."""
        docks: dict[str, QDockWidget] = {}
        for key, title, panel, name in panels:
            panel.setAccessibleName(name)
            docks[key] = dock = self.add_bottom_dock(title, panel)
            # Panels scroll or squeeze rather than forcing a tall window (docks are tabified).
            panel.setMinimumSize(240, 80)
            self.view_menu.addAction(dock.toggleViewAction())
        return docks

    def _restore_state(self) -> None:
        if (geo := self.settings.geometry) is not None:
            self.restoreGeometry(geo)
        else:
            self.resize(1180, 760)
        if (state := self.settings.window_state) is not None:
            self.restoreState(state)
        else:  # the editor gets the room; the bottom docks start short
            self.resizeDocks([self.problems_dock], [170], Qt.Orientation.Vertical)
        if (split := self.settings.splitter_state) is not None:
            self.splitter.restoreState(split)
        self.set_theme(self.settings.theme, persist=False)

    def set_theme(self, scheme: str, persist: bool = True) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            theme.apply_theme(app, scheme)
        if persist:
            self.settings.theme = scheme
        for name in ("system", "light", "dark"):
            act = getattr(self, "actions_by_name", {}).get(f"theme_{name}")
            if act is not None:
                act.setChecked(name == scheme)

    # -- workspace -------------------------------------------------------------------------
    def open_workspace(self, root: str | Path) -> None:
        if self.workspace is not None and not self.file_ops.confirm_discard():
            return
        self._teardown_workspace()
        self.workspace = Workspace(root, self)
        self.list_model = PipelineListModel(self.workspace, self)
        self.pipeline_list.setModel(self.list_model)
        self.pipeline_list.selectionModel().currentChanged.connect(
            self._on_pipeline_list_current_changed)
        self.settings.add_recent_workspace(str(self.workspace.root))
        self._fill_recent_menu()
        log.info("Opened workspace %s (%d pipelines)", self.workspace.root,
                 len(self.workspace.pipelines))
        for info in self.workspace.pipelines:
            if not info.is_incomplete:  # documents open lazily; validate the files on disk
                self.validation.request_path(info.name, info.path)
        self.offer_draft_restore()
        if self.workspace.pipelines and self.current is None:
            names = [p.name for p in self.workspace.pipelines]
            last = self.settings.last_pipeline(str(self.workspace.root))
            self.select_pipeline(last if last in names else names[0])
        self._update_title()

    def _teardown_workspace(self) -> None:
        self.current = None
        self.editor.set_document(None)
        self.problem_model.set_problems([])
        self.problems_by_pipeline.clear()
        if self.workspace is not None:
            for doc in self.workspace.open_documents():
                self.undo_group.removeStack(doc.undo_stack)
            self.workspace.deleteLater()
        self.workspace = None

    def open_workspace_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open workspace")
        if folder:
            self.open_workspace(folder)

    def _fill_recent_menu(self) -> None:
        self.recent_menu.clear()
        for path in self.settings.recent_workspaces:
            act = self.recent_menu.addAction(path)
            act.triggered.connect(lambda _c=False, p=path: self.open_workspace(p))

    def select_pipeline(self, name: str) -> None:
        if self.list_model is None:
            return
        row = self.list_model.row_of(name)
        if row >= 0:
            self.pipeline_list.setCurrentIndex(self.list_model.index(row))

    @Slot(QModelIndex, QModelIndex)
    def _on_pipeline_list_current_changed(self, current: QModelIndex, _prev: QModelIndex) -> None:
        info = current.data(PipelineRole) if current.isValid() else None
        if info is None or self.workspace is None:
            self.show_document(None)
            return
        self.settings.set_last_pipeline(str(self.workspace.root), info.name)
        if info.is_incomplete:
            self.show_document(None)
            self.statusBar().showMessage(
                f"{info.name} is incomplete: missing {', '.join(info.missing)}", 8000)
            return
        self.show_document(self._attach(self.workspace.document(info.name)))

    def _attach(self, doc: PipelineDocument) -> PipelineDocument:
        if doc.property("attached"):
            return doc
        doc.setProperty("attached", True)
        self.undo_group.addStack(doc.undo_stack)
        doc.text_changed.connect(self._on_document_text_changed)
        doc.dirty_changed.connect(self._on_document_dirty_changed)
        doc.history_applied.connect(self._on_document_history_applied)
        return doc

    def show_document(self, doc: PipelineDocument | None) -> None:
        self.current = doc
        self.editor.set_document(doc)
        self.editor.setVisible(True)
        if doc is not None:
            self.undo_group.setActiveStack(doc.undo_stack)
        self.data_docks.set_document(doc)
        self._refresh_problems()
        self._update_title()
        self.update_actions()

    # -- drafts --------------------------------------------------------------------------
    def write_drafts(self) -> None:
        """Autosave unsaved texts aside (``.pycharter/drafts``) now; never touches the YAML
        files (``DraftAutosave`` does it on a worker after a pause in editing)."""
        self.drafts.write_now()

    def offer_draft_restore(self) -> list[str]:
        if self.workspace is None:
            return []
        names = self.workspace.pending_drafts()
        if not names:
            return []
        answer = dialogs.ask(
            self, "Restore unsaved changes?",
            "The designer closed with unsaved changes in: " + ", ".join(names)
            + ".\nRestore them? (They stay unsaved until you save.)",
            dialogs.Button.Yes | dialogs.Button.No, dialogs.Button.Yes)
        if answer != dialogs.Button.Yes:
            for name in names:
                self.workspace.clear_draft(name)
            return []
        for name in names:
            doc = self._attach(self.workspace.restore_draft(name))
            log.info("Restored unsaved changes of %s", name)
            self.refresh_document(doc)
        return names

    # -- document events --------------------------------------------------------------------
    @Slot(str)
    def _on_document_text_changed(self, kind: str) -> None:
        doc = self.sender()
        if isinstance(doc, PipelineDocument):
            self.validation.request(doc)
            if self.list_model is not None:
                self.list_model.refresh_row(doc.name)
            if doc is self.current:
                self._refresh_problems()
                self.data_docks.document_changed(doc, kind)
        self.drafts.schedule()

    def _on_document_history_applied(self, kind: str, undone: bool) -> None:
        """An undo/redo step changed ``kind``: when another file is on screen, show this one
        (its form, or its YAML tab while the YAML is shown) and say so."""
        doc, editor = self.sender(), self.editor
        if doc is not self.current:
            return
        page = editor.tabs.currentWidget()
        if page is editor.yaml_tabs:
            if editor.yaml_tabs.currentIndex() == KINDS.index(kind):
                return
            editor.yaml_tabs.setCurrentIndex(KINDS.index(kind))
        elif page is not editor.forms[kind]:
            editor.tabs.setCurrentWidget(editor.forms[kind])
        else:
            return
        self.statusBar().showMessage(
            f"{'Undo' if undone else 'Redo'} changed {kind}.yaml of {doc.name}; showing it",
            6000)

    def refresh_document(self, doc: PipelineDocument) -> None:
        """After ``doc`` was saved, reverted or restored: its list row, checks, title, actions."""
        if self.list_model is not None:
            self.list_model.refresh_row(doc.name)
        self.validation.request(doc)
        self._update_title()
        self.update_actions()

    def validate_current(self) -> None:
        if self.current is not None:
            self.validation.request(self.current, immediate=True)

    @Slot(bool)
    def _on_document_dirty_changed(self, _dirty: bool) -> None:
        doc = self.sender()
        if isinstance(doc, PipelineDocument) and self.list_model is not None:
            self.list_model.refresh_row(doc.name)
        self._update_title()
        self.update_actions()

    @Slot(str, list)
    def _on_validation_validated(self, name: str, problems: list) -> None:
        self.problems_by_pipeline[name] = problems
        if self.list_model is not None:
            self.list_model.set_problem_count(name, len(problems))
        if self.current is not None and self.current.name == name:
            self._refresh_problems()
        self.update_actions()

    def current_problems(self) -> list[Any]:
        doc = self.current
        if doc is None:
            return []
        problems = []
        for kind in doc.config_kinds():
            err = doc.parse_error(kind)
            if err is not None:
                problems.append(ConfigProblem(doc.file_path(kind).name, "", "YAML syntax error: "
                                              f"{err.message}", err.line))
        parsed = {p.file for p in problems}
        problems += [p for p in self.problems_by_pipeline.get(doc.name, [])
                     if p.file not in parsed]
        return problems

    def _refresh_problems(self) -> None:
        problems = self.current_problems()
        self.problem_model.set_problems(problems)
        self.editor.show_problems(problems)
        n = len(problems)
        self.problems_dock.setWindowTitle(f"Problems ({n})" if n else "Problems")
        self.status_label.setText(
            "" if self.current is None else (f"{n} problem{'s' if n != 1 else ''}" if n
                                             else "Configuration is valid"))
        self.update_actions()

    @Slot(QModelIndex)
    def _on_problems_view_double_clicked(self, index: QModelIndex) -> None:
        problem = index.data(ProblemRole)
        if problem is None or self.current is None:
            return
        kind = Path(problem.file or "extract.yaml").stem
        line = problem.line or self.current.line_of(kind, problem.key)
        self.editor.go_to(kind, line)

    @Slot(str)
    def _on_log_emitted(self, text: str) -> None:
        self.log_view.appendPlainText(text)

    # -- window chrome -----------------------------------------------------------------------
    def _update_title(self) -> None:
        parts = []
        if self.current is not None:
            parts.append(self.current.name + ("[*]"))
        if self.workspace is not None:
            parts.append(self.workspace.root.name)
        parts.append(APP_TITLE)
        self.setWindowTitle(" — ".join(parts))
        self.setWindowModified(bool(self.current and self.current.is_dirty()))

    def update_actions(self) -> None:
        acts = getattr(self, "actions_by_name", None)
        if not acts:
            return
        has_doc = self.current is not None
        dirty = has_doc and self.current.is_dirty()
        acts["save"].setEnabled(bool(dirty))
        acts["revert"].setEnabled(bool(dirty))
        acts["save_all"].setEnabled(bool(self.workspace and self.workspace.dirty_documents()))
        for k in ("validate", "duplicate", "rename", "delete"):
            acts[k].setEnabled(has_doc)
        acts["convert"].setEnabled(has_doc and self.current.single is not None)
        self._update_run_actions(acts)

    def _update_run_actions(self, acts: dict[str, Any]) -> None:
        """Preview, dry run and run need a valid configuration: off, saying why, until it is."""
        problems = self.current_problems() if self.current is not None else []
        why = ""
        if problems:
            first = problems[0]
            where = f"{first.file or ''} {first.key or ''}".strip()
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            why = f"Fix the configuration first — {where}: {first.message}{more}"
        for k in ("preview", "dry_run", "run"):
            action = acts.get(k)
            if action is None:
                continue
            tip = self._run_action_tips.setdefault(k, action.toolTip())
            action.setEnabled(self.current is not None and not problems)
            action.setToolTip(why or tip)

    def show_yaml_tab(self) -> None:
        self.editor.tabs.setCurrentIndex(self.editor.yaml_tab_index)

    def show_shortcuts(self) -> None:
        dlg = dialogs.ShortcutsDialog(list(self.actions_by_name.values()), self)
        dlg.open()
        self._shortcuts_dialog = dlg

    def show_about(self) -> None:
        dialogs.inform(self, "About", f"{APP_TITLE}\nDesign, check and save ETL pipelines.")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.file_ops.confirm_discard():
            event.ignore()
            return
        self.settings.geometry = self.saveGeometry()
        self.settings.window_state = self.saveState()
        self.settings.splitter_state = self.splitter.saveState()
        self.settings.sync()
        self.drafts.stop()
        self.validation.shutdown()
        TaskHandle.cancel_all(timeout=2.0)  # previews and runs stop; nothing half-written
        log.removeHandler(self._log_bridge)
        event.accept()
