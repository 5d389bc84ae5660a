"""replay_dead_letters: dead letters go through transform, contract and load again (SQLite)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import DeadLetterQueue, DeadLetterRecord
from pycharter_gui.etl_generator.replay import mark_replay_outcomes, replay_dead_letters

from .dlq_fixtures import make_dlq_pipeline, run_pipeline


def _rows(folder: Path) -> dict[int, tuple]:
    with sqlite3.connect(folder / "out.db") as conn:
        return {r[0]: r for r in conn.execute("SELECT id, name, age FROM people")}


@pytest.fixture
def pipeline(tmp_path: Path) -> tuple[Path, DeadLetterQueue]:
    folder = make_dlq_pipeline(tmp_path, "sqlite")
    run_pipeline(folder)
    queue = DeadLetterQueue(storage_backend="sqlite",
                            storage_path=folder / ".pycharter" / "dead_letters.db")
    return folder, queue


async def test_dry_replay_writes_nothing_then_real_replay_loads(pipeline) -> None:
    folder, queue = pipeline
    bad = queue.page({"text": "Bad 21"})[0]
    fixed = {**bad.record_data, "age": "41"}
    dry = await replay_dead_letters(folder, [bad], edited={bad.id: fixed}, dry_run=True)
    assert dry["outcomes"][bad.id]["ok"] is True
    assert dry["succeeded"] == 1 and dry["dry_run"] is True
    assert 21 not in _rows(folder)

    real = await replay_dead_letters(folder, [bad], edited={bad.id: fixed}, dry_run=False)
    assert real["outcomes"][bad.id]["ok"] is True and real["loaded_rows"] == 1
    assert _rows(folder)[21] == (21, "Bad 21", 41)
    assert queue.get(bad.id)[0].status.value == "pending"  # replay never writes the DLQ

    counts = mark_replay_outcomes(queue, [bad], real, {bad.id: fixed})
    assert counts == {"resolved": 1, "filtered": 0, "failed": 0}
    assert queue.get(bad.id) == []
    (new,) = queue.page({"text": "Bad 21"})
    assert new.status.value == "resolved" and new.record_data == fixed
    assert new.metadata["replay_of"] == bad.id and new.retry_count == 1
    # kept for audit: what the record was, and why it failed, before the edit
    assert new.metadata["original_record_data"] == bad.record_data
    assert new.metadata["original_error_message"] == bad.error_message


async def test_record_failing_again_keeps_data_with_new_reason(pipeline) -> None:
    folder, queue = pipeline
    bad = queue.page({"text": "Bad 22"})[0]
    # Edited into a contract failure: the convert works now, the schema minimum does not.
    edited = {**bad.record_data, "age": "-3"}
    result = await replay_dead_letters(folder, [bad], edited={bad.id: edited}, dry_run=False)
    out = result["outcomes"][bad.id]
    assert out["ok"] is False and out["reason"] == "validation_error" and out["stage"] == "validate"
    assert out["field"] == "age"
    assert 22 not in _rows(folder)
    mark_replay_outcomes(queue, [bad], result, {bad.id: edited})
    (again,) = queue.page({"text": "Bad 22"})
    assert again.status.value == "pending" and again.reason.value == "validation_error"
    assert again.record_data == edited and "minimum" in again.error_message


async def test_unedited_transform_failure_fails_again(pipeline) -> None:
    folder, queue = pipeline
    bad = queue.page({"text": "Bad 23"})[0]
    result = await replay_dead_letters(folder, [bad], dry_run=False)
    out = result["outcomes"][bad.id]
    assert out["ok"] is False and out["reason"] == "transformation_error" and "x23" in out["message"]


async def test_load_stage_record_is_loaded_as_is_and_rejects_come_back(pipeline) -> None:
    folder, _queue = pipeline
    ok = DeadLetterRecord("people_sqlite", {"id": 500, "name": "Loaded", "age": 7}, "load_error",
                          "locked", "OperationalError", "load")
    dup = DeadLetterRecord("people_sqlite", {"id": 1, "name": "Dup", "age": 7}, "load_error",
                           "locked", "OperationalError", "load")
    result = await replay_dead_letters(folder, [ok, dup], dry_run=False)
    assert result["outcomes"][ok.id]["ok"] is True
    assert result["outcomes"][dup.id]["ok"] is False
    assert result["outcomes"][dup.id]["reason"] == "load_error"
    rows = _rows(folder)
    assert rows[500] == (500, "Loaded", 7) and rows[1][1] == "Good 1"
