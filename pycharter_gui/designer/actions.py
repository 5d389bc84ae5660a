"""Menus, toolbar and shortcuts of the main window, declared in one table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from pycharter_gui.designer import theme

if TYPE_CHECKING:
    from pycharter_gui.designer.main_window import MainWindow

Std = QKeySequence.StandardKey


def build_actions(win: MainWindow) -> dict[str, QAction]:
    """Create every action, its menu entry and (for some) a toolbar button."""
    style = win.style()
    sp = QStyle.StandardPixmap
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

    make("new", "&New pipeline from template…", win.new_pipeline, Std.New,
         "Create a pipeline from a commented template", sp.SP_FileIcon)
    make("open", "&Open workspace…", win.open_workspace_dialog, Std.Open,
         "Open a folder of pipelines", sp.SP_DirOpenIcon)
    make("save", "&Save", win.save_current, Std.Save, "Save the selected pipeline",
         sp.SP_DialogSaveButton)
    make("save_all", "Save A&ll", win.save_all, "Ctrl+Shift+S", "Save every changed pipeline")
    make("revert", "&Revert", win.revert_current, None, "Drop unsaved changes of this pipeline")
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
    make("duplicate", "&Duplicate…", win.duplicate_current, None, "Copy this pipeline")
    make("rename", "Re&name…", win.rename_current, "F2", "Rename this pipeline's folder")
    make("delete", "De&lete…", win.delete_current, None,
         "Move this pipeline to the workspace trash")
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
    for k in ("save", "save_all", "revert"):
        file_menu.addAction(acts[k])
    file_menu.addSeparator()
    file_menu.addAction(acts["quit"])
    edit_menu = mb.addMenu("&Edit")
    edit_menu.addAction(undo)
    edit_menu.addAction(redo)
    view_menu = mb.addMenu("&View")
    view_menu.addAction(acts["reveal_yaml"])
    win.view_menu = view_menu
    theme_menu = view_menu.addMenu("&Theme")
    for scheme in ("system", "light", "dark"):
        theme_menu.addAction(acts[f"theme_{scheme}"])
    view_menu.addSeparator()
    pipe_menu = mb.addMenu("&Pipeline")
    for k in ("validate", "preview", "duplicate", "rename", "delete"):
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
    return acts
