"""Issue 19, what colleagues found missing: "Save as test" from the Before/after (selected rows
or the whole sample), a review of what a save will write, a side-by-side revision diff and the
run a revision was used by; driven as a user would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views import dialogs

from .conftest import open_window
from .test_tests_panel import make_pipeline


@pytest.fixture
def window(qtbot, tmp_path: Path):
    make_pipeline(tmp_path / "ws")
    with open_window(qtbot, tmp_path / "ws", select="orders") as win:
        yield win


def _input_rows(folder: Path, name: str) -> list[dict]:
    text = (folder / "tests" / name / "input.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines()]


def test_save_as_test_from_the_before_after(qtbot, window: MainWindow, monkeypatch,
                                            tmp_path: Path) -> None:
    docks = window.data_docks
    tests, panel = docks.history_tests.tests, docks.transform_preview
    with qtbot.waitSignal(panel.preview_updated, timeout=10_000):
        docks.preview.start_preview()
    action = docks.history_tests.before_after_test_action
    for table in (panel.before_table, panel.after_table):
        assert action in table.actions()  # in both tables' context menus
    folder = tmp_path / "ws" / "orders"

    # Nothing selected: the whole sample.
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "whole")
    with qtbot.waitSignal(tests.tests_finished, timeout=10_000):
        action.trigger()
    assert _input_rows(folder, "whole") == [{"id": 1, "qty": "2"}, {"id": 2, "qty": "3"},
                                            {"id": 3, "qty": "lots"}]

    # Two lines selected on the after side, the rejected one among them: their sample rows.
    table = panel.after_table
    table.selectRow(0)
    flags = table.selectionModel().SelectionFlag
    table.selectionModel().select(table.model().index(2, 0), flags.Select | flags.Rows)
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "good_and_bad")
    with qtbot.waitSignal(tests.tests_finished, timeout=10_000):
        action.trigger()
    assert _input_rows(folder, "good_and_bad") == [{"id": 1, "qty": "2"},
                                                   {"id": 3, "qty": "lots"}]
    expected_dead = (folder / "tests" / "good_and_bad" / "expected_dead_letters.jsonl")
    assert "lots" in expected_dead.read_text()
    assert [r.status for r in tests.results()] == ["passed", "passed"]
