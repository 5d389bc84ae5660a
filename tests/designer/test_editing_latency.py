"""The GUI thread stays free while editing: typing is parsed after a pause, once per burst;
autosave, run history and building a run happen on workers. Behaviour only, no timings."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt

from pycharter_gui.designer import workspace as workspace_mod
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views import run_panel as run_panel_mod
from pycharter_gui.designer.views.yaml_editor import EDIT_DEBOUNCE_MS

from .test_main_window import select


def _yaml(qtbot, win: MainWindow, kind: str):
    win.editor.tabs.setCurrentIndex(win.editor.yaml_tab_index)
    win.editor.yaml_tabs.setCurrentIndex(list(win.editor.yaml_editors).index(kind))
    editor = win.editor.yaml_editors[kind]
    qtbot.waitExposed(editor)
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    return editor


def test_a_burst_of_keystrokes_is_parsed_once_after_the_pause(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    editor = _yaml(qtbot, window, "load")
    changes: list[str] = []
    window.current.text_changed.connect(changes.append)
    qtbot.keyClicks(editor, "# a comment typed quickly")
    assert changes == []  # nothing parsed while typing
    qtbot.waitUntil(lambda: changes == ["load"], timeout=2000)
    qtbot.wait(EDIT_DEBOUNCE_MS * 2)
    assert changes == ["load"]
    assert window.current.text("load") == editor.toPlainText()
    assert window.current.text("load").endswith("# a comment typed quickly")


def test_a_shortcut_right_after_typing_acts_on_what_is_on_screen(qtbot, window: MainWindow,
                                                                  workspace: Path):
    select(qtbot, window, "people")
    editor = _yaml(qtbot, window, "load")
    qtbot.keyClicks(editor, "# saved at once")
    qtbot.keyClick(editor, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert (workspace / "people" / "load.yaml").read_text().endswith("# saved at once")
    assert not window.current.is_dirty()


def test_leaving_the_editor_hands_the_text_on(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    editor = _yaml(qtbot, window, "load")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.keyClicks(editor, "table_comment: 1")
    window.editor.tabs.setCurrentIndex(2)  # the Load form: the editor is hidden
    assert window.current.text("load") == editor.toPlainText()
    qtbot.waitUntil(lambda: window.current.value("load", "table_comment") == 1)  # worker parse


def test_autosave_writes_drafts_on_a_worker(qtbot, window: MainWindow, workspace: Path,
                                            monkeypatch):
    threads: list[threading.Thread] = []
    original = workspace_mod.Workspace.write_draft_texts

    def spy(self, *args):
        threads.append(threading.current_thread())
        return original(self, *args)

    monkeypatch.setattr(workspace_mod.Workspace, "write_draft_texts", spy)
    select(qtbot, window, "people")
    window.current.set_value("extract", "batch_size", 7)
    draft = workspace / ".pycharter" / "drafts" / "people" / "extract.yaml"
    qtbot.waitUntil(draft.is_file, timeout=5000)
    assert "batch_size: 7" in draft.read_text()
    assert threads and threading.main_thread() not in threads


def test_building_a_run_and_recording_it_happen_on_workers(qtbot, window: MainWindow,
                                                          monkeypatch):
    threads: dict[str, threading.Thread] = {}
    build, append = run_panel_mod.build_orchestrator, run_panel_mod.RunHistory.append

    def build_spy(*args):
        threads["build"] = threading.current_thread()
        return build(*args)

    def append_spy(self, entry):
        threads["append"] = threading.current_thread()
        return append(self, entry)

    monkeypatch.setattr(run_panel_mod, "build_orchestrator", build_spy)
    monkeypatch.setattr(run_panel_mod.RunHistory, "append", append_spy)
    select(qtbot, window, "people")
    run = window.data_docks.run_panel
    with qtbot.waitSignal(run.run_finished, timeout=15000):
        run.start_run(dry_run=True)
    assert set(threads) == {"build", "append"}
    assert threading.main_thread() not in threads.values()
