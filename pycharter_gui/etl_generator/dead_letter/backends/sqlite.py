"""The ``sqlite`` DLQ backend: a ``dead_letter_queue`` table in a SQLite file.

The ``database`` backend (SQLAlchemy) with a file's conventions: the path resolution
(a folder gets ``dead_letters.sqlite``), the file created owner-only (dead letters hold
records and run parameters), WAL journaling so the designer can read while a pipeline
writes, and the table layout files have always had (``id`` as the primary key, insertion
order by ``rowid``). Reads before the first write answer "empty" without creating the file.
Any column can be sorted on.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from .database import DatabaseBackend

DEFAULT_FILE_NAME = "dead_letters.sqlite"
DEFAULT_TABLE = "dead_letter_queue"
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BUSY_TIMEOUT_SECONDS = 30


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


class SqliteBackend(DatabaseBackend):
    """Dead letters in a SQLite file's table, with indexes on the columns the designer filters by."""

    name = "sqlite"
    keyed_by_id = True

    def __init__(
        self,
        storage_path: str | os.PathLike[str] | None = None,
        table_name: str | None = None,
        **_options: Any,
    ) -> None:
        self.path = resolve_sqlite_path(storage_path)
        self.table_name = table_name or DEFAULT_TABLE
        if not _IDENT.match(self.table_name):
            raise ValueError(
                f"Dead-letter table name {self.table_name!r} is not a plain SQL identifier "
                "(letters, digits and underscores, not starting with a digit)"
            )
        self._given_engine, self._owns_engine = None, False
        self.url = None  # never the target's database: rejected rows are stored on their own
        self.backend_kind = "sqlite"
        self._init_table(None)

    def describe(self) -> str:
        return f"{self.path} (table {self.table_name})"

    def _store_exists(self) -> bool:
        return self.path.exists()

    def _prepare_store(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():  # dead letters hold records and run parameters: 0600
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))

    def _make_engine(self) -> Engine:
        url = sa.engine.URL.create("sqlite", database=str(self.path))
        return sa.create_engine(url, connect_args={"timeout": _BUSY_TIMEOUT_SECONDS})

    def _on_connect(self, dbapi_conn: Any, record: Any) -> None:
        super()._on_connect(dbapi_conn, record)
        dbapi_conn.execute("PRAGMA journal_mode=WAL")


__all__ = ["DEFAULT_FILE_NAME", "DEFAULT_TABLE", "SqliteBackend", "resolve_sqlite_path"]
