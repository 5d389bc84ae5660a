"""Editor habits an analyst expects (issue 12, Looks and habits): find/replace, auto-indent,
the pipeline context menu, Cut/Copy/Paste in the Edit menu, the last pipeline restored on
restart, a legend for the status dots, undo/redo icons that are not back/forward arrows."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit, QStyle

from pycharter_gui.designer import actions
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views.yaml_editor import next_line_indent


def _select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name)


def _wait_text(qtbot, win: MainWindow, kind: str, text: str) -> None:
    qtbot.waitUntil(lambda: win.current.text(kind) == text)


def test_find_next_previous_match_case_and_wrap(qtbot, window: MainWindow):
    _select(qtbot, window, "people")
    window.actions_by_name["find"].trigger()
    editors = window.editor
    assert editors.tabs.currentWidget() is editors.yaml_tabs
    bar = editors.find_bars["extract"]
    assert bar.isVisible() and bar.find_edit.hasFocus() and not bar.replace_edit.isVisible()
    editor = editors.yaml_editors["extract"]
    bar.find_edit.setText("CSV")
    assert bar.find_next() and editor.textCursor().selectedText().lower() == "csv"
    first = editor.textCursor().selectionStart()
    assert bar.find_next() and editor.textCursor().selectionStart() > first
    assert bar.find_previous() and editor.textCursor().selectionStart() == first
    bar.match_case.setChecked(True)
    assert not bar.find_next() and bar.status.text() == "Not found"
    bar.match_case.setChecked(False)
    qtbot.keyClick(bar, Qt.Key.Key_Escape)
    assert not bar.isVisible()


def test_replace_and_replace_all_is_one_undo_step(qtbot, window: MainWindow):
    _select(qtbot, window, "people")
    original = window.current.text("extract")
    window.actions_by_name["replace"].trigger()
    bar = window.editor.find_bars["extract"]
    assert bar.replace_edit.isVisible()
    bar.find_edit.setText("csv")
    bar.replace_edit.setText("tsv")
    bar.replace()
    _wait_text(qtbot, window, "extract", original.replace("csv", "tsv", 1))
    assert bar.replace_all() == original.lower().count("csv") - 1
    expected = original.replace("csv", "tsv").replace("CSV", "tsv")
    _wait_text(qtbot, window, "extract", expected)
    window.actions_by_name["undo"].trigger()  # one step undoes the whole replace-all
    _wait_text(qtbot, window, "extract", original.replace("csv", "tsv", 1))
    window.actions_by_name["undo"].trigger()
    _wait_text(qtbot, window, "extract", original)


@pytest.mark.parametrize(("line", "indent"), [
    ("csv_options:", "  "), ("  delimiter: ','", "  "), ("  nested:  # comment", "    "),
    ("# heading:", ""), ("    - id", "    "), ("url: 'http://x:'", ""), ("", "")])
def test_next_line_indent(line: str, indent: str):
    assert next_line_indent(line) == indent


def test_enter_keeps_indentation_and_indents_after_key(qtbot, window: MainWindow):
    _select(qtbot, window, "people")
    window.show_yaml_tab()
    editor = window.editor.yaml_editors["extract"]
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, "extra:")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "a: 1")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "b: 2")
    assert editor.toPlainText().endswith("extra:\n  a: 1\n  b: 2")


def test_pipeline_context_menu_uses_the_window_actions(qtbot, window: MainWindow, monkeypatch):
    model = window.pipeline_list.model()
    menu = actions.pipeline_menu(window, model.index(model.row_of("people")))
    qtbot.waitUntil(lambda: window.current is not None and window.current.name == "people")
    acts = window.actions_by_name
    assert [a for a in menu.actions() if not a.isSeparator()] == [
        acts[k] for k in ("open_folder", "duplicate", "rename", "delete", "dry_run", "run")]
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()))
    acts["open_folder"].trigger()
    assert opened == [str(window.workspace.root / "people")]
    assert window.pipeline_list.contextMenuPolicy() == Qt.ContextMenuPolicy.CustomContextMenu


def test_edit_menu_cut_copy_paste_act_on_the_focused_widget(qtbot, window: MainWindow):
    _select(qtbot, window, "people")
    window.editor.tabs.setCurrentIndex(2)
    line = next(b.widget for b in window.editor.forms["load"].bindings if "table" in b.keys)
    assert isinstance(line, QLineEdit)
    line.setFocus()
    qtbot.waitUntil(line.hasFocus)
    acts = window.actions_by_name
    acts["select_all"].trigger()
    acts["copy"].trigger()
    assert QGuiApplication.clipboard().text() == "people"
    acts["cut"].trigger()
    assert line.text() == ""
    acts["paste"].trigger()
    acts["paste"].trigger()
    assert line.text() == "peoplepeople"
    edit_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Edit")
    assert {acts[k] for k in ("cut", "copy", "paste", "select_all", "find", "replace")} <= set(
        edit_menu.actions())


def test_selected_pipeline_is_restored_on_restart(qtbot, workspace: Path):
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    _select(qtbot, win, "api_items")
    win.close()
    again = MainWindow(workspace)
    qtbot.addWidget(again)
    assert again.current is not None and again.current.name == "api_items"
    again.close()


def test_status_legend_names_every_dot(window: MainWindow):
    text = window.status_legend.text().replace("&nbsp;", " ")
    for words in ("valid", "has problems", "unsaved changes", "incomplete", "not checked yet"):
        assert words in text
    assert window.status_legend.isVisible()


def test_undo_redo_icons_are_not_the_back_forward_arrows(window: MainWindow):
    style = QApplication.style()
    acts = window.actions_by_name
    for key, arrow in (("undo", QStyle.StandardPixmap.SP_ArrowBack),
                       ("redo", QStyle.StandardPixmap.SP_ArrowForward)):
        ours = acts[key].icon().pixmap(16, 16).toImage()
        theirs = style.standardIcon(arrow).pixmap(16, 16).toImage()
        assert not acts[key].icon().isNull() and ours != theirs
    assert acts["undo"].icon().pixmap(16).toImage() != acts["redo"].icon().pixmap(16).toImage()
