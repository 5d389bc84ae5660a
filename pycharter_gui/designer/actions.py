"""Menus, toolbar and shortcuts of the main window, declared in one table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QApplication, QComboBox, QMenu, QStyle, QToolBar, QWidget

from pycharter_gui.designer import theme
from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.models.pipelines import PipelineRole

if TYPE_CHECKING:
    from pycharter_gui.designer.main_window import MainWindow

Std = QKeySequence.StandardKey
#: Edit menu entries acting on the focused widget: (key, text, method, shortcut shown).
_CLIPBOARD = (("cut", "Cu&t", "cut", Std.Cut), ("copy", "&Copy", "copy", Std.Copy),
              ("paste", "&Paste", "paste", Std.Paste),
              ("select_all", "Select &all", "selectAll", Std.SelectAll))
#: Pipeline list context menu (None: a separator); run actions are added by the data docks.
PIPELINE_MENU = ("open_folder", None, "duplicate", "rename", "delete", "convert", None, "dry_run",
                 "run")


def _focused_text_widget() -> QWidget | None:
    """The focused widget (an editable combo box's line edit), if any."""
    widget = QApplication.focusWidget()
    if isinstance(widget, QComboBox) and widget.lineEdit() is not None:
        return widget.lineEdit()
    return widget


def focused_edit(method: str) -> None:
    """Call ``method`` (cut, copy, paste, selectAll) on the focused widget when it has it."""
    call = getattr(_focused_text_widget(), method, None)
    if callable(call):
        call()


def _update_clipboard_actions(acts: dict[str, QAction]) -> None:
    widget = _focused_text_widget()
    read_only = bool(getattr(widget, "isReadOnly", lambda: False)())
    for key, _text, method, _keys in _CLIPBOARD:
        acts[key].setEnabled(callable(getattr(widget, method, None))
                             and not (read_only and method in ("cut", "paste")))


def open_find(win: MainWindow, replace: bool) -> None:
    """Show the find (or find and replace) bar of the YAML file on screen."""
    if win.current is None:
        return
    editor = win.editor
    editor.tabs.setCurrentWidget(editor.yaml_tabs)
    editor.find_bars[KINDS[editor.yaml_tabs.currentIndex()]].open(replace)


def open_pipeline_folder(win: MainWindow) -> None:
    """Open the selected pipeline's folder in the file manager."""
    info = win.pipeline_list.currentIndex().data(PipelineRole)
    if info is not None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(info.path)))


def pipeline_menu(win: MainWindow, index: QModelIndex) -> QMenu | None:
    """The context menu of the pipeline at ``index`` (selected first), from the window's actions."""
    if not index.isValid():
        return None
    win.pipeline_list.setCurrentIndex(index)
    menu = QMenu(win.pipeline_list)
    single = index.data(PipelineRole).file is not None
    for key in PIPELINE_MENU:
        if key == "convert" and not single:
            continue  # only a single-file pipeline converts to the folder format
        if key is None:
            menu.addSeparator()
        elif key in win.actions_by_name:
            menu.addAction(win.actions_by_name[key])
    return menu


def _on_pipeline_list_menu_requested(win: MainWindow, pos: QPoint) -> None:
    menu = pipeline_menu(win, win.pipeline_list.indexAt(pos))
    if menu is not None:
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(win.pipeline_list.viewport().mapToGlobal(pos))


