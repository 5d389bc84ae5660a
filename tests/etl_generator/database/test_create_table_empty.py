"""create_table: true when no record reaches the load (every one filtered or dead-lettered):
the table is still created, from the data contract's columns; with no columns known the run
says so in its warnings (never a silent "completed" with no table). A dry run creates nothing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.cli import main
from pycharter_gui.etl_generator import ETLOrchestrator

SQLITE_AND_PG = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
SCHEMA = ("type: object\nproperties:\n  id: {type: integer}\n  amount: {type: number}\n"
          "  day: {type: string, format: date}\n  note: {type: [string, 'null']}\n"
          "  extra: {}\n")


def _pipeline(folder: Path, url: str, table: str, *, contract: bool) -> Path:
    folder.mkdir()
    records = [{"id": i, "amount": i * 1.5, "day": f"2024-01-0{i}", "note": "x"}
               for i in range(1, 6)]
    (folder / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    (folder / "extract.yaml").write_text("path: in.jsonl\nbatch_size: 2\n")
    (folder / "transform.yaml").write_text("filter: {field: id, operator: gt, value: 100}\n")
    if contract:
        (folder / "schema.yaml").write_text(SCHEMA)
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: {url}\ntable: {table}\nwrite_method: insert\n"
        "create_table: true\n")
    return folder


@pytest.mark.parametrize("db", SQLITE_AND_PG, indirect=True)
async def test_all_filtered_with_a_contract_creates_the_empty_table(db: Any, tmp_path: Path
                                                                    ) -> None:
    table = db.unique_name()
    folder = _pipeline(tmp_path / "pipe", db.url, table, contract=True)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert result["transformation"]["filtered"] == 5 and result["loading"]["total_records"] == 0
    assert result["warnings"] == []
    columns = {c["name"]: c["type"] for c in sa.inspect(db.engine).get_columns(table)}
    assert list(columns) == ["id", "amount", "day", "note", "extra"]
    assert isinstance(columns["id"], sa.Integer)
    assert isinstance(columns["amount"], sa.Float | sa.Numeric)
    assert isinstance(columns["day"], sa.Date)
    assert db.rows(table) == []


@pytest.mark.parametrize("db", SQLITE_AND_PG, indirect=True)
async def test_all_filtered_without_columns_warns(db: Any, tmp_path: Path, monkeypatch) -> None:
    # the dict path: an empty batch of records has no columns
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    table = db.unique_name()
    folder = _pipeline(tmp_path / "pipe", db.url, table, contract=False)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert not sa.inspect(db.engine).has_table(table)
    assert len(result["warnings"]) == 1
    warning = result["warnings"][0]
    assert table in warning and "not created" in warning and "no columns are known" in warning


def test_the_warning_is_in_the_cli_output(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    folder = _pipeline(tmp_path / "pipe", f"sqlite:///{tmp_path / 't.db'}", "items",
                       contract=False)
    assert main(["run", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "note: The table 'items'" in out and "was not created" in out


async def test_an_empty_arrow_batch_gives_its_columns(tmp_path: Path) -> None:
    """No contract, but a batch with a schema reached the load (an empty Arrow table): the
    table is created with that batch's columns and types."""
    import pyarrow as pa

    from pycharter_gui.etl_generator.database.load import DatabaseLoadSession

    session = DatabaseLoadSession({"url": f"sqlite:///{tmp_path / 't.db'}", "table": "items",
                                   "write_method": "insert", "create_table": True})
    await session.open()
    empty = pa.table({"id": pa.array([], pa.int64()), "name": pa.array([], pa.string()),
                      "qty": pa.array([], pa.float64())})
    await session.write_arrow_batch(empty, 0)
    summary = await session.commit()
    assert summary["warnings"] == []
    with sqlite3.connect(tmp_path / "t.db") as conn:
        columns = [(r[1], r[2]) for r in conn.execute("PRAGMA table_info(items)")]
    assert columns == [("id", "BIGINT"), ("name", "TEXT"), ("qty", "FLOAT")]


@pytest.mark.parametrize("db", SQLITE_AND_PG, indirect=True)
async def test_dry_run_creates_nothing(db: Any, tmp_path: Path) -> None:
    table = db.unique_name()
    folder = _pipeline(tmp_path / "pipe", db.url, table, contract=True)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True)
    assert result["success"], result["error"]
    if db.kind == "sqlite":
        assert not Path(db.url.removeprefix("sqlite:///")).exists() or \
            not sa.inspect(db.engine).has_table(table)
    else:
        assert not sa.inspect(db.engine).has_table(table)
