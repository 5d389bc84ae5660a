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
from .sqlite import SqliteBackend

register_backend("memory", MemoryBackend)
register_backend("file", JsonlBackend)
register_backend("jsonl", JsonlBackend)
register_backend("sqlite", SqliteBackend)


def _database_backend(**options: Any) -> DLQBackend:
    """The SQLAlchemy ``database`` backend, imported on first use (keeps imports light)."""
    from .database import DatabaseBackend

    return DatabaseBackend(**options)


register_backend("database", _database_backend)

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
