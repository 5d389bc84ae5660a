"""End to end through ETLOrchestrator into PostgreSQL and MariaDB: rows the database refuses
land in the DLQ with the database's own message, good rows load, every record is accounted
for, and a dry run leaves the target exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator import ETLOrchestrator
from pycharter_gui.etl_generator.dead_letter import DeadLetterQueue
from pycharter_gui.etl_generator.dead_letter.backends import register_backend
from pycharter_gui.etl_generator.dead_letter.backends.database import DatabaseBackend

SERVERS = [pytest.param("postgresql", marks=pytest.mark.postgres),
           pytest.param("mariadb", marks=pytest.mark.mariadb)]
N = 40
# id -> why the database refuses it
BAD = {12: "too_long", 23: "check", 31: "not_null", 37: "duplicate"}
MESSAGES = {
    "postgresql": {"too_long": "value too long", "check": "violates check constraint",
                   "not_null": "null value in column", "duplicate": "duplicate key"},
    "mariadb": {"too_long": "Data too long", "check": "CONSTRAINT", "not_null": "cannot be null",
                "duplicate": "Duplicate entry"},
}


def _records() -> list[dict[str, Any]]:
    out = []
    for i in range(1, N + 1):
        rec: dict[str, Any] = {"id": i, "name": f"n{i}", "amount": i * 1.25}
        kind = BAD.get(i)
        if kind == "too_long":
            rec["name"] = "x" * 30
        elif kind == "check":
            rec["amount"] = -1
        elif kind == "not_null":
            rec["name"] = None
        elif kind == "duplicate":
            rec["id"] = 3  # id 3 is loaded earlier in the run
        out.append(rec)
    return out


def _target(db: Any) -> str:
    return db.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("name", sa.String(10), nullable=False),
                     sa.Column("amount", sa.Float, sa.CheckConstraint("amount >= 0")),
                     rows=[{"id": 100, "name": "existing", "amount": 1.0}])


def _pipeline(folder: Path, db: Any, table: str, dlq: str = "") -> Path:
    folder.mkdir()
    (folder / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in _records()))
    (folder / "extract.yaml").write_text("type: file\npath: in.jsonl\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text("{}\n")
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: {db.url}\ntable: {table}\nwrite_method: insert\n"
        + dlq)
    return folder


def _check_dead_letters(db: Any, queue: DeadLetterQueue) -> None:
    letters = queue.page(limit=100)
    assert len(letters) == len(BAD)
    by_name = {}
    for rec in letters:
        assert rec.stage == "load" and rec.reason.value == "load_error"
        key = next(k for k, v in BAD.items() if _records()[k - 1] == rec.record_data)
        by_name[BAD[key]] = rec.error_message
    for kind, needle in MESSAGES[db.kind].items():
        assert needle.lower() in by_name[kind].lower(), (kind, by_name[kind])


@pytest.mark.parametrize("db", SERVERS, indirect=True)
async def test_refused_rows_are_dead_lettered_with_the_database_message(
        db: Any, tmp_path: Path) -> None:
    table = _target(db)
    folder = _pipeline(tmp_path / "pipe", db, table)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert result["extraction"]["total_records"] == N
    assert result["loading"]["total_records"] == N - len(BAD)
    assert result["dead_lettered"] == len(BAD)
    assert result["dlq_by_reason"] == {"load_error": len(BAD)}
    assert (result["loading"]["total_records"] + result["dead_lettered"]
            + result["transformation"]["filtered"]) == result["extraction"]["total_records"]
    loaded = {r["id"] for r in db.rows(table)}
    assert loaded == {i for i in range(1, N + 1) if i not in BAD} | {100}
    _check_dead_letters(db, result["dead_letters"])
    # the default file DLQ of the pipeline holds the same dead letters
    stored = DeadLetterQueue(storage_path=folder / ".pycharter" / "dead_letters.jsonl")
    assert stored.count() == len(BAD)


@pytest.mark.parametrize("db", SERVERS, indirect=True)
async def test_dry_run_reports_the_same_failures_and_changes_nothing(
        db: Any, tmp_path: Path) -> None:
    table = _target(db)
    before = db.rows(table)
    folder = _pipeline(tmp_path / "pipe", db, table)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True)
    assert result["success"] and result["dry_run"]
    assert result["dead_lettered"] == len(BAD)
    assert result["loading"]["total_records"] == N - len(BAD)
    _check_dead_letters(db, result["dead_letters"])
    assert db.rows(table) == before
    assert not (folder / ".pycharter").exists(), "a dry run writes no DLQ file"


@pytest.mark.parametrize("db", SERVERS, indirect=True)
async def test_database_dead_letter_queue_from_load_yaml(db: Any, tmp_path: Path) -> None:
    register_backend("database", DatabaseBackend)  # another module unregisters it in a test
    table, dlq_table = _target(db), db.unique_name()
    folder = _pipeline(tmp_path / "pipe", db, table,
                       f"dead_letter_queue:\n  backend: database\n  table: {dlq_table}\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    stored = DeadLetterQueue(storage_backend="database", storage_path=db.url,
                             table_name=dlq_table)
    try:
        _check_dead_letters(db, stored)
        assert stored.statistics({"pipeline": result["pipeline"]})["total"] == len(BAD)
    finally:
        stored.close()


@pytest.mark.parametrize("db", SERVERS, indirect=True)
async def test_database_dead_letters_default_to_a_table_per_pipeline_beside_the_target(
        db: Any, tmp_path: Path) -> None:
    import uuid

    from pycharter_gui.designer.views.dead_letter_panel import queue_for_pipeline
    from pycharter_gui.etl_generator.dead_letter.backends.database import default_table_for

    register_backend("database", DatabaseBackend)
    name = f"orders_{uuid.uuid4().hex[:8]}"
    folder = _pipeline(tmp_path / name, db, _target(db), "dead_letter_queue:\n  backend: database\n")
    dlq_table = default_table_for(name)
    db._tables.append(sa.Table(dlq_table, sa.MetaData()))  # dropped after the test
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert dlq_table == f"dead_letters_{name}" and sa.inspect(db.engine).has_table(dlq_table)
    queue, _keys = queue_for_pipeline(folder)  # what the designer's Dead letters panel opens
    try:
        _check_dead_letters(db, queue)
    finally:
        queue.close()


async def test_create_table_takes_its_column_types_from_the_contract(db: Any, tmp_path: Path) -> None:
    """The first batch alone would make ``amount`` an integer column and know nothing of
    ``note``; the contract declares both, so the later batch loads as it should."""
    folder = tmp_path / "pipe"
    folder.mkdir()
    table = db.unique_name()
    records = [{"id": i, "amount": i, "day": f"2024-01-0{i}"} for i in range(1, 4)]
    records.append({"id": 4, "amount": 2.5, "day": "2024-01-04", "note": "late"})
    (folder / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "extract.yaml").write_text("path: in.jsonl\nbatch_size: 3\n")
    (folder / "transform.yaml").write_text("{}\n")
    (folder / "schema.yaml").write_text(
        "type: object\nproperties:\n  id: {type: integer}\n  amount: {type: number}\n"
        "  day: {type: string, format: date}\n  note: {type: [string, 'null']}\n")
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: {db.url}\ntable: {table}\nwrite_method: insert\n"
        "create_table: true\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert result["loading"]["total_records"] == 4 and result["dead_lettered"] == 0
    columns = {c["name"]: c["type"] for c in sa.inspect(db.engine).get_columns(table)}
    assert isinstance(columns["amount"], sa.Float | sa.Numeric)  # not the first batch's int
    assert db.rows(table)[-1]["amount"] == 2.5 and db.rows(table)[-1]["note"] == "late"
