"""The storage interface every DLQ backend implements, and the registry that names them.

A backend is synchronous and must be safe to call from any thread (the pipeline writes from a
worker thread while the designer pages from another): each call opens its own connection or
takes a lock. ``DeadLetterQueue`` wraps a backend and adds the async API and error handling.

To add a backend (e.g. a SQLAlchemy server database), subclass :class:`DLQBackend`, implement
the abstract methods, and register a factory::

    register_backend("database", lambda **options: MyServerBackend(**options))

Factories receive keyword options: ``storage_path``, ``db_session``, ``schema_name``,
``table_name`` (any may be None) and should ignore the ones they do not use.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from ...registry import Registry
from ..query import (
    RECORD_COLUMNS,
    NormalizedFilter,
    StatisticsBuilder,
    check_order_by,
    check_paging,
)
from ..records import DeadLetterRecord, DLQStatus


class DLQBackend(ABC):
    """Storage for dead letters. Filters arrive already validated (``NormalizedFilter``)."""

    #: Registry name ("memory", "file", "sqlite", ...).
    name: str = "abstract"
    #: Values ``page(order_by=...)`` accepts.
    sortable_columns: tuple[str, ...] = RECORD_COLUMNS
    label: str | None = None  # the store's name in messages, when not ``name``

    # -- required ------------------------------------------------------------------------
    @abstractmethod
    def append(self, records: Sequence[DeadLetterRecord]) -> None:
        """Store records durably before returning; raise on failure (the queue handles it)."""

    @abstractmethod
    def iter_records(self, flt: NormalizedFilter) -> Iterator[DeadLetterRecord]:
        """Yield matching records in timestamp (insertion) order without loading all at once."""

    @abstractmethod
    def set_status(
        self, ids: Iterable[str], status: DLQStatus, *, increment_retry: bool = False
    ) -> int:
        """Change the status of the given ids; return how many records changed."""

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> int:
        """Remove the given ids; return how many records were removed."""

    # -- defaults (override for speed) ---------------------------------------------------
    def count(self, flt: NormalizedFilter) -> int:
        return sum(1 for _ in self.iter_records(flt))

    def page(
        self,
        flt: NormalizedFilter,
        offset: int = 0,
        limit: int = 100,
        order_by: str = "timestamp",
        descending: bool = False,
    ) -> list[DeadLetterRecord]:
        """One page of the records matching ``flt`` ordered by ``order_by`` (both checked)."""
        check_order_by(order_by, self.sortable_columns, self.label or self.name)
        check_paging(offset, limit)
        return self._page(flt, offset, limit, order_by, descending)

    def _page(self, flt: NormalizedFilter, offset: int, limit: int, order_by: str,
              descending: bool) -> list[DeadLetterRecord]:
        """``page`` with checked arguments; by default filtered, sorted and cut in memory."""
        rows = list(self.iter_records(flt))
        if order_by != "timestamp":
            rows.sort(key=lambda r: sort_key(r, order_by))
        if descending:
            rows.reverse()
        return rows[offset : offset + limit]

    def statistics(self, flt: NormalizedFilter) -> dict[str, Any]:
        builder = StatisticsBuilder()
        for rec in self.iter_records(flt):
            builder.add({"reason": rec.reason.value, "stage": rec.stage, "status": rec.status.value})
        return builder.result()

    def get(self, ids: Iterable[str]) -> list[DeadLetterRecord]:
        wanted = set(ids)
        return [r for r in self.iter_records(NormalizedFilter()) if r.id in wanted]

    def has_status(self, status: DLQStatus) -> bool:
        """True when any record has ``status`` (SQL: an indexed count)."""
        return self.count(NormalizedFilter(statuses=(status.value,))) > 0

    def close(self) -> None:
        """Release resources; the backend may be used again afterwards."""
        return None

    def describe(self) -> str:
        """Where the dead letters live, for messages and the designer."""
        return self.name


def sort_key(rec: DeadLetterRecord, column: str) -> tuple[int, Any]:
    """Sort key that puts missing values first and never compares None with str."""
    if column == "run_id":
        value: Any = rec.run_id
    else:
        value = getattr(rec, column)
    if hasattr(value, "value"):
        value = value.value
    return (0, "") if value is None else (1, value)


BackendFactory = Callable[..., DLQBackend]
DLQ_STORES: Registry[BackendFactory] = Registry("dead-letter store")


def register_backend(name: str, factory: BackendFactory) -> None:
    """Make ``storage_backend=name`` create backends with ``factory(**options)``."""
    DLQ_STORES.register(name, factory)


def get_backend_factory(name: str) -> BackendFactory | None:
    return DLQ_STORES.get(name)


def registered_backends() -> list[str]:
    return DLQ_STORES.names()
