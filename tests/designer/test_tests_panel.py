"""Pipeline tests in the designer, driven as a user: Save as test from the preview, change a
convert, see the changed cells, accept the new output; the same cases through ``pycharter-etl``."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.cli import main
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.models.pipelines import StatusRole
from pycharter_gui.designer.views import dialogs

from .conftest import open_window

RECORDS = [{"id": 1, "qty": "2"}, {"id": 2, "qty": "3"}, {"id": 3, "qty": "lots"}]


def make_pipeline(root: Path) -> Path:
    folder = root / "orders"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS))
    (folder / "extract.yaml").write_text("type: file\npath: data/in.jsonl\n")
    (folder / "transform.yaml").write_text(
        "# Clean the order lines.\ntransform:\n  convert:\n    qty: int\nstrict: true\n")
    (folder / "load.yaml").write_text("type: file\npath: out/orders.jsonl\nformat: jsonl\n")
    return folder


@pytest.fixture
def window(qtbot, tmp_path: Path):
    make_pipeline(tmp_path / "ws")
    with open_window(qtbot, tmp_path / "ws", select="orders") as win:
        yield win


def diff_rows(win: MainWindow) -> list[list[str]]:
    table = win.data_docks.history_tests.tests.diff_table
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def statuses(win: MainWindow) -> list[str]:
    return [r.status for r in win.data_docks.history_tests.tests.results()]


def test_save_a_preview_as_test_change_a_convert_accept(qtbot, window: MainWindow, monkeypatch,
                                                        tmp_path: Path) -> None:
    docks = window.data_docks
    tests = docks.history_tests.tests
    with qtbot.waitSignal(docks.preview.preview_finished, timeout=10_000):
        docks.preview.start_preview()
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "whole_sample")
    with qtbot.waitSignal(tests.tests_finished, timeout=10_000):
        docks.history_tests.save_as_test_action.trigger()
    assert statuses(window) == ["passed"]
    folder = tmp_path / "ws" / "orders"
    assert (folder / "tests" / "whole_sample" / "expected.jsonl").is_file()

    # Two selected rows make a second, smaller case.
    table = docks.preview.table
    table.selectRow(0)
    table.selectionModel().select(table.model().index(2, 0), table.selectionModel().SelectionFlag.Select
                                  | table.selectionModel().SelectionFlag.Rows)
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: "two_rows")
    with qtbot.waitSignal(tests.tests_finished, timeout=10_000):
        docks.history_tests.save_as_test_action.trigger()
    assert len((folder / "tests" / "two_rows" / "input.jsonl").read_text().splitlines()) == 2

    # Change the convert and save: the tests run in the background and fail, cell by cell.
    window.current.set_value("transform", "transform.convert.qty", "float")
    with qtbot.waitSignal(tests.tests_finished, timeout=10_000) as finished:
        assert window.file_ops.save_current()
    assert finished.args[1] == 2
    assert statuses(window) == ["failed", "failed"]
    model = window.pipeline_list.model()
    assert model.index(model.row_of("orders")).data(StatusRole) == "tests_failed"
    tests.cases.setCurrentItem(tests.cases.topLevelItem(1))  # whole_sample
    assert diff_rows(window) == [["1", "qty", "changed", "2", "2.0"],
                                 ["2", "qty", "changed", "3", "3.0"]]

    qtbot.mouseClick(tests.accept_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: statuses(window) == ["failed", "passed"], timeout=10_000)
    tests.cases.setCurrentItem(tests.cases.topLevelItem(0))
    with qtbot.waitSignal(tests.tests_finished, timeout=10_000) as finished:
        qtbot.mouseClick(tests.accept_button, Qt.MouseButton.LeftButton)
    assert finished.args[1] == 0
    qtbot.waitUntil(lambda: statuses(window) == ["passed", "passed"], timeout=10_000)
    assert model.index(model.row_of("orders")).data(StatusRole) != "tests_failed"

    # The same cases in CI mode.
    report = tmp_path / "junit.xml"
    assert main(["test", str(folder), "--junit", str(report)], out=io.StringIO()) == 0
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("2", "0")
    (folder / "transform.yaml").write_text("transform:\n  convert:\n    qty: str\n")
    out = io.StringIO()
    assert main(["test", str(folder), "--junit", str(report)], out=out) == 1
    assert "row 1, qty: expected 2.0, got \"2\"" in out.getvalue()
    assert ET.parse(report).getroot().find("testsuite").get("failures") == "2"
