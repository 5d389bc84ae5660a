"""In-memory DLQ backend: dry runs, tests, and the per-run view of dead letters."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from ..query import NormalizedFilter
from ..records import DeadLetterRecord, DLQStatus
from .base import DLQBackend, sort_key


class MemoryBackend(DLQBackend):
    """Keeps records in an insertion-ordered dict guarded by a lock.

    Re-adding an existing id replaces the record and increments its ``retry_count`` (as the
    seed's database backend does).
    """

    name = "memory"

    def __init__(self, **_options: Any) -> None:
        self._records: dict[str, DeadLetterRecord] = {}
        self._lock = threading.RLock()

    def append(self, records: Sequence[DeadLetterRecord]) -> None:
        with self._lock:
            for rec in records:
                stored = rec.copy()
                old = self._records.pop(rec.id, None)
                if old is not None:
                    stored.retry_count = old.retry_count + 1
                self._records[rec.id] = stored

    def _snapshot(self, flt: NormalizedFilter) -> list[DeadLetterRecord]:
        with self._lock:
            rows = list(self._records.values())
        if flt.is_empty:
            return rows
        return [r for r in rows if flt.matches(r.to_dict())]

    def iter_records(self, flt: NormalizedFilter) -> Iterator[DeadLetterRecord]:
        for rec in self._snapshot(flt):
            yield rec.copy()

    def count(self, flt: NormalizedFilter) -> int:
        if flt.is_empty:
            with self._lock:
                return len(self._records)
        return len(self._snapshot(flt))

    def _page(self, flt: NormalizedFilter, offset: int, limit: int, order_by: str,
              descending: bool) -> list[DeadLetterRecord]:
        rows = self._snapshot(flt)
        rows.sort(key=lambda r: sort_key(r, order_by))  # stable: ties keep insertion order
        if descending:
            rows.reverse()
        return [r.copy() for r in rows[offset : offset + limit]]

    def get(self, ids: Iterable[str]) -> list[DeadLetterRecord]:
        with self._lock:
            return [self._records[i].copy() for i in dict.fromkeys(ids) if i in self._records]

    def set_status(
        self, ids: Iterable[str], status: DLQStatus, *, increment_retry: bool = False
    ) -> int:
        changed = 0
        with self._lock:
            for i in set(ids):
                rec = self._records.get(i)
                if rec is not None:
                    rec.status = status
                    if increment_retry:
                        rec.retry_count += 1
                    changed += 1
        return changed

    def delete(self, ids: Iterable[str]) -> int:
        with self._lock:
            return sum(1 for i in set(ids) if self._records.pop(i, None) is not None)

    def describe(self) -> str:
        return "in memory (not saved)"
