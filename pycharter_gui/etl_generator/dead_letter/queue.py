"""``DeadLetterQueue``: the async write API of the seed plus a sync query API for the designer."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from ..errors import ConfigError
from .backends import DLQBackend, MemoryBackend, get_backend_factory, registered_backends
from .fallback import write_failed
from .query import DLQFilter
from .records import DeadLetterRecord, DLQReason, DLQStatus, coerce_status

logger = logging.getLogger(__name__)

Filters = DLQFilter | Mapping[str, Any] | None


def _nothing() -> None:
    """Nothing to take back: the dead letters share the batch's transaction."""


class DeadLetterQueue:
    """Where records that failed go, so a run can continue and an analyst can look later.

    ``storage_backend`` is ``"file"`` (one JSON Lines file), ``"sqlite"``, ``"memory"``,
    ``"database"`` (once a server backend is registered, see ``backends.base``), or a
    :class:`DLQBackend` instance. Left out, it is ``"database"`` when ``db_session`` (a
    SQLAlchemy Session, Connection or Engine) is given, as in pycharter: a table on that
    session's engine; else ``"file"``. A failed write saves the records to a private fallback file
    and raises :class:`DeadLetterWriteError` naming it (a run that cannot keep its dead letters
    fails). Queries are synchronous and safe to call from a worker thread.
    """

    def __init__(
        self,
        db_session: Any = None,
        storage_backend: str | DLQBackend | None = None,
        storage_path: str | os.PathLike[str] | None = None,
        enabled: bool = True,
        schema_name: str | None = None,
        pipeline_name: str | None = None,
        table_name: str | None = None,
    ) -> None:
        self.enabled = enabled
        self.db_session = db_session
        self.schema_name = schema_name
        self.pipeline_name = pipeline_name
        self.table_name = table_name
        self.backend = self._make_backend(storage_backend, storage_path)
        #: The backend actually used ("memory", "file", "sqlite", ...).
        self.storage_backend: str = self.backend.name

    def _make_backend(
        self, storage_backend: str | DLQBackend | None,
        storage_path: str | os.PathLike[str] | None,
    ) -> DLQBackend:
        if isinstance(storage_backend, DLQBackend):
            return storage_backend
        default = "database" if self.db_session is not None else "file"
        name = str(storage_backend or default).lower()
        factory = get_backend_factory(name)
        if factory is None:
            raise ConfigError(
                f"Unknown dead-letter backend {storage_backend!r}; "
                f"expected one of: {', '.join(registered_backends())}"
            )
        table_name = self.table_name
        if name == "database" and not table_name and self.pipeline_name:
            from .backends.database import default_table_for

            table_name = self.table_name = default_table_for(self.pipeline_name)
        try:
            return factory(
                storage_path=storage_path,
                db_session=self.db_session,
                schema_name=self.schema_name,
                table_name=table_name,
            )
        except ValueError as exc:
            raise ConfigError(f"dead_letter_queue: {exc}") from exc

    @property
    def location(self) -> str:
        """Where dead letters are stored, for messages ("memory", a path, ...)."""
        return self.backend.describe()

    @property
    def sortable_columns(self) -> tuple[str, ...]:
        """The ``order_by`` values ``page`` accepts with this backend."""
        return tuple(self.backend.sortable_columns)

    # -- writing -------------------------------------------------------------------------
    def add_records(self, records: Sequence[DeadLetterRecord]) -> int:
        """Store records now; returns how many were stored (0 when disabled).

        Raises :class:`DeadLetterWriteError` when the backend fails, after saving the records
        to a fallback file the error names.
        """
        records = list(records)
        if not self.enabled or not records:
            return 0
        try:
            self.backend.append(records)
        except Exception as exc:
            raise write_failed(records, self.location, exc, self.pipeline_name) from exc
        return len(records)

    def add_records_before_commit(self, records: Sequence[DeadLetterRecord],
                                  conn: Any) -> Callable[[], None]:
        """Store a database batch's rejected rows before the batch's transaction (``conn``, a
        SQLAlchemy Connection) commits, so a kill after that commit cannot lose them.

        A database backend on the target's own database inserts them in that transaction:
        they commit or roll back with the batch. Any other backend stores them now; the
        returned callable deletes them again if the batch does not commit (a resume after a
        kill in between discards them through ``discard_from_batch``). A failed write raises
        :class:`DeadLetterWriteError` (the batch then rolls back).
        """
        records = list(records)
        if not self.enabled or not records:
            return _nothing
        from .backends.database import DatabaseBackend

        backend = self.backend
        if isinstance(backend, DatabaseBackend) and backend.shares_database(conn):
            try:
                backend.append_in(conn, records)
            except Exception as exc:
                raise write_failed(records, self.location, exc, self.pipeline_name) from exc
            return _nothing
        self.add_records(records)
        ids = [r.id for r in records]

        def take_back() -> None:
            self.backend.delete(ids)

        return take_back

    def supersede_run(self, run_id: str) -> int:
        """Mark the pending dead letters of ``run_id`` ``superseded``: the run failed and its
        target was rolled back, so a rerun dead-letters (or loads) those records again.
        Returns how many changed."""
        flt = DLQFilter(run_id=run_id, status=DLQStatus.PENDING).normalized()
        ids = [r.id for r in self.backend.iter_records(flt)]
        return self.backend.set_status(ids, DLQStatus.SUPERSEDED) if ids else 0

    def discard_from_batch(self, run_id: str, first_batch: int) -> int:
        """Delete the dead letters of ``run_id`` from batch ``first_batch`` on.

        A resumed run redoes the batches its checkpoint does not cover and writes their dead
        letters again, so those of the killed attempt go first: each record is dead-lettered
        exactly once, like the target's rows. Returns how many were deleted.
        """
        flt = DLQFilter(run_id=run_id).normalized()
        ids = [r.id for r in self.backend.iter_records(flt)
               if int(r.metadata.get("batch_index", -1)) >= first_batch]
        return self.backend.delete(ids) if ids else 0

    async def _add_async(self, records: list[DeadLetterRecord]) -> None:
        if isinstance(self.backend, MemoryBackend):
            self.add_records(records)
        else:  # file/database I/O (with fsync) stays off the event loop
            await asyncio.to_thread(self.add_records, records)

    async def add_record(
        self,
        pipeline_name: str,
        record_data: Any,
        reason: DLQReason | str,
        error_message: str,
        error_type: str,
        stage: str,
        metadata: dict[str, Any] | None = None,
        record_id: str | None = None,
    ) -> DeadLetterRecord | None:
        """Dead-letter one record; returns it (None when the queue is disabled)."""
        if not self.enabled:
            return None
        rec = DeadLetterRecord(
            pipeline_name, record_data, reason, error_message, error_type, stage, metadata, record_id
        )
        await self._add_async([rec])
        return rec

    async def add_batch(
        self,
        pipeline_name: str,
        batch: Sequence[Any],
        reason: DLQReason | str,
        error_message: str,
        error_type: str,
        stage: str,
        metadata: dict[str, Any] | None = None,
    ) -> list[DeadLetterRecord]:
        """Dead-letter every item of a batch with the same error; ``record_index`` is added."""
        if not self.enabled or not batch:
            return []
        records = [
            DeadLetterRecord(
                pipeline_name,
                item,
                reason,
                error_message,
                error_type,
                stage,
                {**(metadata or {}), "record_index": i},
            )
            for i, item in enumerate(batch)
        ]
        await self._add_async(records)
        return records

    async def retry_record(self, record_id: str) -> DeadLetterRecord | None:
        """Mark a record as being retried (status ``retrying``, ``retry_count`` + 1)."""
        await asyncio.to_thread(
            self.backend.set_status, [record_id], DLQStatus.RETRYING, increment_retry=True
        )
        found = self.get([record_id])
        return found[0] if found else None

    # -- querying ------------------------------------------------------------------------
    def count(self, filters: Filters = None) -> int:
        """Number of dead letters matching ``filters``."""
        return self.backend.count(DLQFilter.coerce(filters).normalized())

    def has_status(self, status: DLQStatus | str) -> bool:
        """True when any dead letter has ``status`` (an indexed query or a file search)."""
        return self.backend.has_status(coerce_status(status))

    def page(
        self,
        filters: Filters = None,
        offset: int = 0,
        limit: int = 100,
        order_by: str = "timestamp",
        descending: bool = False,
    ) -> list[DeadLetterRecord]:
        """One page of matching dead letters; see ``sortable_columns`` for ``order_by``."""
        return self.backend.page(
            DLQFilter.coerce(filters).normalized(), offset, limit, order_by, descending
        )

    def statistics(self, filters: Filters = None) -> dict[str, Any]:
        """``{total, by_reason, by_stage, by_status}`` over matching dead letters."""
        return self.backend.statistics(DLQFilter.coerce(filters).normalized())

    def get(self, ids: str | Iterable[str]) -> list[DeadLetterRecord]:
        """The records with these ids, in the order asked (missing ids are left out)."""
        return self.backend.get([ids] if isinstance(ids, str) else list(ids))

    def set_status(self, ids: str | Iterable[str], status: DLQStatus | str) -> int:
        """Set the status of these ids; returns how many records changed."""
        member = coerce_status(status)
        return self.backend.set_status([ids] if isinstance(ids, str) else list(ids), member)

    def delete(self, ids: str | Iterable[str]) -> int:
        """Delete these ids; returns how many records were removed."""
        return self.backend.delete([ids] if isinstance(ids, str) else list(ids))

    # -- seed compatibility --------------------------------------------------------------
    def get_records(
        self,
        pipeline_name: str | None = None,
        reason: DLQReason | str | None = None,
        stage: str | None = None,
        status: DLQStatus | str | None = None,
        limit: int = 100,
    ) -> list[DeadLetterRecord]:
        """First ``limit`` records matching the given fields (seed API)."""
        flt = DLQFilter(pipeline=pipeline_name, reason=reason, stage=stage, status=status)
        return self.page(flt, limit=limit)

    def get_statistics(self, pipeline_name: str | None = None) -> dict[str, Any]:
        """Statistics for one pipeline or all (seed API)."""
        return self.statistics(DLQFilter(pipeline=pipeline_name))

    def close(self) -> None:
        self.backend.close()

    def __repr__(self) -> str:
        return f"DeadLetterQueue(backend={self.storage_backend!r}, location={self.location!r})"
