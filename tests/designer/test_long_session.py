"""An analyst's working session on the real main window, compressed into one test.

Every other designer test is short and starts fresh; the defects an analyst met (an abort after
~100 keystrokes, frozen previews, stale panels, lost edits) only showed over a long session.
This one types 3,000 keystrokes into the YAML editor through valid and broken states, makes 500
form edits (adding and removing table rows among them), switches pipelines 60 times, runs 20
previews (some cancelled while rows flow) and 5 dry runs (one cancelled), bursts undo and redo,
saves every pipeline, and then checks that the app is alive, nothing raised, the files on disk
are what the editor shows, and memory did not run away.
"""

from __future__ import annotations

import itertools
import logging
import random
import shutil
import sys
from pathlib import Path

import psutil
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views.forms.widgets import KeyValueTable
from pycharter_gui.paths import resource_path

KEYSTROKES = 3_000
FORM_EDITS = 500
SWITCHES = 60
PREVIEWS = 20
DRY_RUNS = 5
BIG_ROWS = 400_000
RSS_GROWTH_LIMIT_MB = 400  # generous: a leak of a sample per preview would be gigabytes


def _big_pipeline(root: Path) -> None:
    folder = root / "big_events"
    folder.mkdir(parents=True)
    with open(folder / "events.csv", "w", encoding="utf-8") as fh:
        fh.write("id,kind,amount,city\n")
        for i in range(BIG_ROWS):
            fh.write(f"{i},{'abc'[i % 3]},{i % 97}.5,City {i % 50}\n")
    (folder / "extract.yaml").write_text(
        "# A large export: previews of it are cancelled while rows flow.\n"
        "type: file\npath: events.csv\nformat: csv\nbatch_size: 2000\n", encoding="utf-8")
    (folder / "transform.yaml").write_text(
        "transform:\n  rename:\n    kind: event_kind   # the source's name is too vague\n"
        "  convert:\n    amount: float\n", encoding="utf-8")
    (folder / "load.yaml").write_text(
        "type: file\npath: out/events.jsonl\nformat: jsonl\n", encoding="utf-8")


@pytest.fixture
def session_window(qtbot, tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    for name in ("orders_to_sqlite", "customers_json_to_jsonl"):
        shutil.copytree(resource_path("examples") / name, ws / name)
    _big_pipeline(ws)
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    for doc in win.workspace.dirty_documents() if win.workspace else []:
        doc.revert()
    win.close()


def _select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name, timeout=10_000)


def _binding_widget(win: MainWindow, kind: str, key: str):
    form = win.editor.forms[kind]
    return next(b.widget for b in form.bindings if key in b.keys)


def _type_yaml(qtbot, win: MainWindow, rng: random.Random, budget: int) -> int:
    """Type at the end of transform.yaml: a comment (valid), then a broken line, erased."""
    win.show_yaml_tab()
    editor = win.editor.yaml_editors["transform"]
    editor.setFocus()
    editor.moveCursor(editor.textCursor().MoveOperation.End)
    typed = 0
    while typed < budget:
        text = f"# note {rng.randint(0, 999)}"
        qtbot.keyClicks(editor, text)  # QTest cannot type "\n": Return is its own key
        qtbot.keyClick(editor, Qt.Key.Key_Return)
        typed += len(text) + 1
        broken = "  bad: [unclosed"
        qtbot.keyClicks(editor, broken)  # the YAML is invalid while these are on screen
        typed += len(broken)
        if rng.random() < 0.3:
            qtbot.wait(200)  # a pause: the editor hands the (broken) text to the document
        for _ in broken:
            qtbot.keyClick(editor, Qt.Key.Key_Backspace)
        typed += len(broken)
    qtbot.wait(200)
    return typed


_names = itertools.count()


def _form_edits(qtbot, win: MainWindow, rng: random.Random, budget: int) -> int:
    """Edit the Transform form's Rename table (add, fill, remove rows) and a load field."""
    win.editor.tabs.setCurrentIndex(1)
    table = _binding_widget(win, "transform", "rename")
    assert isinstance(table, KeyValueTable)
    done = 0
    while done < budget:
        qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
        row = table.table.rowCount() - 1
        n = next(_names)
        table.table.item(row, 0).setText(f"col_{n}")
        table.table.item(row, 1).setText(f"renamed_{n}")  # unique: two fields renamed alike is an error
        table.table.setCurrentCell(row, 0)
        qtbot.mouseClick(table.remove_button, Qt.MouseButton.LeftButton)
        done += 4
    return done


def _load_path_edits(qtbot, win: MainWindow, budget: int) -> int:
    win.editor.tabs.setCurrentIndex(2)
    path = _binding_widget(win, "load", "path")
    assert isinstance(path, QLineEdit)
    for i in range(budget):
        path.selectAll()
        qtbot.keyClicks(path, f"out/events_{i % 7}.jsonl")
        path.editingFinished.emit()
    return budget


