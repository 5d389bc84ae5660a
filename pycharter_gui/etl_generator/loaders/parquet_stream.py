"""Batches streamed straight into one Parquet file, for runs that cannot resume anyway.

A resumable run (``checkpoint_dir`` set) writes each batch as a part file, because a part
survives a killed process and a half-written Parquet file (no footer) does not. A run without
checkpoints gains nothing from parts, and writing them costs as much as the Parquet write
itself (5M rows: ~1.2 s of part files, then reading them back). So such a run streams its
batches into a temp file beside the target, in the row groups and schema that assembling the
parts would have produced; ``FileLoadSession.commit`` then renames it into place.

Row groups are encoded on a writer thread while the run reads and transforms the next batches
(at most one group in flight, so memory stays bounded by two row groups).

A batch whose schema differs from the first one's (a column that was all null, a new column)
is refused: the session stores it and every later batch as parts, and assembles the stream's
file followed by the parts, so the output is the same as with parts only.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import threading
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .assemble import ROW_GROUP_ROWS, RowGroups, parquet_writer
from .serialize import conform, unify_schemas


class ParquetStream:
    """Appends Arrow tables of one schema to ``path``, buffered into large row groups."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.schema: pa.Schema | None = None
        self.rows = 0  # rows accepted so far
        self._writer: pq.ParquetWriter | None = None
        self._groups = RowGroups()
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending: concurrent.futures.Future[None] | None = None
        self._error: BaseException | None = None  # a failed write: the file cannot be finished
        # A cancelled run may abort while its last write_batch is still running on a worker
        # thread: the lock orders them, and nothing is taken once the stream is closed.
        self._lock = threading.Lock()
        self._closed = False

    @property
    def started(self) -> bool:
        """True once a batch was taken (the file exists)."""
        return self.schema is not None

    def add(self, table: pa.Table) -> bool:
        """Take ``table``; False (nothing taken) when its schema is not the stream's."""
        with self._lock:
            if self._closed:
                return True  # aborted meanwhile: the batch is dropped with the rest
            return self._add(table)

    def _add(self, table: pa.Table) -> bool:
        schema = unify_schemas([table.schema])  # what assembling would make of this part alone
        if self.schema is None:
            self.schema = schema
        elif not schema.equals(self.schema):
            return False
        self.rows += table.num_rows
        group = self._groups.add(conform(table, self.schema))
        if group is not None:
            self._flush(group)
        return True

    def _flush(self, group: pa.Table | None) -> None:
        """Hand ``group`` to the writer thread (row groups of ``ROW_GROUP_ROWS``)."""
        self._wait()  # one group in flight at most
        if group is not None and self.schema is not None and self._error is None:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix="pycharter-parquet")
            if self._writer is None:  # opened for the first group: it picks the encodings
                self._writer = parquet_writer(self.path, self.schema, group)
            self._pending = self._executor.submit(
                self._writer.write_table, group, row_group_size=ROW_GROUP_ROWS)

    def _wait(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None and pending.exception() is not None and self._error is None:
            self._error = pending.exception()  # reported by finish(), which fails the commit

    def _stop_thread(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def finish(self) -> None:
        """Write what is buffered and close the file (it is then a complete Parquet file)."""
        with self._lock:
            self._closed = True
            self._finish()

    def _finish(self) -> None:
        if self.schema is not None:
            try:
                self._flush(self._groups.rest())
                self._wait()
            finally:
                self._stop_thread()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
        if self._error is not None:
            raise self._error

    def discard(self) -> None:
        """Close quietly and remove the file (abort, cancel). Idempotent."""
        with self._lock:
            self._closed = True
            self._groups.rest()  # dropped
            self._wait()
            self._stop_thread()
            if self._writer is not None:
                with contextlib.suppress(Exception):
                    self._writer.close()
                self._writer = None
            self.path.unlink(missing_ok=True)
