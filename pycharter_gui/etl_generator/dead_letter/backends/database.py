"""The ``database`` DLQ backend: dead letters in a table of a SQL database via SQLAlchemy.

Tested against PostgreSQL, MariaDB and SQLite. The table (default ``pycharter_dead_letters``)
is created on the first write, with indexes on the columns the designer filters by; reads
before that answer "empty" without creating anything. ``record_data`` and ``metadata`` are
JSON text (not JSONB: dead letters are the bad data, and JSONB refuses ``\\u0000``), so the
text search means the same as in the file and SQLite backends. Rows keep an insertion
sequence, so pages are stable when timestamps tie. The engine's pool is thread-safe, so the
pipeline may write from a worker thread while the designer pages from another.

Options: ``storage_path`` is the database URL (``run_loop`` passes the configured ``url``
there), or ``db_session`` an ``Engine``/``Connection``/``Session`` whose engine is reused.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ...database.connect import engine_of
from ..query import (
    RECORD_COLUMNS,
    NormalizedFilter,
    StatisticsBuilder,
    empty_statistics,
    text_matches,
)
from ..records import DeadLetterRecord, DLQStatus, dumps_data, utc_now_iso
from .base import DLQBackend

DEFAULT_TABLE = "pycharter_dead_letters"  # when no pipeline is named


def default_table_for(pipeline: str) -> str:
    """The default dead-letter table of a pipeline: ``dead_letters_<pipeline>`` (one per
    pipeline, a plain identifier of at most 51 characters)."""
    slug = re.sub(r"[^a-z0-9_]+", "_", pipeline.lower()).strip("_") or "pipeline"
    return f"dead_letters_{slug}"[:51]
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,50}$")
_INDEXED = ("pipeline_name", "run_id", "reason", "stage", "status", "timestamp")
_COLUMNS = (
    "id", "pipeline_name", "run_id", "reason", "stage", "status", "timestamp", "retry_count",
    "error_type", "error_message", "record_data", "metadata", "created_at", "updated_at",
)  # fmt: skip
_CHUNK = 500


def _text(length: int | None = None) -> sa.types.TypeEngine:
    """Text that compares and sorts by code point on MariaDB too (not its _ci collations)."""
    from sqlalchemy.dialects import mysql

    if length is None:
        return sa.Text().with_variant(mysql.TEXT(collation="utf8mb4_bin"), "mysql", "mariadb")
    return sa.String(length).with_variant(
        mysql.VARCHAR(length, collation="utf8mb4_bin"), "mysql", "mariadb")


def define_table(name: str, schema: str | None, *, keyed_by_id: bool = False) -> sa.Table:
    """The dead-letter table. Default layout: an insertion sequence ``seq`` as the primary key
    and a unique index on ``id``. ``keyed_by_id``: the sqlite store's file layout (``id`` is
    the primary key, SQLite's ``rowid`` keeps insertion order; status and retry_count have
    defaults), so files written before the stores were merged still open."""
    text = _text()
    short = _text(255)
    if keyed_by_id:
        key = [sa.Column("id", sa.Text(), primary_key=True)]
    else:
        key = [sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                         primary_key=True, autoincrement=True),
               sa.Column("id", _text(64), nullable=False)]
    defaults: dict[str, dict[str, Any]] = {
        "status": {"server_default": "pending"} if keyed_by_id else {},
        "retry_count": {"server_default": sa.text("0")} if keyed_by_id else {},
    }
    cols = [
        *key,
        sa.Column("pipeline_name", short, nullable=False),
        sa.Column("run_id", short),
        sa.Column("reason", _text(64), nullable=False),
        sa.Column("stage", _text(64)),
        sa.Column("status", _text(16), nullable=False, **defaults["status"]),
        sa.Column("timestamp", _text(40), nullable=False),
        sa.Column("retry_count", sa.Integer(), nullable=False, **defaults["retry_count"]),
        sa.Column("error_type", short),
        sa.Column("error_message", text),
        sa.Column("record_data", text),
        sa.Column("metadata", text),
        sa.Column("created_at", _text(40)),
        sa.Column("updated_at", _text(40)),
    ]
    table = sa.Table(name, sa.MetaData(), *cols, schema=schema,
                     mysql_charset="utf8mb4", mariadb_charset="utf8mb4")
    if not keyed_by_id:
        sa.Index(f"ux_{name}_id", table.c.id, unique=True)
    for col in _INDEXED:
        sa.Index(f"ix_{name}_{col}", table.c[col])
    return table


def _sqlite_text_match(needle: str, message: str | None, data: str | None) -> int:
    return int(text_matches(needle, message, data or ""))


class DatabaseBackend(DLQBackend):
    """Dead letters in a SQL table, one connection from the pool per call.

    Subclasses serving one kind of store (``SqliteBackend``: a SQLite file) override the hooks
    ``_store_exists`` (reads before any write answer "empty"), ``_prepare_store`` (before the
    first write), ``_make_engine`` and ``_on_connect``.
    """

    name = "database"
    sortable_columns = RECORD_COLUMNS
    #: ``define_table(keyed_by_id=...)`` of this backend's table.
    keyed_by_id = False

    def __init__(
        self,
        storage_path: Any = None,
        db_session: Any = None,
        schema_name: str | None = None,
        table_name: str | None = None,
        **_options: Any,
    ) -> None:
        self.table_name = table_name or DEFAULT_TABLE
        if not _IDENT.match(self.table_name):
            raise ValueError(
                f"dead-letter table name {self.table_name!r} is not a plain SQL identifier "
                "(letters, digits and underscores, not starting with a digit, at most 51)")
        self._given_engine, self._owns_engine = engine_of(db_session)
        self.url = None if storage_path is None else str(storage_path)
        if self._given_engine is None and not self.url:
            raise ValueError("the database backend needs a url (dead_letter_queue.url in "
                             "load.yaml) or a db_session")
        if self._given_engine is None:
            from ...database.connect import parse_url

            parsed = parse_url(self.url or "", key="dead_letter_queue.url", file="load.yaml")
            self.backend_kind = "mysql" if parsed.get_backend_name() == "mariadb" \
                else parsed.get_backend_name()
        else:
            self.backend_kind = self._given_engine.dialect.name.replace("mariadb", "mysql")
        from ...database.dialects import effective_schema

        self._init_table(effective_schema(self.backend_kind, schema_name))

    def _init_table(self, schema: str | None) -> None:
        self.schema = schema
        self.table = define_table(self.table_name, schema, keyed_by_id=self.keyed_by_id)
        #: the second sort key, in insertion order, so pages are stable when values tie
        self._insertion: Any = sa.literal_column("rowid") if self.keyed_by_id else self.table.c.seq
        self._engine: Engine | None = self._given_engine
        self._lock = threading.Lock()
        self._exists = False

    def describe(self) -> str:
        from ...database.connect import mask_url

        where = mask_url(self.url) if self.url else str(self._engine.url if self._engine else "")
        name = f"{self.schema}.{self.table_name}" if self.schema else self.table_name
        return f"table {name} in {where}"

    # -- engine and table ----------------------------------------------------------------
    def _get_engine(self) -> Engine:
        with self._lock:
            if self._engine is None:
                self._engine = self._make_engine()
                if self.backend_kind == "sqlite":
                    sa.event.listen(self._engine, "connect", self._on_connect)
            return self._engine

    def _make_engine(self) -> Engine:
        from ...database.connect import create_engine

        return create_engine(self.url or "", key="dead_letter_queue.url", file="load.yaml",
                             pool_pre_ping=True)

    def _on_connect(self, dbapi_conn: Any, _record: Any) -> None:
        """A new SQLite connection: register the text matcher the filters use."""
        dbapi_conn.create_function("dlq_text", 3, _sqlite_text_match, deterministic=True)

    def _store_exists(self) -> bool:
        """False when the store certainly holds nothing yet (checked without connecting)."""
        return True

    def _prepare_store(self) -> None:
        """Called before a write connects (e.g. to create a file with the right mode)."""
        return None

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Connection | None]:
        """A connection for reading, or None when the table does not exist yet."""
        if not self._store_exists():
            yield None
            return
        with self._get_engine().connect() as conn:
            yield conn if self._table_exists(conn) else None

    def _table_exists(self, conn: Connection) -> bool:
        if not self._exists:
            self._exists = sa.inspect(conn).has_table(self.table_name, schema=self.schema)
        return self._exists

    def _create(self, conn: Connection) -> None:
        """Create the schema (PostgreSQL), table and indexes; tolerate a concurrent creator."""
        if self._table_exists(conn):
            return
        try:
            if self.schema and self.backend_kind == "postgresql":
                conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
            self.table.create(conn, checkfirst=True)
            conn.commit()
        except sa.exc.DBAPIError:
            conn.rollback()
            if not sa.inspect(conn).has_table(self.table_name, schema=self.schema):
                raise
        self._exists = True

    # -- writing -------------------------------------------------------------------------
    def append(self, records: Sequence[DeadLetterRecord]) -> None:
        if not records:
            return
        latest = {r.id: r for r in records}  # one row per id; the last copy wins
        now = utc_now_iso()
        t = self.table
        self._prepare_store()
        with self._get_engine().connect() as conn:
            self._create(conn)
            if conn.in_transaction():
                conn.commit()  # end the catalog read before our own transaction
            with conn.begin():
                existing: set[str] = set()
                ids = list(latest)
                for start in range(0, len(ids), _CHUNK):
                    chunk = ids[start:start + _CHUNK]
                    existing.update(conn.scalars(sa.select(t.c.id).where(t.c.id.in_(chunk))))
                new = [_row(r, now) for i, r in latest.items() if i not in existing]
                if new:
                    conn.execute(t.insert(), new)
                again = [_row(r, now) for i, r in latest.items() if i in existing]
                if again:  # the same dead letter re-added: count it as a retry
                    stmt = t.update().where(t.c.id == sa.bindparam("b_id")).values(
                        retry_count=t.c.retry_count + 1,
                        **{c: sa.bindparam(f"b_{c}") for c in (
                            "status", "error_message", "error_type", "record_data",
                            "metadata", "updated_at")})
                    conn.execute(stmt, [{f"b_{k}": v for k, v in row.items()} for row in again])

    def shares_database(self, conn: Connection) -> bool:
        """True when ``conn`` is a connection to this backend's database (its engine, or the
        same URL): then ``append_in`` can store dead letters in ``conn``'s transaction."""
        if self._given_engine is not None and conn.engine is self._given_engine:
            return True
        if self.url is None:
            return False
        from ...database.connect import parse_url

        mine = parse_url(self.url, key="dead_letter_queue.url", file="load.yaml")
        return mine.render_as_string(hide_password=False) == \
            conn.engine.url.render_as_string(hide_password=False)

    def append_in(self, conn: Connection, records: Sequence[DeadLetterRecord]) -> None:
        """Insert ``records`` inside ``conn``'s open transaction (committed or rolled back with
        it). The table is created in that transaction too, except on MySQL, whose DDL would
        commit it: there it is created on a connection of its own first."""
        if not records:
            return
        self._prepare_store()
        if not self._table_exists(conn):
            if self.backend_kind == "mysql":
                with self._get_engine().connect() as own:
                    self._create(own)
            else:
                if self.schema and self.backend_kind == "postgresql":
                    conn.execute(sa.schema.CreateSchema(self.schema, if_not_exists=True))
                self.table.create(conn, checkfirst=True)
                self._exists = False  # known to exist only once this transaction commits
        now = utc_now_iso()
        conn.execute(self.table.insert(), [_row(r, now) for r in {r.id: r for r in records}.values()])

    def set_status(
        self, ids: Iterable[str], status: DLQStatus, *, increment_retry: bool = False
    ) -> int:
        wanted = list(dict.fromkeys(ids))
        values: dict[str, Any] = {"status": status.value, "updated_at": utc_now_iso()}
        if increment_retry:
            values["retry_count"] = self.table.c.retry_count + 1
        return self._by_ids(wanted, lambda chunk: self.table.update().where(
            self.table.c.id.in_(chunk)).values(**values))

    def delete(self, ids: Iterable[str]) -> int:
        wanted = list(dict.fromkeys(ids))
        return self._by_ids(wanted, lambda chunk: self.table.delete().where(
            self.table.c.id.in_(chunk)))

    def _by_ids(self, ids: list[str], make: Any) -> int:
        if not ids:
            return 0
        changed = 0
        with self._reading() as conn:
            if conn is None:
                return 0
            if conn.in_transaction():
                conn.commit()
            with conn.begin():
                for start in range(0, len(ids), _CHUNK):
                    changed += conn.execute(make(ids[start:start + _CHUNK])).rowcount
        return changed

    # -- reading -------------------------------------------------------------------------
    def _select(self, flt: NormalizedFilter, *cols: Any) -> sa.Select:
        return sa.select(*cols).select_from(self.table).where(*self._where(flt))

    def count(self, flt: NormalizedFilter) -> int:
        with self._reading() as conn:
            if conn is None:
                return 0
            return int(conn.scalar(self._select(flt, sa.func.count())) or 0)

    def statistics(self, flt: NormalizedFilter) -> dict[str, Any]:
        t = self.table
        with self._reading() as conn:
            if conn is None:
                return empty_statistics()
            stmt = self._select(flt, t.c.reason, t.c.stage, t.c.status, sa.func.count()
                                ).group_by(t.c.reason, t.c.stage, t.c.status)
            return StatisticsBuilder().add_counts(conn.execute(stmt)).result()

    def _page(self, flt: NormalizedFilter, offset: int, limit: int, order_by: str,
              descending: bool) -> list[DeadLetterRecord]:
        t = self.table
        first: Any = t.c[order_by]
        if self.backend_kind == "postgresql" and order_by not in ("retry_count", "timestamp"):
            first = sa.collate(first, "C")  # code point order, as the other backends sort
        keys = [first, self._insertion]
        stmt = self._select(flt, *[t.c[c] for c in _COLUMNS]).order_by(
            *[k.desc() if descending else k.asc() for k in keys]).offset(offset).limit(limit)
        with self._reading() as conn:
            if conn is None or limit == 0:
                return []
            return [_to_record(row) for row in conn.execute(stmt)]

    def iter_records(self, flt: NormalizedFilter) -> Iterator[DeadLetterRecord]:
        t = self.table
        stmt = self._select(flt, *[t.c[c] for c in _COLUMNS]).order_by(t.c.timestamp, self._insertion)
        with self._reading() as conn:
            if conn is None:
                return
            result = conn.execution_options(stream_results=True, yield_per=_CHUNK).execute(stmt)
            for row in result:
                yield _to_record(row)

    def get(self, ids: Iterable[str]) -> list[DeadLetterRecord]:
        wanted = list(dict.fromkeys(ids))
        found: dict[str, DeadLetterRecord] = {}
        t = self.table
        if not wanted:
            return []
        with self._reading() as conn:
            if conn is None:
                return []
            for start in range(0, len(wanted), _CHUNK):
                stmt = sa.select(*[t.c[c] for c in _COLUMNS]).where(
                    t.c.id.in_(wanted[start:start + _CHUNK]))
                for row in conn.execute(stmt):
                    found[row[0]] = _to_record(row)
        return [found[i] for i in wanted if i in found]

    def close(self) -> None:
        """Dispose an engine this backend created (a caller's engine is left alone)."""
        with self._lock:
            if self._engine is not None and (self._engine is not self._given_engine
                                             or self._owns_engine):
                self._engine.dispose()
                self._engine = None

    # -- filters -------------------------------------------------------------------------
    def _where(self, flt: NormalizedFilter) -> list[Any]:
        """WHERE conditions for a filter (values always bound, never interpolated)."""
        t = self.table
        parts: list[Any] = []
        if flt.pipeline is not None:
            parts.append(t.c.pipeline_name == flt.pipeline)
        if flt.run_id is not None:
            parts.append(t.c.run_id == flt.run_id)
        for col, values in (("reason", flt.reasons), ("stage", flt.stages),
                            ("status", flt.statuses)):
            if values is not None:
                parts.append(t.c[col].in_(values) if values else sa.false())
        if flt.time_from is not None:
            parts.append(t.c.timestamp >= flt.time_from)
        if flt.time_to is not None:
            parts.append(t.c.timestamp < flt.time_to)
        if flt.text is not None:
            parts.append(self._text_condition(flt.text))
        return parts

    def _text_condition(self, needle: str) -> Any:
        t = self.table
        if self.backend_kind == "sqlite":  # same Python matcher as the sqlite backend
            return sa.func.dlq_text(needle, t.c.error_message, t.c.record_data) == 1

        def has(col: Any) -> Any:
            lowered: Any = sa.func.lower(sa.func.coalesce(col, ""))
            return lowered.contains(needle, autoescape=True)

        return sa.or_(has(t.c.error_message), has(t.c.record_data))


def _row(r: DeadLetterRecord, now: str) -> dict[str, Any]:
    return {
        "id": r.id, "pipeline_name": r.pipeline_name, "run_id": r.run_id,
        "reason": r.reason.value, "stage": r.stage, "status": r.status.value,
        "timestamp": r.timestamp, "retry_count": r.retry_count, "error_type": r.error_type,
        "error_message": r.error_message, "record_data": dumps_data(r.record_data),
        "metadata": json.dumps(r.metadata, ensure_ascii=False, default=str),
        "created_at": now, "updated_at": now,
    }


def _to_record(row: Sequence[Any]) -> DeadLetterRecord:
    d = dict(zip(_COLUMNS, row, strict=True))
    return DeadLetterRecord.from_dict({
        **d,
        "record_data": json.loads(d["record_data"]) if d["record_data"] else None,
        "metadata": json.loads(d["metadata"]) if d["metadata"] else {},
    })


__all__ = ["DEFAULT_TABLE", "DatabaseBackend", "default_table_for", "define_table"]
