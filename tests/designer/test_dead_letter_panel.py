"""The Dead letters panel, driven as a user over each DLQ backend."""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QFileDialog, QMessageBox

from pycharter_gui.designer.models.dead_letter_table_model import RecordRole
from pycharter_gui.designer.views.dead_letter_panel import DeadLetterPanel
from pycharter_gui.etl_generator import DeadLetterQueue

from .dlq_fixtures import make_dlq_pipeline, run_pipeline

WAIT = 10000


@pytest.fixture
def panel(qtbot) -> DeadLetterPanel:
    widget = DeadLetterPanel()
    qtbot.addWidget(widget)
    widget.resize(1200, 700)
    widget.show()
    return widget


def open_and_wait(qtbot, panel: DeadLetterPanel, opener, *args) -> None:
    with qtbot.waitSignals([panel.model.reloaded, panel.statistics_loaded], timeout=WAIT):
        assert opener(*args) is not False  # open_pipeline reads the config on a worker


def rows_of(panel: DeadLetterPanel) -> list:
    model = panel.model
    return [model.data(model.index(r, 0), RecordRole) for r in range(model.rowCount())]


def scroll_to_end(qtbot, panel: DeadLetterPanel) -> None:
    while panel.model.rowCount() < panel.model.total:
        with qtbot.waitSignal(panel.model.rowsInserted, timeout=WAIT):
            panel.view.scrollToBottom()


@pytest.fixture
def postgres_dlq() -> Iterator[tuple[str, str]]:
    """A fresh dead-letter table name on the machine's PostgreSQL (dropped afterwards)."""
    url = os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                         "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        engine.dispose()
        problem = f"PostgreSQL at {url} is not reachable ({exc.orig}); see scripts/services.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    table = f"dlq_{uuid.uuid4().hex[:10]}"
    yield url, table
    with engine.begin() as conn:
        conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
    engine.dispose()


@pytest.fixture(params=["file", "sqlite", "memory", pytest.param("database", marks=pytest.mark.postgres)])
def opened(request, tmp_path: Path, qtbot, panel) -> tuple[DeadLetterPanel, DeadLetterQueue, Path]:
    """A panel showing 600 dead letters of a real run, opened the way each backend is used
    (``database``: a dead-letter table on the real PostgreSQL server)."""
    backend = request.param
    url, table = request.getfixturevalue("postgres_dlq") if backend == "database" else (None, None)
    folder = make_dlq_pipeline(tmp_path, "sqlite" if backend == "memory" else backend,
                               n_good=5, n_bad_age=450, n_negative=150, dlq_url=url, dlq_table=table)
    result = run_pipeline(folder)
    assert result["dead_lettered"] == 600
    panel.model.page_size = 100
    if backend == "memory":  # a dry run's queue, as the run summary hands it over
        queue = result["dead_letters"]
        open_and_wait(qtbot, panel, panel.open_queue, queue, folder)
    elif backend in ("file", "database"):
        open_and_wait(qtbot, panel, panel.open_pipeline, folder)
        queue = panel.queue
    else:
        open_and_wait(qtbot, panel, panel.open_file, folder / ".pycharter" / "dead_letters.db")
        queue = panel.queue
    assert queue is not None and queue.storage_backend == backend
    return panel, queue, folder


