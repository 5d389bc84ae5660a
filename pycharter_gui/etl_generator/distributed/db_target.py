"""Database destinations in a distributed run.

* ``upsert``, ``replace``, ``update`` and ``delete`` are keyed, so writing a partition twice
  gives the same table: partitions write straight into the target (which must exist).
* ``insert`` and ``truncate_and_load`` are not idempotent: each partition writes into its own
  staging table (same columns as the target). When every partition is done the client runs,
  in ONE transaction, ``DELETE FROM target`` (truncate_and_load only), one
  ``INSERT INTO target SELECT ... FROM staging`` per partition and ``DROP`` of the staging
  tables. A failed or killed run leaves the target untouched; a rerun redoes only the
  partitions whose staging table is not complete. (On MySQL/MariaDB, DDL commits implicitly,
  so the staging tables are dropped after the commit.)

SQLite allows one writer per file at a time, and two processes writing the same file fail with
"database is locked", so for a SQLite target each partition stages into its own SQLite file
(``.<db name>.dask/<run>/part-<id>.db`` beside the database); the client copies them into the
target in one transaction.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from ..database.connect import classify_db_error, create_engine, mask_url, sqlite_path
from ..database.dialects import begin_write, clear_table, effective_schema
from ..database.tables import build_table, describe_target, reflect_table
from ..errors import LoadError

DIRECT_METHODS = ("upsert", "replace", "update", "delete")
STAGED_METHODS = ("insert", "truncate_and_load")


class DatabaseTarget:
    """A table target (see the module docstring)."""

    kind = "database"

    def __init__(self, load: dict[str, Any], run_key: str) -> None:
        self.load = load
        self.method: str = load.get("write_method") or "insert"
        self.staged = self.method in STAGED_METHODS
        self.url = load["url"]
        self.table: str = load["table"]
        digest = hashlib.sha1(run_key.encode()).hexdigest()[:10]
        self.stage_prefix = f"pcg_stage_{digest}_"
        self._engine: sa.Engine | None = None
        backend = sa.make_url(self.url).get_backend_name()
        self.backend = "mysql" if backend == "mariadb" else backend
        self.schema = effective_schema(self.backend, load.get("schema_name"))
        self.target = describe_target(self.table, self.schema, str(self.url))
        self.sqlite_file = sqlite_path(sa.make_url(self.url))
        self.stage_dir: Path | None = None
        if self.sqlite_file is not None:
            safe = re.sub(r"[^A-Za-z0-9._-]+", "_", run_key) or "run"
            self.stage_dir = self.sqlite_file.parent / f".{self.sqlite_file.name}.dask" / safe

    def stage_file(self, pid: int) -> Path:
        assert self.stage_dir is not None
        return self.stage_dir / f"part-{pid:05d}.db"

    def describe(self) -> str:
        return self.target + (" (per-partition staging tables)" if self.staged else "")

    def stage_name(self, pid: int) -> str:
        return f"{self.stage_prefix}{pid:05d}"

    @property
    def engine(self) -> sa.Engine:
        if self._engine is None:
            self._engine = create_engine(self.url, key="url", file="load.yaml")
        return self._engine

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

    def partition_load(self, pid: int, dry_run: bool) -> dict[str, Any]:
        """The load config of partition ``pid`` (a dry run checks against the real target)."""
        cfg = {**self.load, "dead_letter_queue": {"enabled": False, "backend": "memory",
                                                  "path": None, "table": None, "url": None}}
        if dry_run or not self.staged:
            return cfg
        if self.stage_dir is not None:
            return {**cfg, "url": f"sqlite:///{self.stage_file(pid)}", "schema_name": None,
                    "write_method": "insert", "create_table": True}
        return {**cfg, "table": self.stage_name(pid), "write_method": "insert",
                "create_table": True}

    def _reflect(self, conn: sa.Connection, name: str) -> sa.Table | None:
        return reflect_table(conn, name, self.schema, self.backend, self.target)

    def prepare(self, pending: list[int]) -> None:
        """Direct: the target must exist. Staged: fresh, empty staging tables for ``pending``."""
        path = sqlite_path(sa.make_url(self.url))
        if path is not None and self.staged and self.load.get("create_table"):
            path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.engine.connect() as conn:
                target = self._reflect(conn, self.table)
                if target is None and not (self.staged and self.load.get("create_table")):
                    raise LoadError(
                        f"The target {self.target} does not exist. Create it first"
                        + (", or set create_table: true in load.yaml." if self.staged else
                           f" (write_method '{self.method}' needs it before a distributed run)."),
                        target=self.target)
                if not self.staged:
                    return
                if self.stage_dir is not None:
                    self._prepare_files(target, pending)
                    return
                conn.rollback()
                begin_write(conn)
                for pid in pending:
                    stage = self._reflect(conn, self.stage_name(pid))
                    if stage is not None:
                        stage.drop(conn)
                    if target is not None:
                        self._copy_definition(target, self.stage_name(pid)).create(conn)
                conn.commit()
        except DBAPIError as exc:
            raise LoadError(f"Cannot prepare {self.target}: {classify_db_error(exc).message}",
                            target=self.target) from exc

    def _prepare_files(self, target: sa.Table | None, pending: list[int]) -> None:
        assert self.stage_dir is not None
        self.stage_dir.mkdir(parents=True, exist_ok=True)
        for pid in pending:
            self.stage_file(pid).unlink(missing_ok=True)
            if target is None:
                continue
            engine = create_engine(f"sqlite:///{self.stage_file(pid)}")
            try:
                with engine.begin() as conn:
                    stage = self._copy_definition(target, self.table)
                    stage.schema = None
                    stage.create(conn)
            finally:
                engine.dispose()

    def _copy_definition(self, table: sa.Table, name: str) -> sa.Table:
        cols = [sa.Column(c.name, c.type, nullable=c.nullable, primary_key=c.primary_key,
                          autoincrement=False) for c in table.columns]
        return sa.Table(name, sa.MetaData(), *cols, schema=self.schema)

    def discard(self) -> None:
        """Drop every staging table of this run (nothing for direct writes)."""
        if not self.staged:
            return
        if self.stage_dir is not None:
            shutil.rmtree(self.stage_dir, ignore_errors=True)
            with contextlib.suppress(OSError):
                self.stage_dir.parent.rmdir()
            return
        with self.engine.connect() as conn:
            names = [n for n in sa.inspect(conn).get_table_names(schema=self.schema)
                     if n.startswith(self.stage_prefix)]
            begin_write(conn)
            for name in names:
                sa.Table(name, sa.MetaData(), schema=self.schema).drop(conn, checkfirst=True)
            conn.commit()

    def commit(self, pids: list[int]) -> dict[str, Any]:
        """Staged: move every staging table into the target in one transaction."""
        info = {"table": self.table, "schema": self.schema, "url": mask_url(self.url),
                "write_method": self.method}
        if not self.staged:
            return info
        if self.stage_dir is not None:
            moved = self._commit_files(pids)
            self.discard()
            return {**info, "moved": moved}
        moved = 0
        try:
            with self.engine.connect() as conn:
                stages = [t for t in (self._reflect(conn, self.stage_name(p)) for p in sorted(pids))
                          if t is not None]
                conn.rollback()
                begin_write(conn)
                target = self._reflect(conn, self.table)
                if target is None:
                    target = self._create_target(conn, stages)
                if target is not None:
                    if self.method == "truncate_and_load":
                        clear_table(conn, target)
                    for stage in stages:
                        cols = [c.name for c in stage.columns if c.name in target.c]
                        select = sa.select(*[stage.c[c] for c in cols])
                        moved += conn.execute(target.insert().from_select(cols, select)).rowcount
                if self.backend != "mysql":
                    for stage in stages:
                        stage.drop(conn)
                conn.commit()
                if self.backend == "mysql":
                    for stage in stages:
                        stage.drop(conn, checkfirst=True)
                    conn.commit()
        except DBAPIError as exc:
            raise LoadError(f"Moving the partitions into {self.target} failed (nothing was "
                            f"changed): {classify_db_error(exc).message}",
                            target=self.target) from exc
        return {**info, "moved": moved}

    def _commit_files(self, pids: list[int]) -> int:
        """SQLite: copy every partition file into the target in one transaction."""
        moved = 0
        engines = []
        try:
            with self.engine.connect() as conn:
                begin_write(conn)
                sources = []
                for pid in sorted(pids):
                    engine = create_engine(f"sqlite:///{self.stage_file(pid)}")
                    engines.append(engine)
                    with engine.connect() as sconn:
                        stage = reflect_table(sconn, self.table, None, "sqlite", self.target)
                    if stage is not None:
                        sources.append((engine, stage))
                target = self._reflect(conn, self.table)
                if target is None:
                    target = self._create_target(conn, [], sources)
                if target is not None:
                    if self.method == "truncate_and_load":
                        clear_table(conn, target)
                    for engine, stage in sources:
                        cols = [c.name for c in stage.columns if c.name in target.c]
                        with engine.connect() as sconn:
                            rows = sconn.execute(sa.select(*[stage.c[c] for c in cols]))
                            while chunk := rows.fetchmany(10_000):
                                conn.execute(target.insert(), [dict(r._mapping) for r in chunk])
                                moved += len(chunk)
                conn.commit()
        except DBAPIError as exc:
            raise LoadError(f"Moving the partitions into {self.target} failed (nothing was "
                            f"changed): {classify_db_error(exc).message}",
                            target=self.target) from exc
        finally:
            for engine in engines:
                engine.dispose()
        return moved

    def _create_target(self, conn: sa.Connection, stages: list[sa.Table],
                       files: list[tuple[sa.Engine, sa.Table]] = ()) -> sa.Table | None:
        """create_table with a missing target: infer it from sample rows, like a local run."""
        sample: list[dict[str, Any]] = []
        for stage in stages:
            rows = conn.execute(sa.select(stage).limit(200)).mappings().all()
            sample += [dict(r) for r in rows]
        for engine, stage in files:
            with engine.connect() as sconn:
                sample += [dict(r) for r in
                           sconn.execute(sa.select(stage).limit(200)).mappings().all()]
        if not sample:
            return None
        table = build_table(self.table, self.schema, sample,
                            list(self.load.get("primary_key") or []), self.backend)
        table.create(conn)
        return table
