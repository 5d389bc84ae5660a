"""The GUI thread's budget (issue 12): typed YAML is parsed on a worker and a stale result is
dropped; a one-line form edit parses nothing on the GUI thread; hidden forms refresh when
shown; a switch swaps each pipeline's own text documents; the Dead letters panel reads a
pipeline's config on a worker. Behaviour only, no timings."""

from __future__ import annotations

import threading
from pathlib import Path

from pycharter_gui.designer import documents as documents_mod
from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views import dead_letter_panel as dlq_panel_mod

from .conftest import LOAD
from .test_main_window import field, select


def test_typed_text_is_parsed_on_a_worker_and_a_stale_result_is_dropped(
        qtbot, workspace: Path, monkeypatch):
    doc = PipelineDocument("people", workspace / "people")
    release, threads = threading.Event(), []
    parse_job = documents_mod._parse_job

    def slow_first(kind: str, text: str):
        threads.append(threading.current_thread())
        if "first" in text:
            release.wait(5)  # the first text's parse comes back after the second's
        return parse_job(kind, text)

    monkeypatch.setattr(documents_mod, "_parse_job", slow_first)
    announced: list[str] = []
    doc.text_changed.connect(announced.append)
    first, second = LOAD + "table_note: first\n", LOAD + "table_note: second\n"
    doc.set_text("load", first, background=True)
    assert doc.text("load") == first and doc.is_parsing("load")
    assert doc.value("load", "table_note") is None  # the last parse until the worker answers
    doc.set_text("load", second, background=True)
    qtbot.waitUntil(lambda: announced == ["load"])
    assert doc.value("load", "table_note") == "second"
    release.set()
    qtbot.wait(300)  # the first text's result arrives now and is ignored
    assert doc.value("load", "table_note") == "second" and announced == ["load"]
    assert threads and threading.main_thread() not in threads


