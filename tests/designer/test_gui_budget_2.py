"""The GUI thread's budget, second part (issue 12): undo/redo of a long file applies its text at
once and parses on a worker (a stale parse is dropped); the first open of a big pipeline shows
its text before the parse and fills the forms after it; a new text is highlighted in chunks;
the History/Tests/Dead letters refreshes start after the switch. Behaviour only, no timings."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from pycharter_gui.designer import documents as documents_mod
from pycharter_gui.designer.documents import INLINE_PARSE_CHARS, PipelineDocument
from pycharter_gui.designer.views.yaml_editor import YamlEditor

from .conftest import LOAD, make_pipeline, open_window
from .test_main_window import select

RENAMES = 120  # a transform.yaml well over INLINE_PARSE_CHARS


def _long_transform(renames: int = RENAMES) -> str:
    body = "".join(f"    column_{i}: renamed_{i}   # note {i}\n" for i in range(renames))
    text = "# A long rename map.\ntransform:\n  rename:\n" + body
    assert len(text) > INLINE_PARSE_CHARS
    return text


@pytest.fixture
def big_workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    make_pipeline(root, "small")  # selected when the window opens
    make_pipeline(root, "z_big", transform=_long_transform())
    return root


@pytest.fixture
def window(qtbot, big_workspace: Path):
    with open_window(qtbot, big_workspace) as win:
        yield win


@pytest.fixture
def gate(monkeypatch):
    """``gate(name, marker)`` holds back a worker's parse (released at the latest at teardown)."""
    made: list[_Gate] = []
    yield lambda name, marker="": made.append(_Gate(monkeypatch, name, marker)) or made[-1]
    for g in made:
        g.release()


class _Gate:
    """Holds back the worker's parse of texts containing ``marker`` until ``release()``."""

    def __init__(self, monkeypatch, name: str, marker: str = "") -> None:
        self.release_event, self.threads, self.marker = threading.Event(), [], marker
        original = getattr(documents_mod, name)

        def gated(kind: str, text: str):
            self.threads.append(threading.current_thread())
            if self.marker in text:
                self.release_event.wait(10)
            return original(kind, text)

        monkeypatch.setattr(documents_mod, name, gated)

    def release(self) -> None:
        self.release_event.set()


def test_undo_of_a_long_file_applies_at_once_and_parses_on_a_worker(qtbot, tmp_path: Path,
                                                                     gate):
    folder = make_pipeline(tmp_path, "big", transform=_long_transform())
    doc = PipelineDocument("big", folder)
    qtbot.waitUntil(lambda: not doc.is_loading())
    assert doc.set_value("transform", "transform.rename.column_3", "third")
    edited = doc.text("transform")
    held = gate("_parse_job", marker="column_3: renamed_3 ")  # the undone text's parse
    announced: list[str] = []
    doc.text_changed.connect(announced.append)
    history: list[tuple[str, bool]] = []
    doc.history_applied.connect(lambda kind, undone: history.append((kind, undone)))
    doc.undo_stack.undo()
    assert "column_3: renamed_3" in doc.text("transform")  # the text is back at once
    assert history == [("transform", True)] and announced == []
    assert doc.is_parsing("transform")
    assert doc.value("transform", "transform.rename.column_3") == "third"  # the last parse until then
    doc.undo_stack.redo()  # its parse is not held back: it comes first
    assert doc.text("transform") == edited
    qtbot.waitUntil(lambda: announced == ["transform"])
    assert doc.value("transform", "transform.rename.column_3") == "third"
    held.release()  # the undo's parse arrives now, for a text that moved on: dropped
    qtbot.wait(300)
    assert announced == ["transform"] and doc.value("transform", "transform.rename.column_3") == "third"
    assert held.threads and threading.main_thread() not in held.threads


def test_a_short_file_still_undoes_with_its_parse(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "table", "folks")
    doc.undo_stack.undo()
    assert not doc.is_parsing("load") and doc.value("load", "table") == "people"


def test_window_undo_of_a_long_file_fills_the_form_when_the_parse_arrives(qtbot, window, gate):
    select(qtbot, window, "z_big")
    doc = window.current
    qtbot.waitUntil(lambda: not doc.is_loading())
    form = window.editor.forms["transform"]
    window.editor.tabs.setCurrentWidget(form)
    assert doc.set_value("transform", "transform.rename.column_5", "fifth")
    assert form.rename.mapping()["column_5"] == "fifth"
    held = gate("_parse_job")
    window.actions_by_name["undo"].trigger()
    editor = window.editor.yaml_editors["transform"]
    assert editor.toPlainText() == doc.text("transform")  # shown at once
    assert "column_5: renamed_5" in doc.text("transform") and doc.is_parsing("transform")
    assert form.rename.mapping()["column_5"] == "fifth"  # the form waits for the parse
    held.release()
    qtbot.waitUntil(lambda: form.rename.mapping()["column_5"] == "renamed_5")
    assert held.threads and threading.main_thread() not in held.threads


