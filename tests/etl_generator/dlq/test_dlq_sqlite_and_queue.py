"""SQLite specifics (schema, indexes, upsert, concurrency) and DeadLetterQueue behaviour."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import threading

import pytest
from dlq_helpers import make_records

from pycharter_gui.etl_generator.dead_letter import (
    DeadLetterQueue,
    DeadLetterRecord,
    DeadLetterWriteError,
    DLQFilter,
    DLQReason,
    register_backend,
)
from pycharter_gui.etl_generator.dead_letter.backends import MemoryBackend
from pycharter_gui.etl_generator.dead_letter.backends.base import DLQ_STORES
from pycharter_gui.etl_generator.errors import ConfigError


def test_sqlite_table_and_indexes(tmp_path):
    path = tmp_path / "dlq.sqlite"
    queue = DeadLetterQueue(storage_backend="sqlite", storage_path=path)
    queue.add_records(make_records(3))
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        cols = {r[1] for r in conn.execute("PRAGMA table_info(dead_letter_queue)")}
    for col in ("pipeline_name", "reason", "stage", "status", "timestamp"):
        assert f"ix_dead_letter_queue_{col}" in names
    assert {"id", "record_data", "metadata", "retry_count", "run_id"} <= cols


def test_sqlite_custom_table_and_bad_name(tmp_path):
    queue = DeadLetterQueue(storage_backend="sqlite", storage_path=tmp_path / "x.db",
                            table_name="my_dlq")
    queue.add_records(make_records(2))
    with sqlite3.connect(tmp_path / "x.db") as conn:
        assert conn.execute("SELECT COUNT(*) FROM my_dlq").fetchone()[0] == 2
    with pytest.raises(ConfigError, match="not a plain SQL identifier"):
        DeadLetterQueue(storage_backend="sqlite", storage_path=tmp_path / "x.db",
                        table_name="x; DROP TABLE y")


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_re_adding_an_id_counts_a_retry(tmp_path, backend):
    queue = DeadLetterQueue(storage_backend=backend, storage_path=tmp_path / "d.sqlite")
    rec = make_records(1)[0]
    queue.add_records([rec])
    again = DeadLetterRecord.from_dict({**rec.to_dict(), "error_message": "still bad"})
    queue.add_records([again])
    stored = queue.get(rec.id)[0]
    assert queue.count() == 1
    assert stored.retry_count == 1
    assert stored.error_message == "still bad"


def test_sqlite_reader_while_writing(tmp_path):
    path = tmp_path / "dlq.sqlite"
    writer = DeadLetterQueue(storage_backend="sqlite", storage_path=path)
    reader = DeadLetterQueue(storage_backend="sqlite", storage_path=path)
    writer.add_records(make_records(1))
    done = threading.Event()
    counts: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for _ in range(40):
                writer.add_records(make_records(25))
        finally:
            done.set()

    def read() -> None:
        try:
            while True:
                finished = done.is_set()
                counts.append(reader.count())
                reader.page(order_by="error_type", limit=10)
                if finished:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert counts == sorted(counts)
    assert counts[-1] == 1 + 40 * 25
    assert all((c - 1) % 25 == 0 for c in counts)  # a batch is one transaction


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="memory"):
        DeadLetterQueue(storage_backend="postgresql-ish")


@pytest.fixture
def restore_registry():
    """Tests here replace the 'database' backend; put the real one back afterwards."""
    saved = DLQ_STORES.snapshot()
    yield
    DLQ_STORES.restore(saved)


def test_registered_backend_receives_the_options(tmp_path, restore_registry):
    received = {}

    class Recording(MemoryBackend):
        name = "database"

        def __init__(self, **options):
            received.update(options)
            super().__init__()

    register_backend("database", Recording)
    try:
        queue = DeadLetterQueue(db_session="SESSION", storage_backend="database",
                                schema_name="etl", table_name="dlq")
        queue.add_records(make_records(2))
        assert queue.count() == 2
        assert isinstance(queue.backend, Recording)
        assert received == {"storage_path": None, "db_session": "SESSION",
                            "schema_name": "etl", "table_name": "dlq"}
    finally:
        DLQ_STORES.unregister("database")  # restore_registry puts the real backend back


def test_backend_instance_can_be_passed():
    backend = MemoryBackend()
    queue = DeadLetterQueue(storage_backend=backend)
    queue.add_records(make_records(2))
    assert backend.count(DLQFilter().normalized()) == 2
    assert queue.backend is backend


def test_write_error_raises_and_names_the_fallback_file(tmp_path, monkeypatch):
    class Broken(MemoryBackend):
        def append(self, records):
            raise OSError("disk full")

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    queue = DeadLetterQueue(storage_backend=Broken(), pipeline_name="p")
    records = make_records(2)
    with pytest.raises(DeadLetterWriteError) as info:
        queue.add_records(records)
    fallback = info.value.fallback_path
    assert fallback is not None and str(fallback) in str(info.value) and "disk full" in str(info.value)
    assert fallback.parent == tmp_path / "pycharter-dead-letters"
    assert fallback.stat().st_mode & 0o777 == 0o600
    saved = [json.loads(line) for line in fallback.read_text().splitlines()]
    assert [d["id"] for d in saved] == [r.id for r in records]


def test_record_round_trip_and_validation():
    rec = DeadLetterRecord("p", {"a": [1, 2]}, "schema_mismatch", "bad", "TypeError", "validate",
                           {"run_id": 7, "field": "a"})
    d = rec.to_dict()
    assert next(iter(d)) == "id"
    assert d["reason"] == "schema_mismatch" and d["status"] == "pending" and d["retry_count"] == 0
    assert len(d["timestamp"]) == 26 and "+" not in d["timestamp"]
    assert DeadLetterRecord.from_dict(d) == rec
    assert rec.run_id == "7"
    assert DeadLetterRecord("p", {}, "unknown", "m", "E", "load").id != rec.id
    assert DeadLetterRecord("p", {}, "unknown", "m", "E", "load", record_id="abc").id == "abc"
    assert DeadLetterRecord.from_dict({**d, "reason": "weird"}).reason is DLQReason.UNKNOWN
    with pytest.raises(ValueError, match="extraction_error"):
        DeadLetterRecord("p", {}, "typo_error", "m", "E", "load")
    assert DLQReason.LOAD_ERROR == "load_error"


# The file layout the stdlib sqlite store wrote before the stores were merged (its exact DDL).
_LEGACY_DDL = (
    "CREATE TABLE dead_letter_queue (id TEXT PRIMARY KEY, pipeline_name TEXT NOT NULL, "
    "run_id TEXT, reason TEXT NOT NULL, stage TEXT, status TEXT NOT NULL DEFAULT 'pending', "
    "timestamp TEXT NOT NULL, retry_count INTEGER NOT NULL DEFAULT 0, error_type TEXT, "
    "error_message TEXT, record_data TEXT, metadata TEXT, created_at TEXT, updated_at TEXT)"
)
_LEGACY_COLUMNS = ("id", "pipeline_name", "run_id", "reason", "stage", "status", "timestamp",
                   "retry_count", "error_type", "error_message", "record_data", "metadata",
                   "created_at", "updated_at")


def test_a_sqlite_file_from_before_the_merge_still_opens(tmp_path):
    from pycharter_gui.etl_generator.dead_letter import open_dead_letter_file

    path = tmp_path / "old.sqlite"
    records = make_records(6)
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(_LEGACY_DDL)
        for col in ("pipeline_name", "run_id", "reason", "stage", "status", "timestamp"):
            conn.execute(f"CREATE INDEX ix_dead_letter_queue_{col} ON dead_letter_queue ({col})")
        conn.executemany(
            f"INSERT INTO dead_letter_queue VALUES ({', '.join('?' * len(_LEGACY_COLUMNS))})",
            [(r.id, r.pipeline_name, r.run_id, r.reason.value, r.stage, r.status.value,
              "2024-01-01T00:00:00", r.retry_count, r.error_type, r.error_message,
              json.dumps(r.record_data), json.dumps(r.metadata), "t", "t") for r in records])
    conn.close()
    queue = open_dead_letter_file(path)
    assert queue.count() == 6
    # equal timestamps: insertion order (rowid) breaks the tie, both ways
    assert [r.id for r in queue.page(limit=10)] == [r.id for r in records]
    assert [r.id for r in queue.page(limit=10, descending=True)] == [r.id for r in records][::-1]
    assert queue.get(records[2].id)[0].record_data == records[2].record_data
    queue.add_records([records[0], *make_records(8)[6:]])  # one again (a retry), two new
    assert queue.count() == 8 and queue.get(records[0].id)[0].retry_count == 1
    assert queue.set_status(records[1].id, "resolved") == 1 and queue.delete(records[3].id) == 1
    assert queue.has_status("resolved") and queue.count() == 7
    queue.close()
    with sqlite3.connect(path) as conn:
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")] \
            == ["dead_letter_queue"]
    conn.close()
