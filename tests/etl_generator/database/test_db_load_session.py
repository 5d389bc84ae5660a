"""DatabaseLoadSession against real SQLite files, PostgreSQL and MariaDB."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator.database.load import DatabaseLoadSession
from pycharter_gui.etl_generator.errors import ConfigError, LoadError


def people_columns() -> list[sa.Column]:
    return [sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("name", sa.String(20), nullable=False),
            sa.Column("score", sa.Integer, nullable=True)]


async def run_load(db: Any, table: str, batches: list[list[dict]], *, dry_run: bool = False,
                   resume_batches: int = 0, **cfg: Any) -> tuple[list, dict]:
    session = DatabaseLoadSession({"type": "database", "url": db.url, "table": table, **cfg},
                                  dry_run=dry_run, run_key="test")
    await session.open(resume_batches=resume_batches)
    results = []
    try:
        for i, batch in enumerate(batches):
            results.append(await session.write_batch(batch, i))
    except BaseException:
        await session.abort()
        raise
    return results, await session.commit()


def people(ids: range, name: str = "p") -> list[dict]:
    return [{"id": i, "name": f"{name}{i}", "score": i * 10} for i in ids]


async def test_insert_several_batches(db: Any) -> None:
    table = db.create(*people_columns())
    results, summary = await run_load(db, table, [people(range(1, 4)), people(range(4, 6))])
    assert [r.inserted for r in results] == [3, 2]
    assert summary["inserted"] == 5 and summary["rejected"] == 0
    assert db.rows(table) == people(range(1, 6))


async def test_upsert_counts_inserted_and_updated(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 4)))
    batch = [{"id": 2, "name": "two"}, {"id": 3, "name": "three", "score": 1},
             {"id": 7, "name": "seven", "score": 70}]
    results, _ = await run_load(db, table, [batch], write_method="upsert", primary_key=["id"])
    assert (results[0].inserted, results[0].updated) == (1, 2)
    rows = db.rows(table)
    # a column the record does not supply keeps its value
    assert rows == [{"id": 1, "name": "p1", "score": 10}, {"id": 2, "name": "two", "score": 20},
                    {"id": 3, "name": "three", "score": 1},
                    {"id": 7, "name": "seven", "score": 70}]


async def test_upsert_with_duplicate_key_in_batch_is_counted_once_as_insert(db: Any) -> None:
    table = db.create(*people_columns())
    batch = [{"id": 1, "name": "a", "score": 1}, {"id": 1, "name": "b", "score": 2}]
    results, _ = await run_load(db, table, [batch], write_method="upsert", primary_key="id")
    res = results[0]
    assert res.loaded + len(res.rejected) == 2
    assert len(db.rows(table)) == 1


async def test_truncate_and_load_clears_once_per_run(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(100, 105)))
    batches = [people(range(1, 3)), people(range(3, 5)), people(range(5, 6))]
    await run_load(db, table, batches, write_method="truncate_and_load")
    assert db.rows(table) == people(range(1, 6))


async def test_truncate_and_load_failing_before_its_first_batch_keeps_the_table(db: Any) -> None:
    """A run that dies before any batch commits (a missing source, a cancel) must not have
    emptied the table: the clear is part of the first batch's transaction."""
    table = db.create(*people_columns(), rows=people(range(100, 103)))
    session = DatabaseLoadSession({"type": "database", "url": db.url, "table": table,
                                   "write_method": "truncate_and_load"}, dry_run=False, run_key="t")
    await session.open()
    await session.abort()
    assert db.rows(table) == people(range(100, 103))


async def test_truncate_and_load_of_an_empty_source_empties_the_table(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(100, 103)))
    _, summary = await run_load(db, table, [], write_method="truncate_and_load")
    assert db.rows(table) == [] and summary["inserted"] == 0


async def test_truncate_and_load_resume_keeps_committed_batches(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 3)))
    await run_load(db, table, [people(range(3, 5))], write_method="truncate_and_load",
                   resume_batches=1)
    assert db.rows(table) == people(range(1, 5))


