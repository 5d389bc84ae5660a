"""Retriable load errors are a type (``TransientError``) and the run retries them.

A real SQLite lock, held by another connection for a moment, makes the first write of a batch
fail with "database is locked"; the run must retry it and load everything, dead-lettering
nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator
from pycharter_gui.etl_generator.cloud.base import CloudStorageError, as_load_error
from pycharter_gui.etl_generator.database import connect
from pycharter_gui.etl_generator.errors import (
    LoadError,
    RetriableSourceError,
    TransientError,
    is_transient,
)


def _pipeline(folder: Path, rows: int) -> Path:
    lines = "\n".join(f"{i},v{i}" for i in range(rows))
    (folder / "in.csv").write_text(f"id,v\n{lines}\n", encoding="utf-8")
    (folder / "extract.yaml").write_text("type: file\npath: in.csv\nbatch_size: 4\n")
    (folder / "load.yaml").write_text(
        "type: database\ndatabase:\n  url: sqlite:///t.db\ntable: items\nwrite_method: insert\n"
        "dead_letter_queue: {backend: file, path: dlq.jsonl}\n")
    with sqlite3.connect(folder / "t.db") as db:
        db.execute("CREATE TABLE items (id INTEGER, v TEXT)")
    return folder


@pytest.mark.parametrize("columnar", ["0", "1"])
def test_a_briefly_locked_database_is_retried_and_loads_everything(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columnar: str) -> None:
    monkeypatch.setenv("PYCHARTER_COLUMNAR", columnar)
    monkeypatch.setattr(connect, "CONNECT_TIMEOUT_SECONDS", 0.2)  # SQLite busy wait
    folder = _pipeline(tmp_path, 16)
    holder = sqlite3.connect(folder / "t.db", check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, as another program's transaction
    release = threading.Timer(1.5, holder.rollback)
    release.start()
    try:
        result = asyncio.run(ETLOrchestrator(contract_dir=folder, verbose=False).run())
    finally:
        release.join()
        holder.close()
    assert result["success"], result["error"]
    assert result["dead_lettered"] == 0 and result["failed_batches"] == []
    assert result["loading"]["total_records"] == 16
    with sqlite3.connect(folder / "t.db") as db:
        assert db.execute("SELECT count(*) FROM items").fetchone() == (16,)
    assert not (folder / "dlq.jsonl").exists() or not (folder / "dlq.jsonl").read_text()


def test_retriability_is_a_type() -> None:
    assert is_transient(RetriableSourceError("429"))
    assert is_transient(ConnectionResetError()) and is_transient(TimeoutError())
    assert not is_transient(LoadError("table missing"))
    busy = as_load_error(CloudStorageError("503", kind="unreachable", retriable=True), "s3://b/k")
    denied = as_load_error(CloudStorageError("403", kind="denied"), "s3://b/k")
    assert isinstance(busy, LoadError) and isinstance(busy, TransientError)
    assert isinstance(denied, LoadError) and not is_transient(denied)