def test_first_open_shows_the_text_before_the_parse_and_fills_the_forms_after(
        qtbot, window, monkeypatch, gate, big_workspace: Path):
    window.editor.tabs.setCurrentWidget(window.editor.forms["transform"])
    held = gate("_load_job")
    styles: list[threading.Thread] = []
    detect = documents_mod.yrt.detect_style
    monkeypatch.setattr(documents_mod.yrt, "detect_style",
                        lambda *a, **k: (styles.append(threading.current_thread()),
                                         detect(*a, **k))[1])
    select(qtbot, window, "z_big")
    doc, editor = window.current, window.editor
    text = (big_workspace / "z_big" / "transform.yaml").read_text()
    assert doc.text("transform") == text
    assert editor.yaml_editors["transform"].toPlainText() == text  # the text at once
    assert doc.is_loading("transform") and not doc.is_loading("load")
    form = editor.forms["transform"]
    assert not form.isEnabled() and editor.loading_label.isVisibleTo(editor)
    assert "transform.yaml" in editor.loading_label.text()
    assert form.rename.mapping() == {}  # nothing parsed yet
    assert editor.forms["load"].isEnabled()
    held.release()
    qtbot.waitUntil(lambda: not doc.is_loading())
    qtbot.waitUntil(lambda: len(form.rename.mapping()) == RENAMES)
    assert form.isEnabled() and not editor.loading_label.isVisibleTo(editor)
    assert held.threads and threading.main_thread() not in held.threads
    big_styles = [t for t in styles if t is not threading.main_thread()]
    assert big_styles  # the long file's indentation was detected on the worker


def test_a_form_edit_while_loading_parses_first_and_keeps_the_file(qtbot, tmp_path: Path,
                                                                   gate):
    folder = make_pipeline(tmp_path, "big", transform=_long_transform())
    held = gate("_load_job")
    doc = PipelineDocument("big", folder)
    assert doc.is_loading("transform") and doc.value("transform", "transform.rename") is None
    assert doc.set_value("transform", "transform.rename.column_1", "first")  # parses (and styles) now
    assert not doc.is_loading()
    assert "    column_1: first   # note 1\n" in doc.text("transform")
    held.release()
    qtbot.wait(300)  # the worker's answer, for the text as read, is dropped
    assert doc.value("transform", "transform.rename.column_1") == "first"


def test_a_new_text_is_highlighted_in_chunks(qtbot):
    editor = YamlEditor()
    qtbot.addWidget(editor)
    text = "".join(f"key_{i}: value_{i}   # note\n" for i in range(2000))
    document = editor.new_document(text, editor)
    editor.set_text_document(document)
    highlighter = editor.highlighter
    last = document.findBlockByNumber(1990)
    assert highlighter.is_highlighting() and not last.layout().formats()
    typed: list[str] = []
    editor.user_edited.connect(typed.append)
    qtbot.waitUntil(lambda: not highlighter.is_highlighting(), timeout=5000)
    assert last.layout().formats() and document.firstBlock().layout().formats()
    assert typed == []  # colouring is no edit


def test_background_refreshes_start_after_the_switch(qtbot, window, monkeypatch):
    select(qtbot, window, "small")
    docks = window.data_docks.history_tests
    qtbot.waitUntil(lambda: not docks.after_paint.is_pending())
    calls: list[str] = []
    monkeypatch.setattr(docks.history, "set_pipeline",
                        lambda doc, _ws: calls.append(f"history {doc.name}"))
    monkeypatch.setattr(docks.tests, "set_pipeline",
                        lambda path, _ws: calls.append(f"tests {path.name}"))
    window.select_pipeline("z_big")
    window.select_pipeline("small")
    window.select_pipeline("z_big")  # three switches before the window paints: one refresh
    assert window.current.name == "z_big" and calls == []
    qtbot.waitUntil(lambda: len(calls) == 2)
    qtbot.wait(100)
    assert sorted(calls) == ["history z_big", "tests z_big"]


def test_the_dead_letter_queue_opens_after_the_switch(qtbot, window, monkeypatch):
    dock = window.data_docks.docks["dead_letters"]
    panel = window.data_docks.dead_letters
    select(qtbot, window, "small")
    with qtbot.waitSignal(panel.opened, timeout=10000):
        dock.show()
        dock.raise_()
    opened: list[Path] = []
    monkeypatch.setattr(panel, "open_pipeline", opened.append)
    window.select_pipeline("z_big")
    assert opened == []
    qtbot.waitUntil(lambda: opened == [window.current.path])


def test_load_is_unchanged_for_short_files(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    assert not doc.is_loading() and doc.value("load", "table") == "people"
    assert doc.text("load") == LOAD
