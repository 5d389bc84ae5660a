"""The ``database`` DLQ backend passes the DLQ backends' shared test set on real servers.

The shared tests (tests/etl_generator/dlq/test_dlq_backends.py) are imported here and run with
``queue``/``filled`` fixtures that open a database queue on SQLite, PostgreSQL and MariaDB, each
test on its own table, dropped afterwards.
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "dlq"))

from dlq_helpers import make_records
from test_dlq_backends import (  # noqa: F401  (collected here with our fixtures)
    test_add_and_count,
    test_async_add_record_and_batch,
    test_bad_filters_say_what_is_allowed,
    test_delete,
    test_empty_queue_answers_without_creating_files,
    test_filters,
    test_get_keeps_the_order_asked,
    test_ids_are_unique_uuid4_hex,
    test_page_descending,
    test_page_rejects_negative_offsets,
    test_page_through_to_the_end,
    test_retry_record,
    test_set_status,
    test_sorting,
    test_statistics,
)

from pycharter_gui.etl_generator.dead_letter import (
    DeadLetterQueue,
    DeadLetterRecord,
    DeadLetterWriteError,
)
from pycharter_gui.etl_generator.dead_letter.backends import register_backend
from pycharter_gui.etl_generator.dead_letter.backends.database import DatabaseBackend
from pycharter_gui.etl_generator.errors import ConfigError


@pytest.fixture(autouse=True)
def _registered() -> None:
    """Another test module unregisters 'database' to test the fallback; put it back."""
    register_backend("database", DatabaseBackend)


class DlqDB:
    """A database of the ``db`` fixture with a fresh dead-letter table name."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.url = db.url
        self.table = db.unique_name()  # dropped by the db fixture

    def open(self, **kw: Any) -> DeadLetterQueue:
        return DeadLetterQueue(storage_backend="database", storage_path=self.url,
                               table_name=self.table, **kw)


@pytest.fixture
def dlq_db(db: Any) -> DlqDB:
    return DlqDB(db)


@pytest.fixture
def backend_name(dlq_db: DlqDB) -> str:
    return dlq_db.db.kind


@pytest.fixture
def queue(dlq_db: DlqDB) -> Iterator[DeadLetterQueue]:
    q = dlq_db.open()
    yield q
    q.close()


@pytest.fixture
def filled(queue: DeadLetterQueue) -> tuple[DeadLetterQueue, list[DeadLetterRecord]]:
    records = make_records()
    assert queue.add_records(records) == len(records)
    return queue, records


def _has_table(dlq_db: DlqDB) -> bool:
    return sa.inspect(dlq_db.db.engine).has_table(dlq_db.table)


def test_table_is_created_on_first_write_with_indexes(dlq_db: DlqDB) -> None:
    queue = dlq_db.open()
    assert queue.count() == 0 and not _has_table(dlq_db), "reads create nothing"
    queue.add_records(make_records(3))
    assert _has_table(dlq_db)
    indexed = {tuple(ix["column_names"]) for ix in
               sa.inspect(dlq_db.db.engine).get_indexes(dlq_db.table)}
    assert {("pipeline_name",), ("run_id",), ("status",), ("timestamp",), ("id",)} <= indexed
    assert queue.storage_backend == "database"
    assert dlq_db.table in queue.location
    queue.close()


async def test_disabled_queue_writes_nothing(dlq_db: DlqDB) -> None:
    queue = dlq_db.open(enabled=False)
    assert await queue.add_record("p", {}, "unknown", "m", "E", "load") is None
    assert queue.add_records(make_records(3)) == 0
    assert not _has_table(dlq_db)


def test_persists_across_instances_and_readds_count_as_retries(dlq_db: DlqDB) -> None:
    records = make_records(12)
    first = dlq_db.open()
    first.add_records(records[:6])
    first.close()
    second = dlq_db.open()
    second.add_records(records[6:])
    second.set_status(records[0].id, "ignored")
    second.add_records([records[3]])  # the same dead letter again
    second.close()
    third = dlq_db.open()
    assert [r.id for r in third.page(limit=50)] == [r.id for r in records]
    assert third.get(records[0].id)[0].status.value == "ignored"
    assert third.get(records[3].id)[0].retry_count == 1
    third.close()


def test_values_are_bound_not_interpolated(dlq_db: DlqDB) -> None:
    queue = dlq_db.open()
    evil = "x' OR '1'='1"
    queue.add_records([DeadLetterRecord(evil, {"v": "100%_done"}, "unknown", evil, "E", "load")])
    queue.add_records(make_records(4))
    assert queue.count({"pipeline": evil}) == 1
    assert queue.count({"text": "100%_"}) == 1  # LIKE wildcards in the needle are literal
    assert queue.count({"text": "0%"}) == 1
    queue.close()


def test_text_search_is_not_accent_blind(dlq_db: DlqDB) -> None:
    queue = dlq_db.open()
    queue.add_records(make_records(10))  # record 7 is in Zürich
    assert queue.count({"text": "zurich"}) == 0
    assert queue.count({"text": "ZÜRICH"}) == 1
    queue.close()


def test_engine_or_session_can_be_given(dlq_db: DlqDB) -> None:
    engine = sa.create_engine(dlq_db.url)
    try:
        queue = DeadLetterQueue(db_session=engine, storage_backend="database",
                                table_name=dlq_db.table)
        queue.add_records(make_records(2))
        queue.close()  # leaves the caller's engine usable
        with engine.connect() as conn:
            table = sa.table(dlq_db.table)
            assert conn.scalar(sa.select(sa.func.count()).select_from(table)) == 2
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_schema_is_created_on_postgresql(pg_db: Any) -> None:
    holder = DlqDB(pg_db)
    schema = f"dlq_{uuid.uuid4().hex[:8]}"
    try:
        queue = holder.open(schema_name=schema)
        queue.add_records(make_records(3))
        assert queue.count() == 3
        assert sa.inspect(pg_db.engine).has_table(holder.table, schema=schema)
        queue.close()
    finally:
        with pg_db.engine.begin() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_bad_options_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="needs a url"):
        DeadLetterQueue(storage_backend="database")
    with pytest.raises(ConfigError, match="not a plain SQL identifier"):
        DeadLetterQueue(storage_backend="database", storage_path="sqlite://",
                        table_name="bad name; drop")
    with pytest.raises(ConfigError, match=r"dead_letter_queue\.url"):
        DeadLetterQueue(storage_backend="database", storage_path="::not a url::")


def test_unreachable_server_raises_after_saving_a_fallback_file(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    queue = DeadLetterQueue(storage_backend="database",
                            storage_path="postgresql+psycopg://u:pw@127.0.0.1:1/x")
    with pytest.raises(DeadLetterWriteError) as info:
        queue.add_records(make_records(2))
    assert len(info.value.fallback_path.read_text().splitlines()) == 2
    assert "pw" not in queue.location