def _preview(qtbot, win: MainWindow, cancel: bool) -> bool:
    """Preview; with ``cancel``, ask for every row and cancel once rows flow. True when the
    cancel landed mid-stream (a busy machine may finish the stream first)."""
    panel = win.data_docks.preview
    panel.n_spin.setValue(BIG_ROWS if cancel else 100)
    if cancel:
        with qtbot.waitSignal(panel.batch_loaded, timeout=15_000):
            win.actions_by_name["preview"].trigger()
        if not panel.is_running():
            return False
        panel.cancel()
        assert not panel.is_running()
        rows = panel.model.rowCount()
        qtbot.wait(100)
        assert panel.model.rowCount() == rows, "rows kept arriving after Cancel"
        return True
    else:
        action = win.actions_by_name["preview"]
        try:
            qtbot.waitUntil(action.isEnabled, timeout=20_000)  # enabled once the checks pass
        except qtbot.TimeoutError as exc:  # say why the pipeline stayed unrunnable
            raise AssertionError((win.current.name, action.toolTip(), win.current_problems(),
                                  win.current.text("transform")[-300:])) from exc
        with qtbot.waitSignal(panel.preview_finished, timeout=30_000, raising=False) as blocker:
            action.trigger()
        assert blocker.signal_triggered, (win.current.name, panel.status_label.text(),
                                          win.current_problems())
        return False


def _dry_run(qtbot, win: MainWindow, cancel: bool) -> None:
    panel = win.data_docks.run_panel
    if cancel:
        with qtbot.waitSignal(panel.run_cancelled, timeout=30_000):
            assert panel.start_run(dry_run=True)
            qtbot.waitUntil(panel.is_running, timeout=10_000)
            panel.cancel()
    else:
        with qtbot.waitSignal(panel.run_finished, timeout=60_000) as blocker:
            assert panel.start_run(dry_run=True)
        assert blocker.args[0]["dry_run"] is True


def test_a_working_session_leaves_the_app_alive_and_the_files_right(
        qtbot, session_window: MainWindow, caplog) -> None:
    win = session_window
    rng = random.Random(20261207)
    proc = psutil.Process()
    caplog.set_level(logging.ERROR)
    unraisable: list[object] = []
    old_hook = sys.unraisablehook
    sys.unraisablehook = unraisable.append
    try:
        names = [p.name for p in win.workspace.pipelines]
        assert names == ["big_events", "customers_json_to_jsonl", "orders_to_sqlite"]
        _select(qtbot, win, "big_events")
        cancelled = _preview(qtbot, win, cancel=True)  # warm-up: engine, Arrow, pandas loaded
        rss_start = proc.memory_info().rss

        typed = forms = switches = previews = runs = 0
        while typed < KEYSTROKES or forms < FORM_EDITS or switches < SWITCHES:
            name = names[switches % len(names)]
            _select(qtbot, win, name)
            switches += 1
            if typed < KEYSTROKES:
                typed += _type_yaml(qtbot, win, rng, 150)
            if forms < FORM_EDITS:
                forms += _form_edits(qtbot, win, rng, 20)
            if name == "big_events" and forms < FORM_EDITS:
                forms += _load_path_edits(qtbot, win, 5)
            if previews < PREVIEWS and switches % 3 == 0:
                cancelled += _preview(qtbot, win, cancel=name == "big_events")
                previews += 1
            if runs < DRY_RUNS and switches % 2 == 1 and (
                    (name == "big_events") == (runs == 2)):  # cancel the third, a long one
                _dry_run(qtbot, win, cancel=runs == 2)
                runs += 1
            if switches % 5 == 0:  # an undo/redo burst
                for _ in range(rng.randint(3, 12)):
                    win.actions_by_name["undo"].trigger()
                for _ in range(rng.randint(1, 12)):
                    win.actions_by_name["redo"].trigger()
        while previews < PREVIEWS:
            _select(qtbot, win, names[previews % len(names)])
            cancelled += _preview(qtbot, win, cancel=win.current.name == "big_events")
            previews += 1
        _select(qtbot, win, "customers_json_to_jsonl")
        while runs < DRY_RUNS:
            _dry_run(qtbot, win, cancel=False)
            runs += 1

        assert typed >= KEYSTROKES and forms >= FORM_EDITS and switches >= SWITCHES
        assert cancelled >= 1, "no preview was cancelled while rows flowed"
        win.actions_by_name["save_all"].trigger()
        qtbot.waitUntil(lambda: not win.workspace.dirty_documents(), timeout=10_000)
        QApplication.processEvents()

        # The files on disk are exactly what the editor shows, for every pipeline.
        for name in names:
            _select(qtbot, win, name)
            doc = win.current
            for kind in ("extract", "transform", "load"):
                on_disk = (doc.path / f"{kind}.yaml").read_text(encoding="utf-8")
                assert on_disk == doc.text(kind), f"{name}/{kind}.yaml differs from the editor"
                assert on_disk == win.editor.yaml_editors[kind].toPlainText()
        assert win.isVisible()
        growth_mb = (proc.memory_info().rss - rss_start) / 2**20
        assert growth_mb < RSS_GROWTH_LIMIT_MB, f"RSS grew by {growth_mb:.0f} MB over the session"
    finally:
        sys.unraisablehook = old_hook
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]
    assert not unraisable, unraisable
