"""Opening a dead-letter store from a file: its suffix picks the backend, SQLite finds its table.

For the designer's "Open dead-letter file" and scripts; a pipeline's own queue comes from
``configured_queue`` (``dead_letter_queue`` in ``load.yaml``).
"""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing
from pathlib import Path

from .queue import DeadLetterQueue

#: Suffix -> backend of the files ``open_dead_letter_file`` accepts.
FILE_SUFFIXES = {".jsonl": "file", ".ndjson": "file", ".json": "file", ".db": "sqlite",
                 ".sqlite": "sqlite", ".sqlite3": "sqlite"}
_MARK_COLUMNS = {"record_data", "reason"}
_DEFAULT_TABLE = "dead_letter_queue"  # backends.sqlite.DEFAULT_TABLE, without SQLAlchemy


def open_dead_letter_file(path: str | os.PathLike[str]) -> DeadLetterQueue:
    """The queue stored in ``path`` (JSON Lines or SQLite, any dead-letter table name).

    Raises:
        ValueError: the suffix is not a dead-letter file's, or the SQLite file is unreadable.
    """
    path = Path(path)
    backend = FILE_SUFFIXES.get(path.suffix.lower())
    if backend is None:
        raise ValueError(f"{path.name} is not a dead-letter file: open a .jsonl or .db file")
    table = sqlite_dead_letter_table(path) if backend == "sqlite" else None
    return DeadLetterQueue(storage_backend=backend, storage_path=path, table_name=table)


def sqlite_dead_letter_table(path: Path) -> str | None:
    """The dead-letter table of a SQLite file (None: none yet, or the default name)."""
    if not path.exists():
        return None
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            found = [t for t in names
                     if {c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')} >= _MARK_COLUMNS]
    except sqlite3.Error as exc:
        raise ValueError(f"{path.name} is not a readable SQLite file ({exc})") from exc
    return None if not found or _DEFAULT_TABLE in found else found[0]


__all__ = ["FILE_SUFFIXES", "open_dead_letter_file", "sqlite_dead_letter_table"]