def test_an_edit_while_the_worker_parses_parses_first(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    doc.set_text("load", LOAD.replace("table: people", "table: persons"), background=True)
    assert doc.set_value("load", "write_method", "upsert")  # needs the current parse
    text = doc.text("load")
    assert "table: persons" in text and "write_method: upsert" in text
    assert not doc.is_parsing("load")


def test_a_one_line_form_edit_parses_nothing_on_the_gui_thread(qtbot, workspace: Path,
                                                              monkeypatch):
    doc = PipelineDocument("people", workspace / "people")
    gui_parses: list[str] = []
    parse = documents_mod.yrt.parse

    def spy(text: str):
        if threading.current_thread() is threading.main_thread():
            gui_parses.append(text)
        return parse(text)

    monkeypatch.setattr(documents_mod.yrt, "parse", spy)
    assert doc.set_value("extract", "batch_size", 250)
    assert gui_parses == []
    assert doc.value("extract", "batch_size") == 250
    assert "path: data/people.csv   # relative to this folder" in doc.text("extract")
    assert doc.set_value("extract", "path", "data/a_much_longer_name.csv")
    assert gui_parses == []
    qtbot.waitUntil(lambda: "extract" not in doc._parsing)  # the worker renewed line marks
    # Line marks renewed on the worker: a later structural edit keeps the comment's place.
    assert doc.set_value("extract", "csv_options", {"delimiter": ";", "has_header": True})
    assert "path: data/a_much_longer_name.csv   # relative to this folder" in doc.text("extract")
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.value("extract", "path") == "data/people.csv"


def test_a_hidden_form_refreshes_when_shown(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    window.editor.tabs.setCurrentIndex(0)  # Extract form; the Load form is hidden
    form = window.editor.forms["load"]
    refreshes: list[int] = []
    original = form.refresh
    form.refresh = lambda: (refreshes.append(1), original())
    assert window.current.set_value("load", "table", "persons")
    assert refreshes == [] and field(window, "load", "table").text() == "people"
    window.editor.tabs.setCurrentWidget(form)
    assert refreshes == [1] and field(window, "load", "table").text() == "persons"


def test_a_switch_swaps_each_pipelines_own_texts(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    window.show_yaml_tab()
    editors = window.editor.yaml_editors
    people_docs = {k: e.document() for k, e in editors.items()}
    editor = editors["load"]
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, "# typed")  # still waiting for its pause
    select(qtbot, window, "api_items")
    api = window.workspace.document("api_items")
    # the folder trio's editors (the single-file `pipeline` editor stays empty and hidden)
    assert {k: editors[k].toPlainText() for k in api.texts()} == api.texts()
    assert all(editors[k].document() is not people_docs[k] for k in api.texts())
    people = window.workspace.document("people")
    assert people.text("load").endswith("# typed")  # handed to its own pipeline
    select(qtbot, window, "people")
    assert all(e.document() is people_docs[k] for k, e in editors.items())  # no re-highlight
    assert {k: editors[k].toPlainText() for k in people.texts()} == people.texts()


def test_a_text_changed_elsewhere_shows_on_return(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    people = window.current
    select(qtbot, window, "api_items")
    assert people.set_value("load", "table", "persons")  # e.g. a draft restored meanwhile
    select(qtbot, window, "people")
    assert window.editor.yaml_editors["load"].toPlainText() == people.text("load")
    assert "table: persons" in people.text("load")


def test_dead_letter_panel_reads_the_pipeline_config_on_a_worker(qtbot, window: MainWindow,
                                                                  monkeypatch):
    threads: list[threading.Thread] = []
    resolve = dlq_panel_mod.queue_for_pipeline

    def spy(folder: Path):
        threads.append(threading.current_thread())
        return resolve(folder)

    monkeypatch.setattr(dlq_panel_mod, "queue_for_pipeline", spy)
    dock = window.data_docks.docks["dead_letters"]
    panel = window.data_docks.dead_letters
    select(qtbot, window, "people")
    with qtbot.waitSignal(panel.opened, timeout=10000):
        dock.show()
        dock.raise_()
    assert threads and threading.main_thread() not in threads
    assert panel.pipeline_dir == window.current.path


def _answer_text(monkeypatch, answer: str) -> None:
    from pycharter_gui.designer.views import dialogs

    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: answer)


def test_duplicate_rename_delete_run_on_a_worker_and_update_the_list(
        qtbot, window: MainWindow, workspace: Path, monkeypatch):
    from pycharter_gui.designer import workspace as workspace_mod
    from pycharter_gui.designer.views import dialogs

    threads: list[threading.Thread] = []
    copytree, move = workspace_mod.shutil.copytree, workspace_mod.shutil.move
    monkeypatch.setattr(workspace_mod.shutil, "copytree",
                        lambda *a, **k: (threads.append(threading.current_thread()),
                                         copytree(*a, **k))[1])
    monkeypatch.setattr(workspace_mod.shutil, "move",
                        lambda *a, **k: (threads.append(threading.current_thread()),
                                         move(*a, **k))[1])
    names = lambda: [p.name for p in window.workspace.pipelines]  # noqa: E731
    select(qtbot, window, "people")
    _answer_text(monkeypatch, "people_copy")
    window.file_ops.duplicate_current()
    qtbot.waitUntil(lambda: window.current is not None and window.current.name == "people_copy")
    assert (workspace / "people_copy" / "load.yaml").is_file() and "people_copy" in names()
    _answer_text(monkeypatch, "persons")
    window.file_ops.rename_current()
    qtbot.waitUntil(lambda: window.current is not None and window.current.name == "persons")
    assert "people_copy" not in names() and (workspace / "persons").is_dir()
    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: dialogs.Button.Yes)
    window.file_ops.delete_current()
    qtbot.waitUntil(lambda: "persons" not in names())
    assert not (workspace / "persons").exists()
    assert list((workspace / ".pycharter" / "trash").iterdir())
    assert threads and threading.main_thread() not in threads


def test_a_failed_copy_is_said_in_words_and_changes_nothing(qtbot, window: MainWindow,
                                                           monkeypatch):
    from pycharter_gui.designer import workspace as workspace_mod
    from pycharter_gui.designer.views import dialogs

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(workspace_mod.shutil, "copytree", full)
    warnings: list[tuple[str, str]] = []
    monkeypatch.setattr(dialogs, "warn", lambda _p, title, text: warnings.append((title, text)))
    select(qtbot, window, "people")
    _answer_text(monkeypatch, "people_copy")
    window.file_ops.duplicate_current()
    qtbot.waitUntil(lambda: bool(warnings))
    assert warnings == [("Could not duplicate people", "[Errno 28] No space left on device")]
    assert window.workspace.info("people_copy") is None and window.current.name == "people"