def test_open_page_filter_detail(qtbot, opened) -> None:
    panel, queue, _folder = opened
    assert panel.model.total == 600 and panel.model.rowCount() == 100
    assert "450" in panel.summary_bar.buttons["reason:transformation_error"].text()
    assert "150" in panel.summary_bar.buttons["stage:validate"].text()
    scroll_to_end(qtbot, panel)
    assert [r.id for r in rows_of(panel)] == [r.id for r in queue.page(limit=1000)]

    # Clicking a group in the summary filters in the backend.
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.summary_bar.buttons["reason:validation_error"], Qt.MouseButton.LeftButton)
    assert blocker.args == [150]
    assert panel.filter_bar.reason.currentText() == "validation_error"
    # Free text, as typed.
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as blocker:
        qtbot.keyClicks(panel.filter_bar.text, "Neg 600")
        qtbot.keyClick(panel.filter_bar.text, Qt.Key.Key_Return)
    assert blocker.args == [1]
    (rec,) = rows_of(panel)
    assert rec.record_data["name"] == "Neg 600"

    # Detail: the message, the record with its failing field highlighted.
    rect = panel.view.visualRect(panel.model.index(0, 3))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.detail.current is not None and panel.detail.current.id == rec.id
    assert "minimum of 0" in panel.detail.message.toPlainText()
    html = panel.detail.record_view.toHtml()
    assert "Neg 600" in html and "#ffe58f" in html
    assert "validation_error" in panel.detail.header.text()

    # Copy the record as JSON.
    panel.copy_records_action.trigger()
    from PySide6.QtGui import QGuiApplication
    assert json.loads(QGuiApplication.clipboard().text())["id"] == rec.id


def test_copy_of_a_selection_beyond_the_loaded_rows_copies_every_record(qtbot, opened) -> None:
    panel, queue, _folder = opened
    assert panel.model.rowCount() == 100  # one page loaded of 600
    with qtbot.waitSignal(panel.model.chunk_loaded, timeout=WAIT):
        panel.end_action.trigger()  # End: every row exists, the middle pages are not read
    assert panel.model.rowCount() == 600 and panel.model.cached_rows() < 600
    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    with qtbot.waitSignal(panel.records_copied, timeout=WAIT) as copied:
        panel.copy_records_action.trigger()
    from PySide6.QtGui import QGuiApplication
    ids = [json.loads(line)["id"] for line in QGuiApplication.clipboard().text().splitlines()]
    assert copied.args == [len(ids)]
    assert sorted(ids) == sorted(r.id for r in queue.page(limit=1000))


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_export_matches_the_queue(qtbot, opened, tmp_path, monkeypatch, suffix) -> None:
    panel, queue, _folder = opened
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT):
        panel.filter_bar.set_reason("transformation_error")
    target = tmp_path / f"export{suffix}"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(panel.export_finished, timeout=WAIT) as blocker:
        panel.export_filter_action.trigger()
    expected = [r.to_dict() for r in queue.page({"reason": "transformation_error"}, limit=10_000)]
    assert blocker.args == [str(target), 450]
    if suffix == ".jsonl":
        got = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
        assert got == expected
    else:
        rows = (list(csv.DictReader(target.open(encoding="utf-8"))) if suffix == ".csv"
                else pq.read_table(target).to_pylist())
        assert [r["id"] for r in rows] == [e["id"] for e in expected]
        assert [json.loads(r["record_data"]) for r in rows] == [e["record_data"] for e in expected]
        assert {r["error_message"] for r in rows} == {e["error_message"] for e in expected}
    assert "Exported 450" in panel.message_bar.text()


def test_export_selection(qtbot, opened, tmp_path, monkeypatch) -> None:
    panel, _queue, _folder = opened
    panel.select_rows([0, 2, 99])
    target = tmp_path / "sel.jsonl"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    with qtbot.waitSignal(panel.export_finished, timeout=WAIT):
        panel.export_selection_action.trigger()
    got = [json.loads(line)["id"] for line in target.read_text(encoding="utf-8").splitlines()]
    assert got == [rows_of(panel)[i].id for i in (0, 2, 99)]


def _out_rows(folder: Path) -> dict[int, tuple]:
    with sqlite3.connect(folder / "out.db") as conn:
        return {r[0]: r for r in conn.execute("SELECT id, name, age FROM people")}