async def test_replace_deletes_then_inserts(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 3)))
    results, _ = await run_load(db, table, [[{"id": 2, "name": "new"}, {"id": 9, "name": "n"}]],
                                write_method="replace", primary_key=["id"])
    assert (results[0].inserted, results[0].updated) == (1, 1)
    # replace writes the whole row: the score not supplied becomes NULL
    assert db.rows(table) == [{"id": 1, "name": "p1", "score": 10},
                              {"id": 2, "name": "new", "score": None},
                              {"id": 9, "name": "n", "score": None}]


async def test_update_counts_real_matches_and_rejects_missing_keys(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 3)))
    batch = [{"id": 1, "score": 5}, {"id": 2, "score": 20}, {"id": 42, "score": 1}]
    results, _ = await run_load(db, table, [batch], write_method="update", primary_key=["id"])
    res = results[0]
    assert (res.inserted, res.updated) == (0, 2)  # id 2 matches even though nothing changes
    assert [(r.index, r.error_type) for r in res.rejected] == [(2, "NoMatchingRow")]
    assert db.rows(table) == [{"id": 1, "name": "p1", "score": 5},
                              {"id": 2, "name": "p2", "score": 20}]


async def test_delete_by_key(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 4)))
    results, _ = await run_load(db, table, [[{"id": 1}, {"id": 3}]], write_method="delete",
                                primary_key=["id"])
    assert results[0].updated == 2
    assert db.rows(table) == people(range(2, 3))


async def test_bad_rows_are_split_out_and_good_rows_load(db: Any) -> None:
    table = db.create(*people_columns(), rows=people(range(1, 2)))
    batch = people(range(2, 12))
    batch[3] = {"id": 1, "name": "duplicate key", "score": 0}   # primary key violation
    batch[6] = {"id": 50, "name": None, "score": 0}             # NOT NULL violation
    batch[8] = {"id": 51, "name": "x" * 100, "score": 0}        # too long (not on SQLite)
    results, summary = await run_load(db, table, [batch])
    res = results[0]
    bad = {3, 6} if db.kind == "sqlite" else {3, 6, 8}
    assert {r.index for r in res.rejected} == bad
    assert res.inserted + len(res.rejected) == len(batch)
    for row in res.rejected:
        assert row.record is batch[row.index]
        assert row.message and row.error_type in {"IntegrityError", "DataError",
                                                  "OperationalError"}
    good_ids = sorted([1] + [r["id"] for i, r in enumerate(batch) if i not in bad])
    assert [r["id"] for r in db.rows(table)] == good_ids
    assert summary["rejected"] == len(bad)


@pytest.mark.parametrize("method", ["insert", "upsert", "truncate_and_load", "replace",
                                    "update", "delete"])
async def test_dry_run_leaves_table_identical(db: Any, method: str) -> None:
    before_rows = people(range(1, 6))
    table = db.create(*people_columns(), rows=before_rows)
    batch = [{"id": 2, "name": "changed", "score": 0}, {"id": 8, "name": "new", "score": 1},
             {"id": 9, "name": None, "score": 1}]
    results, summary = await run_load(db, table, [batch, people(range(20, 22))], dry_run=True,
                                      write_method=method, primary_key=["id"])
    assert db.rows(table) == before_rows
    assert summary["dry_run"] is True
    if method in ("insert", "truncate_and_load"):
        # violations are still reported: id 2 exists (not after a truncate) and name is NOT NULL
        rejected = {r.index for r in results[0].rejected}
        assert rejected == ({0, 2} if method == "insert" else {2})


async def test_missing_table_names_table_and_masked_database(pg_db: Any) -> None:
    url = pg_db.url.replace("postgres@", "postgres:hunter2@")
    session = DatabaseLoadSession({"url": url, "table": "no_such_table_xyz"}, dry_run=False,
                                  run_key="t")
    with pytest.raises(LoadError) as info:
        await session.open()
    await session.abort()
    text = str(info.value)
    assert "no_such_table_xyz" in text and "127.0.0.1:5432/test" in text
    assert "hunter2" not in text and "***" in text and "create_table" in text


