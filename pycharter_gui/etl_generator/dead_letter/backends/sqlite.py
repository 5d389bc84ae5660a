"""The ``sqlite`` DLQ backend: a ``dead_letter_queue`` table in a SQLite file (stdlib sqlite3).

Every call opens its own connection, so the backend is safe from any thread; the file uses
WAL journaling so the designer can read while a pipeline writes. Any column can be sorted on.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from ..query import (
    RECORD_COLUMNS,
    NormalizedFilter,
    StatisticsBuilder,
    empty_statistics,
    text_matches,
)
from ..records import DeadLetterRecord, DLQStatus, dumps_data, utc_now_iso
from .base import DLQBackend

DEFAULT_FILE_NAME = "dead_letters.sqlite"
DEFAULT_TABLE = "dead_letter_queue"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_INDEXED = ("pipeline_name", "run_id", "reason", "stage", "status", "timestamp")
_COLUMNS = (
    "id", "pipeline_name", "run_id", "reason", "stage", "status", "timestamp", "retry_count",
    "error_type", "error_message", "record_data", "metadata", "created_at", "updated_at",
)  # fmt: skip


def resolve_sqlite_path(storage_path: str | os.PathLike[str] | None) -> Path:
    """The SQLite file for a configured path (a folder gets the default name; sqlite:/// ok)."""
    if storage_path is None:
        return Path.cwd() / ".pycharter" / DEFAULT_FILE_NAME
    text = os.fspath(storage_path)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    path = Path(text).expanduser()
    if path.is_dir() or not path.suffix:
        return path / DEFAULT_FILE_NAME
    return path


class SqliteBackend(DLQBackend):
    """Dead letters in a SQLite table, with indexes on the columns the designer filters by."""

    name = "sqlite"
    sortable_columns = RECORD_COLUMNS

    def __init__(
        self,
        storage_path: str | os.PathLike[str] | None = None,
        table_name: str | None = None,
        **_options: Any,
    ) -> None:
        self.path = resolve_sqlite_path(storage_path)
        self.table = table_name or DEFAULT_TABLE
        if not _IDENT.match(self.table):
            raise ValueError(
                f"Dead-letter table name {self.table!r} is not a plain SQL identifier "
                "(letters, digits and underscores, not starting with a digit)"
            )
        self._schema_lock = threading.Lock()
        self._schema_ready = False

    def describe(self) -> str:
        return f"{self.path} (table {self.table})"

    # -- connections ---------------------------------------------------------------------
    @contextlib.contextmanager
    def _connect(self, *, create: bool) -> Iterator[sqlite3.Connection | None]:
        """A fresh connection (None when reading and there is no database yet)."""
        if not create and not self.path.exists():
            yield None
            return
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self.path.exists():  # dead letters hold records and run parameters: 0600
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        conn = sqlite3.connect(self.path, timeout=30)
        try:
            conn.create_function("dlq_text", 3, _sql_text_match, deterministic=True)
            self._ensure_schema(conn)
            yield conn
        finally:
            conn.close()

    def _ensure_schema(self, conn: sqlite3.Connection) -> None:
        if self._schema_ready:
            return
        with self._schema_lock:
            t = self.table
            with conn:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {t} ("
                    "id TEXT PRIMARY KEY, pipeline_name TEXT NOT NULL, run_id TEXT, "
                    "reason TEXT NOT NULL, stage TEXT, status TEXT NOT NULL DEFAULT 'pending', "
                    "timestamp TEXT NOT NULL, retry_count INTEGER NOT NULL DEFAULT 0, "
                    "error_type TEXT, error_message TEXT, record_data TEXT, metadata TEXT, "
                    "created_at TEXT, updated_at TEXT)"
                )
                for col in _INDEXED:
                    conn.execute(f"CREATE INDEX IF NOT EXISTS ix_{t}_{col} ON {t} ({col})")
            self._schema_ready = True

    # -- writing -------------------------------------------------------------------------
    def append(self, records: Sequence[DeadLetterRecord]) -> None:
        if not records:
            return
        now = utc_now_iso()
        rows = [
            (
                r.id, r.pipeline_name, r.run_id, r.reason.value, r.stage, r.status.value,
                r.timestamp, r.retry_count, r.error_type, r.error_message,
                dumps_data(r.record_data), json.dumps(r.metadata, ensure_ascii=False, default=str),
                now, now,
            )
            for r in records
        ]
        marks = ", ".join("?" * len(_COLUMNS))
        sql = (
            f"INSERT INTO {self.table} ({', '.join(_COLUMNS)}) VALUES ({marks}) "
            "ON CONFLICT(id) DO UPDATE SET retry_count = retry_count + 1, "
            "status = excluded.status, error_message = excluded.error_message, "
            "error_type = excluded.error_type, record_data = excluded.record_data, "
            "metadata = excluded.metadata, updated_at = excluded.updated_at"
        )
        with self._connect(create=True) as conn, conn:
            conn.executemany(sql, rows)

    def set_status(
        self, ids: Iterable[str], status: DLQStatus, *, increment_retry: bool = False
    ) -> int:
        ids = list(dict.fromkeys(ids))
        if not ids:
            return 0
        extra = ", retry_count = retry_count + 1" if increment_retry else ""
        changed = 0
        with self._connect(create=False) as conn:
            if conn is None:
                return 0
            with conn:
                for chunk in _chunks(ids):
                    cur = conn.execute(
                        f"UPDATE {self.table} SET status = ?, updated_at = ?{extra} "
                        f"WHERE id IN ({', '.join('?' * len(chunk))})",
                        [status.value, utc_now_iso(), *chunk],
                    )
                    changed += cur.rowcount
        return changed

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(dict.fromkeys(ids))
        changed = 0
        with self._connect(create=False) as conn:
            if conn is None or not ids:
                return 0
            with conn:
                for chunk in _chunks(ids):
                    cur = conn.execute(
                        f"DELETE FROM {self.table} WHERE id IN ({', '.join('?' * len(chunk))})",
                        chunk,
                    )
                    changed += cur.rowcount
        return changed

    # -- reading -------------------------------------------------------------------------
    def count(self, flt: NormalizedFilter) -> int:
        where, params = _where(flt)
        with self._connect(create=False) as conn:
            if conn is None:
                return 0
            return conn.execute(f"SELECT COUNT(*) FROM {self.table}{where}", params).fetchone()[0]

    def statistics(self, flt: NormalizedFilter) -> dict[str, Any]:
        where, params = _where(flt)
        with self._connect(create=False) as conn:
            if conn is None:
                return empty_statistics()
            sql = f"SELECT reason, stage, status, COUNT(*) FROM {self.table}{where} GROUP BY 1, 2, 3"
            return StatisticsBuilder().add_counts(conn.execute(sql, params)).result()

    def _page(self, flt: NormalizedFilter, offset: int, limit: int, order_by: str,
              descending: bool) -> list[DeadLetterRecord]:
        where, params = _where(flt)
        direction = "DESC" if descending else "ASC"
        sql = (
            f"SELECT {', '.join(_COLUMNS)} FROM {self.table}{where} "
            f"ORDER BY {order_by} {direction}, rowid {direction} LIMIT ? OFFSET ?"
        )
        with self._connect(create=False) as conn:
            if conn is None:
                return []
            return [_to_record(row) for row in conn.execute(sql, [*params, limit, offset])]

    def iter_records(self, flt: NormalizedFilter) -> Iterator[DeadLetterRecord]:
        where, params = _where(flt)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM {self.table}{where} ORDER BY timestamp, rowid"
        with self._connect(create=False) as conn:
            if conn is None:
                return
            for row in conn.execute(sql, params):
                yield _to_record(row)

    def get(self, ids: Iterable[str]) -> list[DeadLetterRecord]:
        ids = list(dict.fromkeys(ids))
        found: dict[str, DeadLetterRecord] = {}
        with self._connect(create=False) as conn:
            if conn is None:
                return []
            for chunk in _chunks(ids):
                sql = (
                    f"SELECT {', '.join(_COLUMNS)} FROM {self.table} "
                    f"WHERE id IN ({', '.join('?' * len(chunk))})"
                )
                for row in conn.execute(sql, chunk):
                    found[row[0]] = _to_record(row)
        return [found[i] for i in ids if i in found]


def _chunks(ids: list[str], size: int = 500) -> Iterator[list[str]]:
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _sql_text_match(needle: str, message: str | None, data: str | None) -> int:
    return int(text_matches(needle, message, data or ""))


def _where(flt: NormalizedFilter) -> tuple[str, list[Any]]:
    """SQL WHERE clause for a filter (values always bound, never interpolated)."""
    parts: list[str] = []
    params: list[Any] = []
    for column, value in (("pipeline_name", flt.pipeline), ("run_id", flt.run_id)):
        if value is not None:
            parts.append(f"{column} = ?")
            params.append(value)
    for column, values in (("reason", flt.reasons), ("stage", flt.stages), ("status", flt.statuses)):
        if values is not None:
            parts.append(f"{column} IN ({', '.join('?' * len(values))})" if values else "0")
            params.extend(values)
    if flt.time_from is not None:
        parts.append("timestamp >= ?")
        params.append(flt.time_from)
    if flt.time_to is not None:
        parts.append("timestamp < ?")
        params.append(flt.time_to)
    if flt.text is not None:
        parts.append("dlq_text(?, error_message, record_data)")
        params.append(flt.text)
    return (" WHERE " + " AND ".join(parts) if parts else ""), params


def _to_record(row: Sequence[Any]) -> DeadLetterRecord:
    d = dict(zip(_COLUMNS, row, strict=True))
    return DeadLetterRecord.from_dict(
        {
            **d,
            "record_data": json.loads(d["record_data"]) if d["record_data"] else None,
            "metadata": json.loads(d["metadata"]) if d["metadata"] else {},
        }
    )
