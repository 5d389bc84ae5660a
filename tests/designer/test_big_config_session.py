"""A session with two 3,000-line pipelines (issue 12): switches, typing with pauses, form
edits, undo/redo bursts and saves on the real main window.

Each pipeline shows its own data after every switch (never the other's), no big text is parsed
in the designer's process (the parse child does it), the files on disk are what the editor
shows, and nothing raised. While a big text is being read the form is disabled and Save waits
(the last two tests); the document's own API, called directly, would parse it here, so the
session waits for pending parses before it calls ``set_value``."""

from __future__ import annotations

import logging
import random
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer import yaml_roundtrip as yrt
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.workers import parse_process
from pycharter_gui.paths import resource_path

from .test_parse_process import big_text

SWITCHES = 24
BIG = ("big_a", "big_b")


def _big(root: Path, name: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("column_1,amount\nx,1\n", encoding="utf-8")
    (folder / "extract.yaml").write_text(f"# {name}\ntype: file\npath: data.csv\n",
                                         encoding="utf-8")
    (folder / "transform.yaml").write_text(
        big_text().replace("renamed_", f"{name}_"), encoding="utf-8")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n",
                                      encoding="utf-8")


@pytest.fixture
def window(qtbot, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(parse_process, "_USE_THREAD", False)
    # a process of its own: ``starts`` counts this session's children only
    monkeypatch.setattr(parse_process._SLOT, "process", parse_process.EngineProcess("parse process"))
    ws = tmp_path / "ws"
    ws.mkdir()
    shutil.copytree(resource_path("examples") / "orders_to_sqlite", ws / "orders_to_sqlite")
    for name in BIG:
        _big(ws, name)
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    for doc in win.workspace.dirty_documents() if win.workspace else []:
        doc.revert()
    win.close()
    parse_process.shutdown_parse_process()


def _select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name
                    and not win.current.is_loading() and not win.current.is_parsing("transform"),
                    timeout=60_000)


def _type_at_end(qtbot, win: MainWindow, text: str) -> None:
    """Type ``text`` at the end of transform.yaml in the YAML tab."""
    editor = win.editor.yaml_editors["transform"]
    win.show_yaml_tab()
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    qtbot.keyClicks(editor, text)


def test_big_pipelines_session(qtbot, window: MainWindow, monkeypatch, caplog) -> None:
    caplog.set_level(logging.ERROR)
    big_parsed_here: list[int] = []
    real = yrt.parse

    def parse_here(text: str) -> object:
        if len(text) > parse_process.CHILD_PARSE_CHARS:
            import traceback
            big_parsed_here.append("".join(traceback.format_stack(limit=8)))
        return real(text)

    monkeypatch.setattr(yrt, "parse", parse_here)
    rng = random.Random(14)
    names = [*BIG, "orders_to_sqlite"]
    typed: dict[str, int] = dict.fromkeys(BIG, 0)
    for i in range(SWITCHES):
        name = names[i % len(names)]
        _select(qtbot, window, name)
        doc = window.current
        if name in BIG:  # its own data, never the other pipeline's
            assert doc.value("transform", "transform.rename.column_7") == f"{name}_7"
            _type_at_end(qtbot, window, f"# typed {i}")
            qtbot.keyClick(window.editor.yaml_editors["transform"], Qt.Key.Key_Return)
            typed[name] += 1
            qtbot.wait(rng.choice((50, 400)))  # sometimes past the parse pause
            if i % 4 == 1:
                for _ in range(rng.randint(1, 3)):
                    window.actions_by_name["undo"].trigger()
                window.actions_by_name["redo"].trigger()
            if i % 5 == 2:
                # A form edit needs the parse of the current text: the form is disabled while
                # it is out (the next test); the document called directly would parse it here.
                qtbot.waitUntil(lambda d=doc: not d.is_parsing("transform"), timeout=60_000)
                assert doc.set_value("transform", "transform.rename.column_3", f"edit_{i}")
    window.actions_by_name["save_all"].trigger()  # waits for any text still being read
    qtbot.waitUntil(lambda: not window.workspace.dirty_documents(), timeout=30_000)
    for name in BIG:
        _select(qtbot, window, name)
        doc = window.current
        on_disk = (doc.path / "transform.yaml").read_text(encoding="utf-8")
        assert on_disk == doc.text("transform") == window.editor.yaml_editors[
            "transform"].toPlainText()
        assert doc.value("transform", "transform.rename.column_2999") == f"{name}_2999"
        assert doc.parse_error("transform") is None
    for name in BIG:  # nothing left running when the window closes
        qtbot.waitUntil(lambda n=name: not window.workspace.document(n).is_parsing("transform"),
                        timeout=60_000)
    assert all(typed.values())
    assert big_parsed_here == [], big_parsed_here[0]
    assert parse_process.parse_process().starts == 1  # one warm child for the session
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def test_form_waits_while_typed_big_text_is_read(qtbot, window: MainWindow, monkeypatch) -> None:
    """After a typing pause in a 3,000-line file its parse goes to the child; until it is read
    the form is disabled, so no form edit can make the GUI thread parse the text itself
    (~0.5 s). Nothing appears above the tabs meanwhile: a line coming and going there after
    every pause moved the editor being typed in."""
    _select(qtbot, window, "big_a")
    form = window.editor.forms["transform"]
    label = window.editor.loading_label
    assert form.isEnabled() and not label.isVisibleTo(window.editor)
    _type_at_end(qtbot, window, "# a note")
    doc = window.current
    qtbot.waitUntil(lambda: doc.is_reading("transform"), timeout=10_000)
    assert not form.isEnabled() and "Reading transform.yaml" in form.toolTip()
    assert not label.isVisibleTo(window.editor)
    qtbot.waitUntil(lambda: not doc.is_reading("transform"), timeout=60_000)
    qtbot.waitUntil(form.isEnabled, timeout=5_000)
    assert not label.isVisibleTo(window.editor) and not form.toolTip()
    assert doc.text("transform").endswith("# a note")
    assert doc.value("transform", "transform.rename.column_5") == "big_a_5"


def test_save_while_a_big_text_is_read_waits_for_it(qtbot, window: MainWindow,
                                                     monkeypatch) -> None:
    """Save in the moment after typing in a 3,000-line file: it waits for the parse process's
    answer instead of parsing the text on the GUI thread, then saves what the editor shows."""
    _select(qtbot, window, "big_a")
    big_parsed_here: list[int] = []
    real = yrt.parse
    monkeypatch.setattr(yrt, "parse", lambda t: (
        big_parsed_here.append(len(t)) if len(t) > parse_process.CHILD_PARSE_CHARS else None,
        real(t))[1])
    _type_at_end(qtbot, window, "# saved while read")
    doc = window.current
    qtbot.waitUntil(lambda: doc.is_reading("transform"), timeout=10_000)
    window.actions_by_name["save"].trigger()
    assert doc.is_dirty()  # not yet: the file is still being read
    assert "once transform.yaml is read" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: not doc.is_dirty(), timeout=60_000)
    on_disk = (doc.path / "transform.yaml").read_text(encoding="utf-8")
    assert on_disk == doc.text("transform") and on_disk.endswith("# saved while read")
    assert big_parsed_here == []