def _select_text(qtbot, panel: DeadLetterPanel, text: str) -> None:
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT):
        panel.filter_bar.text.setText(text)
        qtbot.keyClick(panel.filter_bar.text, Qt.Key.Key_Return)
    rect = panel.view.visualRect(panel.model.index(0, 0))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_edit_then_replay_into_sqlite(qtbot, opened) -> None:
    panel, queue, folder = opened
    _select_text(qtbot, panel, '"Bad 100"')
    rec = panel.detail.current
    assert rec is not None and rec.record_data["age"] == "x100"

    panel.edit_button.click()
    dialog = panel.edit_dialog
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.editor.setPlainText('{"id": 100, "name": "Bad 100", "age": ')  # half typed
    assert not ok.isEnabled() and "Line 1" in dialog.status.text()
    dialog.editor.setPlainText(json.dumps({"id": 100, "name": "Fixed 100", "age": "33"}))
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert "edited" in panel.detail.header.text()

    with qtbot.waitSignal(panel.replay_finished, timeout=WAIT) as blocker:
        qtbot.mouseClick(panel.replay_button, Qt.MouseButton.LeftButton)
    assert blocker.args[0]["dry_run"] and blocker.args[0]["succeeded"] == 1
    assert panel.replay_bar.isVisible() and "1 would load" in panel.replay_bar.label.text()
    assert 100 not in _out_rows(folder)  # a dry replay writes nothing

    with qtbot.waitSignals([panel.replay_finished, panel.model.reloaded], timeout=WAIT):
        qtbot.mouseClick(panel.replay_bar.confirm_button, Qt.MouseButton.LeftButton)
    assert _out_rows(folder)[100] == (100, "Fixed 100", 33)
    assert panel.model.total == 0  # resolved records are hidden by default
    (stored,) = queue.page({"text": "Fixed 100"})
    assert stored.status.value == "resolved" and stored.record_data["age"] == "33"
    _select_text(qtbot, panel, "Fixed 100")
    assert panel.model.total == 0
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as blocker:
        panel.filter_bar.show_resolved.click()
    assert blocker.args == [1]


def test_record_failing_again_keeps_its_data(qtbot, opened) -> None:
    panel, _queue, folder = opened
    _select_text(qtbot, panel, '"Bad 101"')
    panel.edit_button.click()
    edited = {"id": 101, "name": "Bad 101", "age": "-4"}
    panel.edit_dialog.editor.setPlainText(json.dumps(edited))
    panel.edit_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    with qtbot.waitSignal(panel.replay_finished, timeout=WAIT):
        panel.replay_button.click()
    assert "1 would fail again" in panel.replay_bar.label.text()
    with qtbot.waitSignals([panel.replay_finished, panel.model.reloaded], timeout=WAIT):
        panel.replay_bar.confirm_button.click()
    assert 101 not in _out_rows(folder)
    (again,) = rows_of(panel)
    assert again.record_data == edited and again.reason.value == "validation_error"
    assert again.status.value == "pending" and "failed again" in panel.message_bar.text()


def test_bulk_resolve_and_delete_ask_first(qtbot, opened, monkeypatch) -> None:
    panel, queue, _folder = opened
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes,
               QMessageBox.StandardButton.Yes]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: answers.pop(0))
    panel.select_rows([0, 1, 2])
    ids = [r.id for r in rows_of(panel)[:3]]
    panel.delete_button.click()  # answered No: nothing happens
    assert queue.count() == 600
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT):
        panel.resolve_button.click()
    assert [r.status.value for r in queue.get(ids)] == ["resolved"] * 3
    assert panel.model.total == 597
    panel.select_rows([0])
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT):
        panel.delete_button.click()
    assert queue.count() == 599 and panel.model.total == 596


def test_show_run_and_errors_go_to_the_message_bar(qtbot, opened, tmp_path) -> None:
    panel, queue, _folder = opened
    run_id = queue.page(limit=1)[0].run_id
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as blocker:
        panel.show_run(run_id)
    assert blocker.args == [600] and panel.filter_bar.run_chip.isVisible()
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as blocker:
        panel.show_run("no-such-run")
    assert blocker.args == [0]
    with qtbot.waitSignal(panel.error_shown, timeout=WAIT):
        assert not panel.open_file(tmp_path / "notes.txt")
    assert "notes.txt" in panel.message_bar.text()
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "load.yaml").write_text("type: database\nwrite_method: upsert\n", encoding="utf-8")
    with qtbot.waitSignal(panel.error_shown, timeout=WAIT):
        panel.open_pipeline(broken)
    assert "Cannot open the dead letters" in panel.message_bar.text()