def build_actions(win: MainWindow) -> dict[str, QAction]:
    """Create every action, its menu entry and (for some) a toolbar button."""
    style = win.style()
    sp = QStyle.StandardPixmap
    ops = win.file_ops
    acts: dict[str, QAction] = {}

    def make(key: str, text: str, slot: object, shortcut: object = None, tip: str = "",
             icon: object = None) -> QAction:
        a = QAction(text, win)
        if shortcut is not None:
            shortcuts = shortcut if isinstance(shortcut, list) else [shortcut]
            a.setShortcuts([QKeySequence(s) for s in shortcuts])
        if tip:
            a.setStatusTip(tip)
            a.setToolTip(tip)
        if icon is not None:
            a.setIcon(style.standardIcon(icon))
        if slot is not None:
            a.triggered.connect(slot)
        a.setObjectName(f"action_{key}")
        acts[key] = a
        return a

    make("new", "&New pipeline from template…", ops.new_pipeline, Std.New,
         "Create a pipeline from a commented template", sp.SP_FileIcon)
    make("open", "&Open workspace…", win.open_workspace_dialog, Std.Open,
         "Open a folder of pipelines", sp.SP_DirOpenIcon)
    make("save", "&Save", ops.save_current, Std.Save, "Save the selected pipeline",
         sp.SP_DialogSaveButton)
    make("save_all", "Save A&ll", ops.save_all, "Ctrl+Shift+S", "Save every changed pipeline")
    make("revert", "&Revert", ops.revert_current, None, "Drop unsaved changes of this pipeline")
    make("review", "Re&view changes…", ops.review_current, None,
         "Show what saving this pipeline writes, file by file")
    make("review_before_save", "Review changes &before saving", ops.set_review_before_save, None,
         "Show what each save writes and save only on Save").setCheckable(True)
    acts["review_before_save"].setChecked(win.settings.review_before_save)
    acts["save"].enabledChanged.connect(acts["review"].setEnabled)  # on when there is a change
    make("quit", "&Quit", win.close, Std.Quit)
    undo = win.undo_group.createUndoAction(win, "&Undo")
    undo.setShortcuts([QKeySequence(Std.Undo)])
    theme.set_icon(undo, "undo")
    redo = win.undo_group.createRedoAction(win, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    theme.set_icon(redo, "redo")
    acts["undo"], acts["redo"] = undo, redo
    make("validate", "&Check now", win.validate_current, "Ctrl+Shift+V",
         "Check the selected pipeline's configuration", sp.SP_DialogApplyButton)
    make("preview", "&Preview", None, "F5", "Preview the first records of the source (F5)")
    make("duplicate", "&Duplicate…", ops.duplicate_current, None, "Copy this pipeline")
    make("rename", "Re&name…", ops.rename_current, "F2", "Rename this pipeline's folder")
    make("delete", "De&lete…", ops.delete_current, None,
         "Move this pipeline to the workspace trash")
    make("convert", "&Convert to folder format…", ops.convert_current, None,
         "Write this pipeline.yaml / steps / v2 pipeline as extract, transform and load files "
         "(reviewed first; the original goes to the trash)")
    make("open_folder", "&Open folder", lambda: open_pipeline_folder(win), None,
         "Show this pipeline's folder in the file manager", sp.SP_DirIcon)
    make("find", "&Find…", lambda: open_find(win, False), Std.Find,
         "Find in the YAML file on screen (Ctrl+F)")
    make("replace", "R&eplace…", lambda: open_find(win, True), "Ctrl+H",
         "Find and replace in the YAML file on screen (Ctrl+H)")
    for key, text, method, keys in _CLIPBOARD:
        # the shortcut is only shown: text widgets handle their own keys (no ambiguous shortcut)
        make(key, f"{text}\t{QKeySequence(keys).toString(QKeySequence.SequenceFormat.NativeText)}",
             lambda _c=False, m=method: focused_edit(m))
    make("reveal_yaml", "Show &YAML", win.show_yaml_tab, "Ctrl+Shift+Y", "Show the YAML tab")
    make("shortcuts", "&Keyboard shortcuts", win.show_shortcuts, "Ctrl+/")
    make("about", "&About", win.show_about)
    for scheme in ("system", "light", "dark"):
        a = make(f"theme_{scheme}", f"{scheme.capitalize()} theme",
                 lambda _c=False, s=scheme: win.set_theme(s))
        a.setCheckable(True)

    mb = win.menuBar()
    file_menu = mb.addMenu("&File")
    for k in ("new", "open"):
        file_menu.addAction(acts[k])
    win.recent_menu = QMenu("Open &recent", win)
    file_menu.addMenu(win.recent_menu)
    file_menu.addSeparator()
    for k in ("save", "save_all", "revert", "review", "review_before_save"):
        file_menu.addAction(acts[k])
    file_menu.addSeparator()
    file_menu.addAction(acts["quit"])
    edit_menu = mb.addMenu("&Edit")
    edit_menu.addAction(undo)
    edit_menu.addAction(redo)
    edit_menu.addSeparator()
    for key, *_rest in _CLIPBOARD:
        edit_menu.addAction(acts[key])
    edit_menu.addSeparator()
    edit_menu.addAction(acts["find"])
    edit_menu.addAction(acts["replace"])
    edit_menu.aboutToShow.connect(lambda: _update_clipboard_actions(acts))
    view_menu = mb.addMenu("&View")
    view_menu.addAction(acts["reveal_yaml"])
    win.view_menu = view_menu
    theme_menu = view_menu.addMenu("&Theme")
    for scheme in ("system", "light", "dark"):
        theme_menu.addAction(acts[f"theme_{scheme}"])
    view_menu.addSeparator()
    pipe_menu = mb.addMenu("&Pipeline")
    for k in ("validate", "preview", "duplicate", "rename", "delete", "convert", "open_folder"):
        pipe_menu.addAction(acts[k])
    help_menu = mb.addMenu("&Help")
    help_menu.addAction(acts["shortcuts"])
    help_menu.addAction(acts["about"])

    tb = QToolBar("Main toolbar", win)
    tb.setObjectName("main_toolbar")
    tb.setMovable(False)
    for k in ("new", "open", "save"):
        tb.addAction(acts[k])
    tb.addSeparator()
    tb.addAction(undo)
    tb.addAction(redo)
    tb.addSeparator()
    tb.addAction(acts["validate"])
    tb.widgetForAction(acts["save"]).setAccessibleName("Save")
    win.addToolBar(tb)
    win.toolbar = tb
    win.pipeline_list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    win.pipeline_list.customContextMenuRequested.connect(
        lambda pos: _on_pipeline_list_menu_requested(win, pos))
    return acts
