"""SQL sources: a table or a query with bound parameters, streamed batch by batch.

Rows are fetched from a server-side cursor (``stream_results`` / ``yield_per``) so a large
table never sits in memory. The engine, connection and cursor live on one dedicated worker
thread per extraction, because a DBAPI connection (SQLite's especially) must stay on the
thread that opened it. Values come back as the driver returns them, except ``Decimal`` →
``float`` (numbers stay numbers for transforms and JSON/Parquet writers; NUMERIC beyond double
precision loses digits), ``UUID`` → ``str`` and ``memoryview`` → ``bytes``.

Incremental extraction: ``incremental: {column, initial, last_value}`` reads only rows with
``column > last_value`` (or ``initial`` on the first run), ordered by the column; after the
run ``extractor.watermark`` holds the largest value yielded, which the orchestrator stores in
``.pycharter/state.json`` (see ``database.watermark``) and passes back as ``last_value``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import decimal
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, NoSuchTableError, StatementError

from ..database.connect import (
    backend_name,
    classify_db_error,
    create_engine,
    mask_url,
    parse_url,
    sqlite_path,
)
from ..database.dialects import effective_schema
from ..database.ssh_tunnel import open_ssh_tunnel
from ..database.watermark import decode_watermark, start_watermark, substitute_watermark
from ..errors import ConfigError, ConfigProblem, FatalSourceError, RetriableSourceError
from .base import BaseExtractor, ExtractRequest

T = TypeVar("T")
_WATERMARK = "_pycharter_watermark"


def _convert(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


class DatabaseExtractor(BaseExtractor):
    """Reads rows from a SQL database through SQLAlchemy."""

    source_type = "database"

    def __init__(self) -> None:
        self.watermark: Any = None

    def validate_config(self, extract_config: dict[str, Any]) -> None:
        """URL must parse; exactly one of ``query`` and ``table`` is required."""
        problems: list[ConfigProblem] = []
        try:
            parse_url(extract_config.get("url") or "", file="extract.yaml")
        except ConfigError as exc:
            problems += exc.problems
        if not (extract_config.get("query") or extract_config.get("table")):
            problems.append(ConfigProblem(file="extract.yaml", key="query",
                                          message="a database source needs a query or a table",
                                          hint="query: SELECT ... WHERE day = :day"))
        inc = extract_config.get("incremental")
        if inc is not None and not (isinstance(inc, dict) and inc.get("column")):
            problems.append(ConfigProblem(file="extract.yaml", key="incremental.column",
                                          message="incremental extraction needs a column"))
        if problems:
            raise ConfigError(problems)

    def describe(self, extract_config: dict[str, Any]) -> str:
        where = mask_url(extract_config.get("url") or "")
        if extract_config.get("table"):
            return f"table '{extract_config['table']}' in {where}"
        return f"query on {where}"

    def build_statement(self, extract_config: dict[str, Any],
                        backend: str) -> sa.TextClause | sa.Select:
        """The SELECT to run: the query as ``text()`` or ``SELECT *`` from the quoted table."""
        inc = extract_config.get("incremental") or None
        table = extract_config.get("table")
        if table:
            schema = effective_schema(backend, extract_config.get("schema_name"))
            source: Any = sa.table(str(table), schema=schema)
            if not inc:
                return sa.select(sa.text("*")).select_from(source)
        else:
            query = str(extract_config["query"]).strip().rstrip(";")
            if not inc:
                return sa.text(query)
            source = sa.text(query).columns().subquery("_src")
        col = sa.column(str(inc["column"]))
        stmt = sa.select(sa.text("*")).select_from(source)
        if self.watermark is not None:
            stmt = stmt.where(col > sa.bindparam(_WATERMARK, type_=_bind_type(self.watermark)))
        return stmt.order_by(col)

    async def _stream(self, request: ExtractRequest) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of row dicts keyed by column label."""
        cfg, params = request.extract_config, request.params
        self.validate_config(cfg)
        batch_size = request.batch_size_for(cfg)
        max_records = request.max_records_for(cfg)
        url = parse_url(cfg["url"], file="extract.yaml")
        inc = cfg.get("incremental") or None
        if inc:
            last = decode_watermark(inc.get("last_value"))
            self.watermark = last if last is not None else _initial(inc.get("initial"))
            cfg, params = (substitute_watermark(x, start_watermark(inc)) for x in (cfg, params))
        stmt = self.build_statement(cfg, backend_name(url))
        binds = {**(cfg.get("params") or {}), **(cfg.get("query_params") or {}), **(params or {})}
        if self.watermark is not None:
            binds[_WATERMARK] = self.watermark
        wanted = set(stmt.compile().params)  # bind names used by the statement
        missing = sorted(n for n in wanted if n not in binds)
        if missing:
            raise FatalSourceError(
                "The query uses parameter(s) " + ", ".join(f":{n}" for n in missing)
                + " with no value (extract.yaml 'query'); add them to query_params or pass "
                "them as run parameters.", source=mask_url(url))
        # A whole table is read in primary-key order, so a resumed run skips the very rows the
        # killed run had loaded (SELECT * alone has no guaranteed order).
        table = cfg.get("table")
        key_order = ((str(table), effective_schema(backend_name(url), cfg.get("schema_name")))
                     if table and not inc else None)
        masked = mask_url(url)
        tunnel = await open_ssh_tunnel(
            cfg, url, file="extract.yaml", fatal=lambda m: FatalSourceError(m, source=masked),
            transient=lambda m: RetriableSourceError(m, source=masked))
        cursor = _Cursor(url, stmt, {k: v for k, v in binds.items() if k in wanted},
                         batch_size, inc["column"] if inc else None, key_order,
                         via=tunnel.url if tunnel else None)
        sent = 0
        try:
            await cursor.call(cursor.open)
            while max_records is None or sent < max_records:
                rows = await cursor.call(cursor.fetch)
                if not rows:
                    break
                if max_records is not None:
                    rows = rows[: max_records - sent]
                sent += len(rows)
                if cursor.watermark_column:
                    self._advance(rows, cursor.watermark_column)
                yield rows
        finally:
            try:
                await cursor.aclose()
            finally:
                if tunnel is not None:
                    await tunnel.close()


    def _advance(self, rows: list[dict[str, Any]], column: str) -> None:
        """Raise the watermark to the largest value of ``column`` among the yielded rows."""
        values = [r[column] for r in rows if r.get(column) is not None]
        if not values:
            return
        top = max(values)
        try:
            self.watermark = top if self.watermark is None else max(self.watermark, top)
        except TypeError:  # initial given as text, rows typed: trust the database's order
            self.watermark = top


