"""The SQLite insert fast path (raw executemany) writes exactly what the SQLAlchemy path writes.

Lives here because the throughput work owns it; it exercises database/writer.py."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import sqlalchemy as sa

from pycharter_gui.etl_generator.database.writer import TableWriter


def _table() -> sa.Table:
    table = sa.Table("t", sa.MetaData(),
                     sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
                     sa.Column("f", sa.Float), sa.Column("ok", sa.Boolean),
                     sa.Column("at", sa.DateTime), sa.Column("doc", sa.Text))
    table.info["backend"] = "sqlite"
    return table


def _write(path: Path, records: list[dict], *, fast: bool) -> tuple[list, list]:
    engine = sa.create_engine(f"sqlite:///{path}")
    table = _table()
    table.create(engine)
    writer = TableWriter(table, write_method="insert", primary_key=["id"], update_columns=None,
                         target="t")
    if not fast:
        writer._raw_sqlite = lambda conn: False  # type: ignore[method-assign]
    with engine.connect() as conn:
        conn.begin()
        result = writer.write(conn, records)
        conn.commit()
    engine.dispose()
    con = sqlite3.connect(path)
    rows = con.execute("SELECT id, f, typeof(f), ok, at, doc FROM t ORDER BY id").fetchall()
    con.close()
    return rows, [(r.index, r.error_type) for r in result.rejected]


def test_fast_path_matches_the_sqlalchemy_path(tmp_path: Path) -> None:
    records = [
        {"id": 1, "f": 1, "ok": True, "at": "2024-05-06T07:08:09", "doc": {"k": [1]}},
        {"id": 2, "f": 2.5, "ok": None, "at": dt.datetime(2024, 1, 2), "doc": "plain"},
        {"id": 1, "f": 0.5, "ok": False, "at": None, "doc": None},  # duplicate key
        {"id": 3, "f": None, "ok": 0, "at": "2024-01-02 03:04:05", "doc": ["a"]},
    ]
    fast = _write(tmp_path / "fast.db", [dict(r) for r in records], fast=True)
    slow = _write(tmp_path / "slow.db", [dict(r) for r in records], fast=False)
    assert fast == slow
    assert fast[1] == [(2, "IntegrityError")] and fast[0][0][2] == "real"


def test_plain_batches_use_positional_rows(tmp_path: Path) -> None:
    records = [{"id": i, "f": i / 2, "ok": i % 2 == 0, "at": None, "doc": f"d{i}"}
               for i in range(1, 2001)]
    fast = _write(tmp_path / "fast.db", records, fast=True)
    slow = _write(tmp_path / "slow.db", records, fast=False)
    assert fast == slow and len(fast[0]) == 2000 and fast[1] == []


def test_column_rows_are_the_rows_the_list_held() -> None:
    """``ColumnRows`` (rows made while the driver takes them) answers as the list of tuples it
    replaces: length, iteration, an index and the halves a failed insert is split into."""
    import pytest

    from pycharter_gui.etl_generator.database.bulk_writes import ColumnRows

    columns = [[1, 2, 3, 4, 5], ["a", "b", None, "d", "e"], [0.5, 1.5, 2.5, 3.5, 4.5]]
    rows, listed = ColumnRows(columns), list(zip(*columns, strict=True))
    assert len(rows) == 5 and list(rows) == listed and rows[2] == listed[2]
    assert list(rows[1:4]) == listed[1:4] and list(rows[3:][1:]) == listed[4:]
    with pytest.raises(ValueError, match="different lengths"):
        ColumnRows([[1, 2], [1]])
