"""Upsert through the stage table (SQLite, MariaDB) writes, counts and rejects what the
SQLAlchemy path does (the reference is the same writer with the raw path switched off)."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator.database import writer as writer_module
from pycharter_gui.etl_generator.database.writer import TableWriter

Db = Any  # conftest.py's TestDB (the conftest is no importable module)


def _columns(composite: bool) -> list[sa.Column]:
    key = [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False)]
    if composite:
        key.append(sa.Column("region", sa.String(8), primary_key=True))
    return [*key, sa.Column("qty", sa.Float(precision=53), nullable=False),
            sa.Column("name", sa.String(20)), sa.Column("day", sa.Date)]


def _batches(rng: random.Random, composite: bool, nulls: bool) -> list[list[dict[str, Any]]]:
    out = []
    for _ in range(3):
        ids = rng.sample(range(40), rng.randint(1, 25))
        batch = []
        for i in ids:
            rec: dict[str, Any] = {"id": i, "qty": rng.choice([1.5, 2.0, 7.25]),
                                   "name": rng.choice(["a", "b", None]),
                                   "day": dt.date(2024, 1, 1 + i % 28)}
            if composite:
                rec["region"] = rng.choice(["n", "s"])
            if nulls and rng.random() < 0.1:
                rec["qty"] = None  # NOT NULL: the database rejects the row
            batch.append(rec)
        if rng.random() < 0.2:
            batch.append(dict(batch[0]))  # a key twice in one batch
        out.append(batch)
    return out


def _run(db: Db, batches: list[list[dict[str, Any]]], *, raw: bool, composite: bool,
         update_columns: list[str] | None, monkeypatch: pytest.MonkeyPatch) -> tuple:
    name = db.create(*_columns(composite))
    table = sa.Table(name, sa.MetaData(), autoload_with=db.engine)
    table.info["backend"] = db.kind if db.kind != "mariadb" else "mysql"
    writer = TableWriter(table, write_method="upsert",
                         primary_key=["id", "region"] if composite else ["id"],
                         update_columns=update_columns, target=name)
    used = []
    original = writer_module.raw_stage_upsert

    def spy(*args: Any, **kwargs: Any) -> Any:
        used.append(True)
        return original(*args, **kwargs)

    with monkeypatch.context() as mp:
        if not raw:
            mp.setattr(writer_module, "can_raw_upsert", lambda conn: False)
        mp.setattr(writer_module, "raw_stage_upsert", spy)
        results = []
        with db.engine.connect() as conn:
            for batch in batches:
                conn.begin()
                result = writer.write(conn, batch)
                conn.commit()
                results.append((result.inserted, result.updated,
                                [(r.index, r.error_type) for r in result.rejected]))
    quoted = db.engine.dialect.identifier_preparer.quote(name)
    extra = ", typeof(qty), typeof(day)" if db.kind == "sqlite" else ""
    with db.engine.connect() as conn:
        rows = [tuple(r) for r in conn.exec_driver_sql(
            f"SELECT *{extra} FROM {quoted} ORDER BY 1, 2")]
    return results, rows, bool(used)


@pytest.fixture(params=["sqlite_db", pytest.param("maria_db", marks=pytest.mark.mariadb)])
def upsert_db(request: pytest.FixtureRequest) -> Db:
    """SQLite and MariaDB (127.0.0.1:3306, database test)."""
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("composite", [False, True])
@pytest.mark.parametrize("update_columns", [None, ["qty"], ["id"]])
@pytest.mark.parametrize("nulls", [False, True])
def test_raw_upsert_equals_the_sqlalchemy_upsert(
        upsert_db: Db, monkeypatch: pytest.MonkeyPatch, composite: bool,
        update_columns: list[str] | None, nulls: bool) -> None:
    took_raw = False
    for seed in range(6):
        batches = _batches(random.Random(seed), composite, nulls)
        fast = _run(upsert_db, batches, raw=True, composite=composite,
                    update_columns=update_columns, monkeypatch=monkeypatch)
        slow = _run(upsert_db, batches, raw=False, composite=composite,
                    update_columns=update_columns, monkeypatch=monkeypatch)
        assert fast[:2] == slow[:2], seed
        assert not slow[2]
        took_raw |= fast[2]
    assert took_raw, "the raw path was never taken"


@pytest.mark.mariadb
def test_the_stage_follows_a_table_recreated_with_other_types(maria_db: Db) -> None:
    """A temporary stage table outlives a batch on a pooled connection: an upsert into a table
    recreated with other column types must not convert values to the old types."""
    import asyncio

    from pycharter_gui.etl_generator.database import load_data

    engine = sa.create_engine(maria_db.url, pool_size=1, max_overflow=0)
    name = f"t_{random.Random().getrandbits(40):x}"
    try:
        for kind, value in ((sa.Date, dt.date(2024, 1, 1)),
                            (sa.DateTime, dt.datetime(2024, 1, 1, 13, 45, 12))):
            meta = sa.MetaData()
            table = sa.Table(name, meta, sa.Column("id", sa.Integer, primary_key=True,
                                                   autoincrement=False), sa.Column("v", kind))
            meta.drop_all(engine)
            meta.create_all(engine)
            result = asyncio.run(load_data([{"id": 1, "v": value}], session=engine,
                                           table_name=name, write_method="upsert",
                                           primary_key="id"))
            assert result["inserted"] == 1, result
            with engine.connect() as conn:
                assert conn.execute(sa.select(table.c.v)).scalar_one() == value
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS `{name}`")
        engine.dispose()


@pytest.mark.mariadb
def test_numbers_into_a_binary_column_keep_the_drivers_text(maria_db: Db) -> None:
    """MariaDB inserts into binary columns keep the encoded rows PyMySQL writes as text (5 ->
    b'5'), not SQLAlchemy's bytes(5) (five zero bytes) of the raw positional path."""
    import asyncio

    from pycharter_gui.etl_generator.database import load_data

    name = maria_db.create(sa.Column("id", sa.Integer), sa.Column("b", sa.LargeBinary(20)))
    asyncio.run(load_data([{"id": 1, "b": 5}, {"id": 2, "b": True}, {"id": 3, "b": b"\x01"}],
                          table_name=name, url=maria_db.url))
    with maria_db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT id, b FROM `{name}` ORDER BY id").all()
    assert [tuple(r) for r in rows] == [(1, b"5"), (2, b"1"), (3, b"\x01")]
