"""SQLite upsert through the stage table writes, counts and rejects what the SQLAlchemy path
does (the reference is the same writer with the raw path switched off)."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator.database import writer as writer_module
from pycharter_gui.etl_generator.database.writer import TableWriter


def _table(composite: bool) -> sa.Table:
    key = [sa.Column("id", sa.Integer, primary_key=True)]
    if composite:
        key.append(sa.Column("region", sa.String, primary_key=True))
    table = sa.Table("t", sa.MetaData(), *key, sa.Column("qty", sa.Float, nullable=False),
                     sa.Column("name", sa.String), sa.Column("day", sa.Date))
    table.info["backend"] = "sqlite"
    return table


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


def _run(path: Path, batches: list[list[dict[str, Any]]], *, raw: bool, composite: bool,
         update_columns: list[str] | None, monkeypatch: pytest.MonkeyPatch) -> tuple:
    engine = sa.create_engine(f"sqlite:///{path}")
    table = _table(composite)
    table.create(engine)
    writer = TableWriter(table, write_method="upsert",
                         primary_key=["id", "region"] if composite else ["id"],
                         update_columns=update_columns, target="t")
    used = []
    original = writer_module.sqlite_stage_upsert

    def spy(*args: Any, **kwargs: Any) -> Any:
        used.append(True)
        return original(*args, **kwargs)

    with monkeypatch.context() as mp:
        mp.setattr(writer_module, "can_raw_upsert", lambda conn: raw)
        mp.setattr(writer_module, "sqlite_stage_upsert", spy)
        results = []
        with engine.connect() as conn:
            for batch in batches:
                conn.begin()
                result = writer.write(conn, batch)
                conn.commit()
                results.append((result.inserted, result.updated,
                                [(r.index, r.error_type) for r in result.rejected]))
    engine.dispose()
    with sqlite3.connect(path) as con:
        rows = con.execute("SELECT *, typeof(qty), typeof(day) FROM t ORDER BY 1, 2").fetchall()
    return results, rows, bool(used)


@pytest.mark.parametrize("composite", [False, True])
@pytest.mark.parametrize("update_columns", [None, ["qty"], ["id"]])
@pytest.mark.parametrize("nulls", [False, True])
def test_raw_upsert_equals_the_sqlalchemy_upsert(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, composite: bool,
        update_columns: list[str] | None, nulls: bool) -> None:
    took_raw = False
    for seed in range(8):
        batches = _batches(random.Random(seed), composite, nulls)
        fast = _run(tmp_path / f"fast{seed}.db", batches, raw=True, composite=composite,
                    update_columns=update_columns, monkeypatch=monkeypatch)
        slow = _run(tmp_path / f"slow{seed}.db", batches, raw=False, composite=composite,
                    update_columns=update_columns, monkeypatch=monkeypatch)
        assert fast[:2] == slow[:2], seed
        assert not slow[2]
        took_raw |= fast[2]
    assert took_raw, "the raw path was never taken"
