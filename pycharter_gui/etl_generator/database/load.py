"""Database loads: ``DatabaseLoadSession`` for the orchestrator and ``load_data`` for callers.

Each batch is one transaction on one connection. All blocking work of a session runs on one
dedicated worker thread, so a connection never moves between threads (SQLite needs that).
A dry run executes every statement inside one transaction held for the whole run and rolled
back at the end: the database still reports constraint violations (also between batches, e.g.
a key loaded by an earlier batch), and the target is left unchanged.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from ..errors import LoadError, TransientLoadError
from ..loaders.base import BatchLoadResult
from .column_batch import ColumnBatch, write_any
from .connect import (
    classify_db_error,
    create_engine,
    engine_of,
    mask_url,
    parse_url,
    sqlite_path,
)
from .dialects import begin_write, clear_table, effective_schema
from .progress import clear_progress, progress_table, save_progress
from .ssh_tunnel import SshTunnel, open_ssh_tunnel
from .tables import (
    arrow_column_kinds,
    build_table,
    column_samples,
    contract_columns,
    describe_target,
    missing_table_error,
    reflect_table,
    type_samples,
)
from .writer import TableWriter, check_write_method

T = TypeVar("T")
# The run passes the data contract's JSON Schema here, so create_table can use its types.
CONTRACT_SCHEMA_KEY = "__contract_schema__"
# ``run(session=...)``: the caller's Session/Connection/Engine, whose engine the load uses.
SESSION_KEY = "__session__"


class DatabaseLoadSession:
    """One run's writes to a database table (see docs/architecture.md, Load sessions)."""

    keeps_committed_batches = True  # each batch is its own committed transaction

    def __init__(self, load_config: dict[str, Any], *, dry_run: bool = False,
                 run_key: str = "") -> None:
        self.config = load_config
        self.dry_run = dry_run
        self.run_key = run_key
        # A caller's session: its engine (own connections, on this session's thread) replaces
        # the configured URL; the caller's transaction is left alone.
        self._given_engine, self._owns_engine = engine_of(load_config.get(SESSION_KEY))
        self.url = self._given_engine.url if self._given_engine is not None else parse_url(
            load_config.get("url") or "", file="load.yaml")
        self.backend = "mysql" if self.url.get_backend_name() == "mariadb" \
            else self.url.get_backend_name()
        self.table_name = str(load_config.get("table") or "")
        if not self.table_name:
            from ..errors import ConfigError, ConfigProblem

            raise ConfigError([ConfigProblem(file="load.yaml", key="table",
                                             message="a target table is required")])
        self.schema = effective_schema(self.backend, load_config.get("schema_name"))
        self.method, self.primary_key = check_write_method(
            load_config.get("write_method"), load_config.get("primary_key"))
        self.update_columns = load_config.get("update_columns") or None
        self.create_table = bool(load_config.get("create_table"))
        self.target = describe_target(self.table_name, self.schema, str(self.url))
        self._engine: Engine | None = None
        self._table: sa.Table | None = None
        self._writer: TableWriter | None = None
        self._dry_conn: Connection | None = None  # the dry run's one transaction
        self._dry_writer: TableWriter | None = None
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._cancel = threading.Event()
        self._totals = {"inserted": 0, "updated": 0, "rejected": 0, "batches": 0}
        self._clear_pending = False  # truncate_and_load: clear with the first committed batch
        # Set by a checkpointed run: the checkpoint a batch leads to, committed with the batch
        # in the target's progress table (database/progress.py).
        self.progress_hook: Callable[[BatchLoadResult, int], dict[str, Any]] | None = None
        self._progress: sa.Table | None = None
        # Set by a run: stores a batch's rejected rows inside its transaction, before the
        # commit (a kill after the commit must not lose dead letters the progress counts);
        # returns how to take them back if the batch does not commit after all.
        self.reject_hook: Callable[[BatchLoadResult, int, Connection],
                                   Callable[[], None]] | None = None
        self._tunnel: SshTunnel | None = None  # ssh_tunnel: open from open() to close
        # create_table: the columns of the last Arrow batch (even an empty one), for a run
        # whose every record is filtered or dead-lettered
        self._last_batch_kinds: dict[str, str] = {}
        self._warnings: list[str] = []
        self._closed = False

    def describe(self) -> str:
        return self.target

    # ---- thread plumbing ---------------------------------------------------------------
    async def _run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the session's own thread; on cancellation wait for it to stop."""
        if self._executor is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=1, thread_name_prefix="pycharter-db-load")
        future = self._executor.submit(fn, *args)
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            self._cancel.set()  # the worker rolls back instead of committing
            if not future.done():
                with contextlib.suppress(BaseException):
                    await asyncio.shield(asyncio.wrap_future(future))
            raise

    # ---- protocol ----------------------------------------------------------------------
    async def open(self, resume_batches: int = 0) -> None:
        """Connect and reflect the table once (truncate_and_load clears it with the first batch,
        never on resume, never in a dry run). An ``ssh_tunnel`` is opened first."""
        if self._given_engine is None:
            self._tunnel = await open_ssh_tunnel(
                self.config, self.url, file="load.yaml",
                fatal=lambda m: LoadError(m, target=self.target),
                transient=lambda m: TransientLoadError(m, target=self.target))
        try:
            await self._run(self._open_sync, resume_batches)
        except BaseException:
            await self._close_tunnel()
            raise

    def _open_sync(self, resume_batches: int) -> None:
        path = sqlite_path(self.url)
        if path is not None and not path.exists() and not self.create_table:
            raise LoadError(f"SQLite database file not found: {path} (load.yaml 'url'). "
                            "Check the path, or set create_table: true.", target=self.target)
        url = self.url
        if path is not None and not path.exists():
            if self.dry_run:  # a dry run must not even create the database file
                url = "sqlite://"
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
        if self._tunnel is not None:
            url = self._tunnel.url
        self._engine = self._given_engine or create_engine(url, key="url", file="load.yaml")
        try:
            with self._engine.connect() as conn:
                self._table = reflect_table(conn, self.table_name, self.schema, self.backend,
                                            self.target)
                if self._table is None and not self.create_table:
                    raise missing_table_error(self.target)
                if self._table is not None:
                    self._writer = self._make_writer(self._table)
                conn.rollback()  # end the reflection's read transaction
                if self.progress_hook is not None and not self.dry_run:
                    self._progress = progress_table(self.schema)
                    self._progress.create(conn, checkfirst=True)
                    conn.commit()
                # truncate_and_load clears the table in the first batch's transaction (or at
                # commit when the source is empty), so a run that fails before its first batch
                # commits leaves the table as it was.
                self._clear_pending = (self.method == "truncate_and_load" and resume_batches == 0
                                       and not self.dry_run and self._table is not None)
        except BaseException as exc:
            self._dispose()
            if isinstance(exc, DBAPIError):
                problem = classify_db_error(exc)
                cls = TransientLoadError if problem.retriable else LoadError
                raise cls(f"Cannot open {self.target}: {problem.message}",
                          target=self.target) from exc
            raise

    def _make_writer(self, table: sa.Table) -> TableWriter:
        return TableWriter(table, write_method=self.method, primary_key=self.primary_key,
                           update_columns=self.update_columns, target=self.target)

    async def write_batch(self, records: list[dict[str, Any]],
                          batch_index: int) -> BatchLoadResult:
        """One transaction per batch; rejected rows come back with the database's message."""
        return await self._write(records, batch_index)

    async def write_arrow_batch(self, table: Any, batch_index: int) -> BatchLoadResult:
        """The columnar path's batch (a ``pyarrow.Table``, or the :class:`ColumnBatch`
        :meth:`prepare_arrow_batch` made of one): as :meth:`write_batch`, but SQLite inserts
        take its columns directly, without building a dict per row."""
        return await self._write(table, batch_index)

    def prepare_arrow_batch(self, table: Any) -> ColumnBatch:
        """The table's columns as Python values, and once the table exists the rows its writer
        inserts (the costly part of a columnar write, done ahead of it)."""
        batch = ColumnBatch.from_table(table)
        writer, engine = self._writer, self._engine
        if writer is not None and engine is not None and writer.method == "insert":
            batch.prepare_rows(writer, engine.dialect)
        return batch

    async def _write(self, batch: Any, batch_index: int) -> BatchLoadResult:
        if self._engine is None:
            raise LoadError("write_batch called before open()", target=self.target)
        schema = None if isinstance(batch, list) else batch.schema
        if self.create_table and schema is not None and schema.names:
            self._last_batch_kinds = arrow_column_kinds(schema)
        if not len(batch):
            return BatchLoadResult()
        result = await self._run(self._write_sync, batch, batch_index)
        self._totals["inserted"] += result.inserted
        self._totals["updated"] += result.updated
        self._totals["rejected"] += len(result.rejected)
        self._totals["batches"] += 1
        return result

    def _write_sync(self, batch: Any, batch_index: int) -> BatchLoadResult:
        assert self._engine is not None
        if not isinstance(batch, list | ColumnBatch):
            batch = ColumnBatch.from_table(batch)
        undo: Callable[[], None] | None = None  # takes back the rejects stored before the commit
        try:
            if self.dry_run:
                return self._dry_write(batch)
            with self._engine.connect() as conn:
                conn.begin()
                writer = self._writer
                if writer is None:  # create_table: the first batch defines the columns
                    writer = self._create_table(conn, batch)
                    if writer is None:  # dry run where DDL cannot be rolled back
                        conn.rollback()
                        return BatchLoadResult(inserted=len(batch))
                if self._clear_pending:
                    begin_write(conn)
                    clear_table(conn, writer.table)
                result = write_any(writer, conn, batch)
                if self.reject_hook is not None and result.rejected:
                    undo = self.reject_hook(result, batch_index, conn)
                if self._progress is not None and self.progress_hook is not None:
                    save_progress(conn, self._progress, self.run_key,
                                  self.progress_hook(result, batch_index))
                if self._cancel.is_set():
                    conn.rollback()
                    _take_back(undo)
                    undo = None
                else:
                    conn.commit()
                    self._clear_pending = False
                return result
        except BaseException as exc:
            _take_back(undo)  # the batch did not commit, so neither do its dead letters
            if not isinstance(exc, DBAPIError):
                raise
            problem = classify_db_error(exc)
            cls = TransientLoadError if problem.retriable or exc.connection_invalidated \
                else LoadError
            raise cls(f"Writing to {self.target} failed: {problem.message}",
                      target=self.target) from exc

    def _dry_write(self, batch: list[dict[str, Any]] | ColumnBatch) -> BatchLoadResult:
        """Write into the run-long dry transaction (rolled back by commit/abort)."""
        assert self._engine is not None
        conn = self._dry_conn
        if conn is None:
            conn = self._dry_conn = self._engine.connect()
            conn.begin()
            if self.method == "truncate_and_load" and self._table is not None:
                begin_write(conn)  # judge the batches against the emptied table
                clear_table(conn, self._table)
        try:
            writer = self._writer or self._dry_writer
            if writer is None:  # create_table: DDL inside the transaction where it can be
                writer = self._dry_writer = self._create_table(conn, batch)
                if writer is None:  # MySQL DDL commits implicitly: validate nothing
                    return BatchLoadResult(inserted=len(batch))
            return write_any(writer, conn, batch)
        except BaseException:
            self._release_dry()  # a broken transaction is not reused by a retry
            raise

    def _clear_sync(self) -> None:
        assert self._engine is not None and self._table is not None
        with self._engine.connect() as conn:
            conn.begin()
            begin_write(conn)
            clear_table(conn, self._table)
            conn.commit()
        self._clear_pending = False

    def _forget_progress_sync(self) -> None:
        assert self._engine is not None and self._progress is not None
        with self._engine.begin() as conn:
            clear_progress(conn, self._progress, self.run_key)

    def _release_dry(self) -> None:
        conn, self._dry_conn, self._dry_writer = self._dry_conn, None, None
        if conn is not None:
            try:
                conn.rollback()
            finally:
                conn.close()

    def _release_sync(self) -> None:
        try:
            self._release_dry()
        finally:
            self._dispose()

    def _dispose(self) -> None:
        """Dispose the engine unless it is the caller's."""
        if self._engine is not None and (self._engine is not self._given_engine
                                         or self._owns_engine):
            self._engine.dispose()

    def _create_table(self, conn: Connection, batch: list[dict[str, Any]] | ColumnBatch
                      ) -> TableWriter | None:
        samples = (column_samples(batch.names, batch.columns) if isinstance(batch, ColumnBatch)
                   else type_samples(batch))
        table = build_table(self.table_name, self.schema, samples,
                            self.primary_key, self.backend,
                            contract_schema=self.config.get(CONTRACT_SCHEMA_KEY))
        if self.dry_run:
            if self.backend not in ("sqlite", "postgresql"):
                return None  # MySQL DDL commits implicitly: validate nothing rather than write
            begin_write(conn)
            table.create(conn)
            return self._make_writer(table)
        begin_write(conn)
        table.create(conn, checkfirst=True)
        conn.commit()
        conn.begin()
        self._table = table
        self._writer = self._make_writer(table)
        return self._writer

    def _create_empty_sync(self) -> None:
        """create_table and no batch created the table (every record filtered or
        dead-lettered): create it empty from the contract's columns, else from the last
        batch's; with neither, say so in the run's warnings rather than nothing."""
        assert self._engine is not None
        kinds = contract_columns(self.config.get(CONTRACT_SCHEMA_KEY)) or self._last_batch_kinds
        if not kinds:
            self._warnings.append(
                f"The table '{self.table_name}' was not created (create_table: true): no "
                "record reached the load, and no columns are known (no data contract schema, no batch "
                "schema). Add a contract schema, or create the table first.")
            return
        table = build_table(self.table_name, self.schema, [], self.primary_key, self.backend,
                            known=kinds)
        with self._engine.connect() as conn:
            begin_write(conn)
            table.create(conn, checkfirst=True)
            conn.commit()
        self._table = table
        self._writer = self._make_writer(table)

    async def commit(self) -> dict[str, Any]:
        """Dispose the engine and report what the run did to the table."""
        if self.create_table and self._writer is None and not self.dry_run:
            await self._run(self._create_empty_sync)
        if self._clear_pending:  # truncate_and_load of an empty source: the table ends empty
            await self._run(self._clear_sync)
        if self._progress is not None:  # the run is complete: nothing to resume
            await self._run(self._forget_progress_sync)
        await self._close()
        return {"table": self.table_name, "schema": self.schema, "url": mask_url(self.url),
                "target": self.target, "dry_run": self.dry_run, **self._totals,
                "warnings": list(self._warnings)}

    async def abort(self) -> None:
        """Dispose the engine; batches already committed stay (resume relies on them)."""
        await self._close()

    async def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._executor is not None:
                await asyncio.shield(asyncio.wrap_future(
                    self._executor.submit(self._release_sync)))
                self._executor.shutdown(wait=False)
        finally:
            await self._close_tunnel()

    async def _close_tunnel(self) -> None:
        tunnel, self._tunnel = self._tunnel, None
        if tunnel is not None:
            await tunnel.close()


def _take_back(undo: Callable[[], None] | None) -> None:
    """Remove the dead letters of a batch that did not commit (a retry stores them again)."""
    if undo is not None:
        with contextlib.suppress(Exception):
            undo()


__all__ = ["DatabaseLoadSession", "describe_target", "reflect_table"]