def _initial(value: Any) -> Any:
    """``initial`` from YAML: ISO date/time text becomes a datetime, so it binds as one."""
    value = decode_watermark(value)
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-":
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def _bind_type(value: Any) -> Any:
    """The SQL type to bind a watermark with (drivers then convert it natively)."""
    if isinstance(value, dt.datetime):
        return sa.DateTime(timezone=value.tzinfo is not None)
    for kind, sql in ((dt.date, sa.Date()), (dt.time, sa.Time()), (bool, sa.Boolean()),
                      (int, sa.BigInteger()), (float, sa.Float()),
                      (decimal.Decimal, sa.Numeric())):
        if isinstance(value, kind):
            return sql
    return None


class _Cursor:
    """Engine, connection and result owned by one worker thread."""

    def __init__(self, url: sa.URL, stmt: Any, binds: dict[str, Any], batch_size: int,
                 watermark_column: str | None,
                 key_order: tuple[str, str | None] | None = None,
                 via: sa.URL | None = None) -> None:
        self.url = url
        self.via = via  # the URL through an SSH tunnel (errors still name ``url``)
        self.key_order = key_order
        self.masked = mask_url(url)
        self.stmt = stmt
        self.binds = binds
        self.batch_size = batch_size
        self.watermark_column = watermark_column
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="pycharter-db-extract")
        self._engine: sa.Engine | None = None
        self._conn: sa.Connection | None = None
        self._result: Any = None
        self._keys: list[str] = []

    async def call(self, fn: Callable[[], T]) -> T:
        return await asyncio.wrap_future(self._executor.submit(fn))

    def open(self) -> None:
        path = sqlite_path(self.url)
        if path is not None and not path.exists():
            raise FatalSourceError(f"SQLite database file not found: {path} "
                                   "(extract.yaml 'url')", source=self.masked)
        self._engine = create_engine(self.via or self.url, key="url", file="extract.yaml",
                                     poolclass=sa.pool.NullPool)
        try:
            self._conn = self._engine.connect()
        except DBAPIError as exc:
            raise self._error(exc, "Cannot connect to", "url") from exc
        if self.key_order is not None:
            self.stmt = self._ordered_by_key(self.stmt, *self.key_order)
        try:
            self._result = self._conn.execution_options(
                stream_results=True, yield_per=self.batch_size).execute(self.stmt, self.binds)
        except DBAPIError as exc:
            raise self._error(exc, "The query failed on", "query") from exc
        except StatementError as exc:
            raise FatalSourceError(f"The query failed on {self.masked} (extract.yaml "
                                   f"'query'): {exc}", source=self.masked) from exc
        self._keys = list(self._result.keys())

    def _ordered_by_key(self, stmt: Any, table: str, schema: str | None) -> Any:
        assert self._conn is not None
        try:
            key = sa.inspect(self._conn).get_pk_constraint(table, schema=schema)
        except (NoSuchTableError, DBAPIError):
            return stmt  # the query itself then reports the missing table clearly
        columns = key.get("constrained_columns") or []
        return stmt.order_by(*(sa.column(c) for c in columns)) if columns else stmt

    def fetch(self) -> list[dict[str, Any]]:
        try:
            rows = self._result.fetchmany(self.batch_size)
        except DBAPIError as exc:
            raise self._error(exc, "Reading rows failed from", "query") from exc
        keys = self._keys
        return [{k: _convert(v) for k, v in zip(keys, row, strict=False)} for row in rows]

    def _error(self, exc: DBAPIError, what: str, key: str) -> Exception:
        problem = classify_db_error(exc)
        cls = RetriableSourceError if problem.retriable else FatalSourceError
        if problem.kind in ("unreachable", "auth_failed", "database_missing", "timeout"):
            key = "url"
        return cls(f"{what} {self.masked} (extract.yaml '{key}'): {problem.message}",
                   source=self.masked)

    def _close(self) -> None:
        for closer in (getattr(self._result, "close", None),
                       getattr(self._conn, "close", None),
                       getattr(self._engine, "dispose", None)):
            if closer is not None:
                try:
                    closer()
                except Exception:  # closing after a failure must not mask it
                    continue

    async def aclose(self) -> None:
        try:
            await asyncio.shield(self.call(self._close))
        finally:
            self._executor.shutdown(wait=False)


__all__ = ["DatabaseExtractor"]
