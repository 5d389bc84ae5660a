"""Files the designer writes stay the user's files: mode, owner, syntax-error saves, undo view."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pycharter_gui.designer.documents import PipelineDocument


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o644, 0o640])
def test_save_keeps_the_file_mode(qtbot, workspace: Path, mode: int):
    target = workspace / "people" / "load.yaml"
    target.chmod(mode)
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "table", "folks")
    assert doc.save() == [target]
    assert _mode(target) == mode
    assert "table: folks" in target.read_text()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can give a file to another owner")
def test_save_keeps_owner_and_group(qtbot, workspace: Path):
    target = workspace / "people" / "load.yaml"
    os.chown(target, 4321, 4322)
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "table", "folks")
    doc.save()
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (4321, 4322)


def test_new_file_gets_the_umask_default(qtbot, workspace: Path):
    folder = workspace / "half_done"
    doc = PipelineDocument("half_done", folder)
    doc.set_value("load", "type", "file")
    previous = os.umask(0o027)
    try:
        doc.save()
    finally:
        os.umask(previous)
    assert _mode(folder / "load.yaml") == 0o640
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []


@pytest.fixture
def window(qtbot, workspace: Path):
    from pycharter_gui.designer.main_window import MainWindow

    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.select_pipeline("people")
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == "people")
    yield win
    win.workspace and [d.revert() for d in win.workspace.dirty_documents()]
    win.close()


@pytest.mark.parametrize("answer", ["Cancel", "Save"])
def test_save_of_a_file_with_a_syntax_error_asks_first(qtbot, window, workspace: Path,
                                                       monkeypatch, answer: str):
    from pycharter_gui.designer.views import dialogs

    target = workspace / "people" / "load.yaml"
    original = target.read_text()
    broken = original + "table: [oops\n"
    window.current.set_text("load", broken)
    asked = []
    monkeypatch.setattr(dialogs, "ask", lambda _p, title, text, buttons, default: asked.append(
        (text, buttons, default)) or getattr(dialogs.Button, answer))
    window.actions_by_name["save"].trigger()
    (text, buttons, default), = asked
    assert str(target) in text and f"line {window.current.parse_error('load').line}" in text
    assert buttons == dialogs.Button.Save | dialogs.Button.Cancel
    assert default == dialogs.Button.Cancel
    if answer == "Cancel":
        assert target.read_text() == original and window.current.is_dirty()
    else:
        assert target.read_text() == broken and not window.current.is_dirty()


def test_valid_files_save_without_a_question(qtbot, window, monkeypatch):
    from pycharter_gui.designer.views import dialogs

    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: pytest.fail("asked"))
    window.current.set_value("load", "table", "folks")
    window.actions_by_name["save"].trigger()
    assert not window.current.is_dirty()


def test_undo_of_a_file_not_on_screen_shows_it(qtbot, window):
    editor, doc = window.editor, window.current
    editor.tabs.setCurrentWidget(editor.forms["extract"])
    doc.set_value("load", "table", "folks")
    doc.seal()
    doc.set_value("extract", "batch_size", 5)
    window.actions_by_name["undo"].trigger()  # touches extract.yaml: on screen, no switch
    assert editor.tabs.currentWidget() is editor.forms["extract"]
    window.actions_by_name["undo"].trigger()  # touches load.yaml, not on screen
    assert editor.tabs.currentWidget() is editor.forms["load"]
    assert "load.yaml" in window.statusBar().currentMessage()
    editor.tabs.setCurrentWidget(editor.yaml_tabs)
    editor.yaml_tabs.setCurrentIndex(0)  # extract.yaml
    window.actions_by_name["redo"].trigger()
    assert editor.tabs.currentWidget() is editor.yaml_tabs
    assert editor.yaml_tabs.tabText(editor.yaml_tabs.currentIndex()) == "load.yaml"
    assert doc.value("load", "table") == "folks"