async def test_missing_sqlite_table_and_file(sqlite_db: Any, tmp_path: Any) -> None:
    sqlite_db.create(*people_columns())
    session = DatabaseLoadSession({"url": sqlite_db.url, "table": "nope"}, run_key="t")
    with pytest.raises(LoadError, match=r"table 'nope' in sqlite:///.*does not exist"):
        await session.open()
    missing = tmp_path / "missing.db"
    session = DatabaseLoadSession({"url": f"sqlite:///{missing}", "table": "t"}, run_key="t")
    with pytest.raises(LoadError, match="file not found"):
        await session.open()
    assert not missing.exists()


async def test_create_table_from_records(db: Any) -> None:
    import datetime as dt

    table = db.unique_name()
    records = [{"id": 1, "name": "a", "amount": 1.5, "ok": True, "tags": ["x"],
                "at": dt.datetime(2024, 1, 2, 3, 4, 5)},
               {"id": 2, "name": "b", "amount": 2, "ok": False, "tags": None, "at": None}]
    results, _ = await run_load(db, table, [records], create_table=True, primary_key=["id"],
                                write_method="upsert")
    assert results[0].inserted == 2
    rows = db.rows(table)
    assert [r["name"] for r in rows] == ["a", "b"]
    assert rows[0]["amount"] == 1.5 and bool(rows[0]["ok"]) is True
    tags = rows[0]["tags"]
    assert (json.loads(tags) if isinstance(tags, str) else tags) == ["x"]


async def test_create_table_in_dry_run_creates_nothing(sqlite_db: Any) -> None:
    name = sqlite_db.unique_name()
    results, _ = await run_load(sqlite_db, name, [people(range(1, 3))], dry_run=True,
                                create_table=True)
    assert results[0].inserted == 2
    assert not sa.inspect(sqlite_db.engine).has_table(name)


async def test_dicts_and_lists_are_json_encoded(db: Any) -> None:
    table = db.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("payload", sa.Text))
    records = [{"id": 1, "payload": {"a": 1, "b": [1, 2]}}, {"id": 2, "payload": ["é", None]}]
    await run_load(db, table, [records])
    rows = db.rows(table)
    assert json.loads(rows[0]["payload"]) == {"a": 1, "b": [1, 2]}
    assert json.loads(rows[1]["payload"]) == ["é", None]


async def test_iso_text_into_datetime_column(db: Any) -> None:
    import datetime as dt

    table = db.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("at", sa.DateTime))
    results, _ = await run_load(db, table, [[{"id": 1, "at": "2024-05-06T07:08:09"},
                                             {"id": 2, "at": "not a date"}]])
    assert [r.index for r in results[0].rejected] == [1]
    stored = db.rows(table)[0]["at"]  # SQLite keeps DATETIME as text
    assert str(stored).startswith("2024-05-06 07:08:09") if db.kind == "sqlite" else \
        stored == dt.datetime(2024, 5, 6, 7, 8, 9)


async def test_unknown_columns_fail_the_batch_with_a_clear_message(sqlite_db: Any) -> None:
    table = sqlite_db.create(*people_columns())
    with pytest.raises(LoadError, match=r"no column.*colour"):
        await run_load(sqlite_db, table, [[{"id": 1, "name": "a", "colour": "red"}]])


def test_keyed_methods_need_a_primary_key_and_methods_are_checked() -> None:
    with pytest.raises(ConfigError, match="primary_key"):
        DatabaseLoadSession({"url": "sqlite:///x.db", "table": "t", "write_method": "upsert"},
                            run_key="t")
    with pytest.raises(ConfigError, match="unknown write method 'merge_into'"):
        DatabaseLoadSession({"url": "sqlite:///x.db", "table": "t",
                             "write_method": "merge_into"}, run_key="t")


async def test_missing_key_value_is_rejected(db: Any) -> None:
    table = db.create(*people_columns())
    results, _ = await run_load(db, table, [[{"id": None, "name": "a"}, {"id": 1, "name": "b"}]],
                                write_method="upsert", primary_key=["id"])
    assert [(r.index, r.error_type) for r in results[0].rejected] == [(0, "MissingKey")]
    assert results[0].inserted == 1


