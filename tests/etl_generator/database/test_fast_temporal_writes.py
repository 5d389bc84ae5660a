"""Date/datetime and mixed int/float columns take the column-wise insert path (SQLite
executemany, PostgreSQL COPY) and store exactly what the per-row writer stored.

The reference is the writer with its column-wise step switched off (``plain_columns`` gives
None), i.e. every value through the column encoders and bind processors one row at a time, as
these batches were written before."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pyarrow as pa
import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator.columnar.values import column_from_values
from pycharter_gui.etl_generator.database.column_batch import ColumnBatch, write_any
from pycharter_gui.etl_generator.database.writer import TableWriter

Db = Any  # conftest.py's TestDB (the conftest is no importable module)


def _records(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randint(-400, 400))
        out.append({
            "id": i,
            "day": None if i % 17 == 0 else day,
            "at": None if i % 13 == 0 else dt.datetime(2026, 3, 4, rng.randint(0, 23),
                                                       rng.randint(0, 59), rng.randint(0, 59),
                                                       rng.choice([0, 123456])),
            "total": None if i % 11 == 0 else (i * 3 if i % 3 else round(i * 0.37, 2)),
            "day_text": day,  # a date into a text column
            "edge": rng.choice([dt.date(1, 1, 1), dt.date(999, 12, 31), dt.date(9999, 12, 31)]),
            "name": f"n{i}",
        })
    return out


def _table_arrow(records: list[dict[str, Any]]) -> pa.Table:
    """The Arrow table the columnar path holds for ``records`` (date32, timestamp[us], the
    int/float union, strings)."""
    names = list(records[0])
    arrays = [column_from_values([r[n] for r in records]) for n in names]
    assert all(a is not None for a in arrays)
    return pa.Table.from_arrays(arrays, names=names)


def _columns(kind: str) -> list[sa.Column]:
    return [sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("day", sa.Date), sa.Column("at", sa.DateTime),
            sa.Column("total", sa.Float(precision=53) if kind != "sqlite" else sa.Float),
            sa.Column("day_text", sa.Text), sa.Column("edge", sa.Date),
            sa.Column("name", sa.Text, nullable=False)]


def _write(db: Db, batch: Any, *, fast: bool, monkeypatch: pytest.MonkeyPatch
           ) -> tuple[list[Any], list[tuple[int, dict[str, Any]]], list[str]]:
    """Write ``batch`` into a fresh table; (stored rows, rejected rows, paths taken)."""
    name = db.create(*_columns(db.kind))
    table = sa.Table(name, sa.MetaData(), autoload_with=db.engine)
    table.info["backend"] = db.kind
    writer = TableWriter(table, write_method="insert", primary_key=["id"], update_columns=None,
                         target=name)
    taken: list[str] = []
    original_plain, original_encoded = writer.plain_columns, writer._encoded_rows

    def plain(*args: Any, **kwargs: Any) -> Any:
        rows = original_plain(*args, **kwargs) if fast else None
        taken.append("columns" if rows is not None else "refused")
        return rows

    def encoded(*args: Any, **kwargs: Any) -> Any:
        taken.append("per-row")
        return original_encoded(*args, **kwargs)

    monkeypatch.setattr(writer, "plain_columns", plain)
    monkeypatch.setattr(writer, "_encoded_rows", encoded)
    with db.engine.connect() as conn:
        conn.begin()
        result = write_any(writer, conn, batch)
        conn.commit()
    quoted = db.engine.dialect.identifier_preparer.quote(name)
    with db.engine.connect() as conn:
        if db.kind == "sqlite":  # the stored text and storage class, not SQLAlchemy's reading
            sql = (f"SELECT id, day, typeof(day), at, typeof(at), total, typeof(total), "
                   f"day_text, typeof(day_text), edge, name FROM {quoted} ORDER BY id")
        elif db.kind == "mariadb":
            sql = f"SELECT id, day, at, total, day_text, edge, name FROM {quoted} ORDER BY id"
        else:
            sql = (f"SELECT id, day, at, total, pg_typeof(total)::text, day_text, edge, name "
                   f"FROM {quoted} ORDER BY id")
        stored = [tuple(r) for r in conn.exec_driver_sql(sql)]
        typed = [tuple(r) for r in conn.execute(sa.select(table).order_by(table.c.id))]
    return [stored, typed], [(r.index, r.record) for r in result.rejected], taken


@pytest.fixture(params=["sqlite_db", pytest.param("pg_db", marks=pytest.mark.postgres),
                        pytest.param("maria_db", marks=pytest.mark.mariadb)])
def any_db(request: pytest.FixtureRequest) -> Any:
    """SQLite, PostgreSQL (127.0.0.1:5432) and MariaDB (127.0.0.1:3306), database test."""
    return request.getfixturevalue(request.param)


def test_arrow_batches_with_dates_and_mixed_numbers_take_the_column_path(
        any_db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(500)
    records[77]["name"] = None  # NOT NULL: one rejected row, its record as the batch held it
    table = _table_arrow(records)
    fast = _write(any_db, ColumnBatch.from_table(table), fast=True, monkeypatch=monkeypatch)
    slow = _write(any_db, [dict(r) for r in records], fast=False, monkeypatch=monkeypatch)
    assert fast[0] == slow[0]
    assert fast[1] == slow[1] == [(77, records[77])]
    assert fast[2] == ["columns"] and "per-row" in slow[2]


def test_record_batches_with_dates_take_the_column_path(
        any_db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(300, seed=5)
    fast = _write(any_db, [dict(r) for r in records], fast=True, monkeypatch=monkeypatch)
    slow = _write(any_db, [dict(r) for r in records], fast=False, monkeypatch=monkeypatch)
    assert fast[0] == slow[0] and fast[1] == slow[1] == []
    assert fast[2] == ["columns"]


def test_iso_text_in_a_date_column_still_goes_row_by_row(
        sqlite_db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    records = _records(10)
    records[4]["day"] = "2026-02-03"  # the encoder parses it: not a plain value
    fast = _write(sqlite_db, [dict(r) for r in records], fast=True, monkeypatch=monkeypatch)
    slow = _write(sqlite_db, [dict(r) for r in records], fast=False, monkeypatch=monkeypatch)
    assert fast[0] == slow[0]
    assert fast[2] == ["refused", "per-row"]


def test_column_batch_values_are_the_tables_python_values() -> None:
    records = _records(400)
    table = _table_arrow(records)
    batch = ColumnBatch.from_table(table)
    assert batch.records() == table.to_pylist() == records
    for values, kinds in zip(batch.columns, batch.kinds or [], strict=True):
        assert kinds is not None and set(map(type, values)) <= kinds
    only_ints = ColumnBatch.from_table(pa.table({"n": column_from_values([1, 2.5, 3])}))
    assert only_ints.columns == [[1, 2.5, 3]]
    assert list(map(type, only_ints.columns[0])) == [int, float, int]
    assert only_ints.kinds == [frozenset({int, float})]
