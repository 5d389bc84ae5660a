"""Upsert through every path (PostgreSQL's COPY-stage path, the executemany path when a key
repeats in the batch): same rows, same counts, bad rows isolated with the database message."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from test_db_load_session import people, people_columns, run_load


async def test_upsert_with_bad_rows_loads_the_good_ones(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 4)))
    batch = [{"id": 2, "name": "changed", "score": 1}, {"id": 5, "name": "x" * 40, "score": 2},
             {"id": 6, "name": None, "score": 3}, {"id": 7, "name": "new", "score": None}]
    results, _ = await run_load(db, table, [batch], write_method="upsert",
                                primary_key=["id"])
    res = results[0]
    if db.kind == "sqlite":  # SQLite does not enforce VARCHAR lengths: only the NULL fails
        assert (res.inserted, res.updated, [r.index for r in res.rejected]) == (2, 1, [2])
    else:
        assert (res.inserted, res.updated, [r.index for r in res.rejected]) == (1, 1, [1, 2])
        assert "too long" in res.rejected[0].message.lower()
    assert "null" in res.rejected[-1].message.lower()
    rows = {r["id"]: (r["name"], r["score"]) for r in db.rows(table)}
    assert rows[2] == ("changed", 1) and rows[7] == ("new", None) and 6 not in rows


async def test_repeated_key_in_a_batch_keeps_the_last_and_counts_right(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 3)))
    batch = [{"id": 1, "name": "a", "score": 1}, {"id": 9, "name": "b", "score": 2},
             {"id": 9, "name": "c", "score": 3}, {"id": 1, "name": "d", "score": 4}]
    results, _ = await run_load(db, table, [batch], write_method="upsert", primary_key=["id"])
    assert (results[0].inserted, results[0].updated) == (1, 3)
    rows = {r["id"]: (r["name"], r["score"]) for r in db.rows(table)}
    assert rows == {1: ("d", 4), 2: ("p2", 20), 9: ("c", 3)}


async def test_update_columns_limit_what_an_upsert_changes(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 3)))
    batch = [{"id": 1, "name": "renamed", "score": 99}, {"id": 4, "name": "four", "score": 4}]
    results, _ = await run_load(db, table, [batch, [{"id": 2, "name": "x", "score": 5}]],
                                write_method="upsert", primary_key=["id"],
                                update_columns=["score"])
    assert [(r.inserted, r.updated) for r in results] == [(1, 1), (0, 1)]
    rows = {r["id"]: (r["name"], r["score"]) for r in db.rows(table)}
    assert rows == {1: ("p1", 99), 2: ("p2", 5), 4: ("four", 4)}
    with db.engine.connect() as conn:  # the stage table does not outlive the transaction
        names = sa.inspect(conn).get_table_names()
    assert not [n for n in names if n.startswith("pycharter_stage")]