async def test_identifiers_are_quoted_by_the_dialect(db: Any) -> None:
    name = db.unique_name() + " Mixed"
    table = sa.Table(name, sa.MetaData(),
                     sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("select", sa.String(10)))
    with db.engine.begin() as conn:
        table.create(conn)
    db._tables.append(table)
    results, _ = await run_load(db, name, [[{"id": 1, "select": "a"}, {"id": 1, "select": "b"}]],
                                write_method="upsert", primary_key=["id"])
    assert results[0].loaded == 2 or len(results[0].rejected) == 1
    with db.engine.connect() as conn:
        assert conn.execute(sa.select(table.c.id)).scalars().all() == [1]


@pytest.mark.postgres
async def test_schema_name_on_postgres(pg_db: Any) -> None:
    schema = pg_db.unique_name()
    with pg_db.engine.begin() as conn:
        conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
        conn.exec_driver_sql(f'CREATE TABLE "{schema}".items (id int primary key, v text)')
    try:
        results, summary = await run_load(pg_db, "items", [[{"id": 1, "v": "x"}]],
                                          schema_name=schema)
        assert results[0].inserted == 1 and summary["schema"] == schema
    finally:
        with pg_db.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')


async def test_abort_is_idempotent_and_keeps_committed_batches(sqlite_db: Any) -> None:
    table = sqlite_db.create(*people_columns())
    session = DatabaseLoadSession({"url": sqlite_db.url, "table": table}, run_key="t")
    await session.open()
    await session.write_batch(people(range(1, 3)), 0)
    await session.abort()
    await session.abort()
    assert sqlite_db.rows(table) == people(range(1, 3))


async def test_cancelled_batch_is_rolled_back(sqlite_db: Any) -> None:
    import asyncio

    table = sqlite_db.create(*people_columns())
    session = DatabaseLoadSession({"url": sqlite_db.url, "table": table}, run_key="t")
    await session.open()
    with sqlite_db.engine.connect() as blocker:
        blocker.exec_driver_sql("BEGIN EXCLUSIVE")  # the batch waits for this lock
        task = asyncio.create_task(session.write_batch(people(range(1, 4)), 0))
        await asyncio.sleep(0)  # let the task hand the batch to the worker thread
        task.cancel()
        # Let the cancellation reach the session (it flags the worker) before the lock is
        # released; a batch whose commit wins that race is committed whole, never half-written.
        for _ in range(3):
            await asyncio.sleep(0)
        blocker.exec_driver_sql("COMMIT")
    with pytest.raises(asyncio.CancelledError):
        await task
    await session.abort()
    assert sqlite_db.rows(table) == []


async def test_dates_and_times_load_the_same_whether_typed_or_text(db: Any) -> None:
    """Typed date/time values take the fast path (COPY on PostgreSQL), text ones the
    encoders; both must store the same values."""
    import datetime as dt

    table = db.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                      sa.Column("at", sa.DateTime), sa.Column("day", sa.Date))
    moment, day = dt.datetime(2024, 5, 1, 10, 30, 15), dt.date(2024, 5, 2)
    typed = [{"id": i, "at": moment + dt.timedelta(hours=i), "day": day} for i in range(3)]
    text = [{"id": 10 + i, "at": (moment + dt.timedelta(hours=i)).isoformat(), "day": "2024-05-02"}
            for i in range(3)]
    results, _ = await run_load(db, table, [typed, text])
    assert [r.inserted for r in results] == [3, 3] and not any(r.rejected for r in results)
    rows = db.rows(table)  # raw driver values: SQLite keeps text, the servers typed values
    assert [r["at"] for r in rows[:3]] == [r["at"] for r in rows[3:]]
    assert [dt.datetime.fromisoformat(str(r["at"])) for r in rows[:3]] == [t["at"] for t in typed]
    assert {dt.date.fromisoformat(str(r["day"])) for r in rows} == {day}
