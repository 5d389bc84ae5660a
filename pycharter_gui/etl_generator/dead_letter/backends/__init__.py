"""DLQ storage backends and their registry (built-ins: memory, file, sqlite, database)."""

from __future__ import annotations

from typing import Any

from .base import (
    BackendFactory,
    DLQBackend,
    get_backend_factory,
    register_backend,
    registered_backends,
)
from .jsonl import JsonlBackend
from .memory import MemoryBackend

register_backend("memory", MemoryBackend)
register_backend("file", JsonlBackend)
register_backend("jsonl", JsonlBackend)


def _sqlite_backend(**options: Any) -> DLQBackend:
    """The ``sqlite`` backend (the database backend on a SQLite file), imported on first use:
    both need SQLAlchemy, which the memory and file stores do not."""
    from .sqlite import SqliteBackend

    return SqliteBackend(**options)


def _database_backend(**options: Any) -> DLQBackend:
    """The SQLAlchemy ``database`` backend, imported on first use (keeps imports light)."""
    from .database import DatabaseBackend

    return DatabaseBackend(**options)


register_backend("sqlite", _sqlite_backend)
register_backend("database", _database_backend)


def __getattr__(name: str) -> Any:
    if name == "SqliteBackend":
        from .sqlite import SqliteBackend

        return SqliteBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "BackendFactory",
    "DLQBackend",
    "JsonlBackend",
    "MemoryBackend",
    "SqliteBackend",
    "get_backend_factory",
    "register_backend",
    "registered_backends",
]
