"""How a batch's rows reach the database fastest, per dialect and driver: PostgreSQL's COPY,
sqlite3's and PyMySQL's own executemany of positional rows, upserts through a stage table, and
the dialect's upsert statement for the general path. Every driver error becomes a SQLAlchemy
error, so the writer isolates rejected rows the same way whatever path ran."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, overload

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .dialects import dialect_name, is_json_type, quoted_name


def fast_insert(conn: Connection, table: sa.Table, columns: Sequence[str],
                rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows the fastest way the dialect offers: COPY on PostgreSQL with psycopg 3,
    else one executemany (SQLAlchemy's batched paths). Errors surface as SQLAlchemy errors."""
    if dialect_name(conn.dialect) == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_rows(conn, table, columns, rows)
        return
    if (dialect_name(conn.dialect) == "mysql" and conn.dialect.driver == "pymysql"
            and not any(is_json_type(table.c[c].type) for c in columns)):
        _pymysql_rows(conn, table, columns, rows)
        return
    conn.execute(sa.insert(table), list(rows))


def _pymysql_rows(conn: Connection, table: sa.Table, columns: Sequence[str],
                  rows: Sequence[dict[str, Any]]) -> None:
    """PyMySQL's own executemany, which sends multi-row INSERTs (3x SQLAlchemy's path for
    plain values; JSON columns keep the SQLAlchemy path, which serialises them)."""
    raw_insert(conn, raw_insert_sql(conn, table, columns),
               [tuple(row[c] for c in columns) for row in rows])


def _copy_rows(conn: Connection, table: sa.Table, columns: Sequence[str],
               rows: Sequence[dict[str, Any]]) -> None:
    from psycopg.types.json import Jsonb

    wrap = [(lambda v: Jsonb(v) if isinstance(v, (dict, list)) else v)
            if isinstance(table.c[c].type, sa.JSON) else None for c in columns]
    raw_insert(conn, raw_insert_sql(conn, table, columns),
               ([w(row[c]) if w else row[c] for c, w in zip(columns, wrap, strict=True)]
                for row in rows))


# ---- positional rows straight to the driver (sqlite3/PyMySQL executemany, psycopg COPY) -----
def can_raw_insert(conn: Connection, table: sa.Table, columns: Sequence[str]) -> bool:
    """True when plain positional rows can go to the driver itself: sqlite3's executemany,
    PyMySQL's multi-row executemany, or PostgreSQL's COPY with psycopg 3 (not for JSON
    columns, which need wrapping)."""
    name = dialect_name(conn.dialect)
    if name == "sqlite":
        return isinstance(conn.connection.driver_connection, sqlite3.Connection)
    if name == "mysql":  # JSON and binary columns keep the encoded rows (as before this path)
        return (conn.dialect.driver == "pymysql"
                and not any(is_json_type(table.c[c].type) or _is_binary_type(table.c[c].type)
                            for c in columns))
    return (name == "postgresql" and conn.dialect.driver == "psycopg"
            and not any(isinstance(table.c[c].type, sa.JSON) for c in columns))


def raw_insert_sql(conn: Connection, table: sa.Table, columns: Sequence[str]) -> str:
    """The statement ``raw_insert`` runs: ``INSERT ... VALUES (?, ...)`` or ``COPY ... FROM STDIN``."""
    prep = conn.dialect.identifier_preparer
    name = quoted_name(conn.dialect, table.name, table.schema)
    cols = ", ".join(prep.quote(c) for c in columns)
    if dialect_name(conn.dialect) == "sqlite":
        return f"INSERT INTO {name} ({cols}) VALUES ({', '.join('?' * len(columns))})"
    if dialect_name(conn.dialect) == "mysql":
        return f"INSERT INTO {name} ({cols}) VALUES ({', '.join(['%s'] * len(columns))})"
    return f"COPY {name} ({cols}) FROM STDIN"


class ColumnRows(Sequence[tuple[Any, ...]]):
    """Positional rows held as columns: each row is made while the driver takes it. sqlite3's
    executemany then reuses one tuple for every row (zip recycles a tuple nobody kept) instead
    of a list of 50k tuples built, kept and freed per batch (1M rows -> SQLite: ~0.3 s of
    GIL-held work less; benchmarks/README.md, session 13)."""

    def __init__(self, columns: list[list[Any]]) -> None:
        self.columns = columns
        self._len = len(columns[0]) if columns else 0
        if any(len(c) != self._len for c in columns):
            raise ValueError("columns of different lengths")

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return zip(*self.columns)  # noqa: B905 - lengths checked once, above

    @overload
    def __getitem__(self, index: int) -> tuple[Any, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> ColumnRows: ...

    def __getitem__(self, index: int | slice) -> tuple[Any, ...] | ColumnRows:
        if isinstance(index, slice):
            return ColumnRows([c[index] for c in self.columns])
        return tuple(c[index] for c in self.columns)


def raw_insert(conn: Connection, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """Send positional ``rows`` with the driver itself; its errors become SQLAlchemy errors."""
    if not sql.startswith("COPY"):  # sqlite3 or PyMySQL (multi-row INSERTs): executemany
        _driver_execute(conn, sql, rows if isinstance(rows, list | ColumnRows) else list(rows))
        return
    raw = conn.connection.driver_connection
    import psycopg

    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def can_stage_upsert(conn: Connection, rows: Sequence[dict[str, Any]],
                     primary_key: Sequence[str]) -> bool:
    """True when ``stage_upsert`` applies: PostgreSQL with psycopg 3 and no key twice in the
    rows (ON CONFLICT DO UPDATE may not touch a row twice in one statement)."""
    if dialect_name(conn.dialect) != "postgresql" or conn.dialect.driver != "psycopg":
        return False
    try:
        keys = {tuple(row.get(k) for k in primary_key) for row in rows}
    except TypeError:  # an unhashable key value: let the general path judge it
        return False
    return len(keys) == len(rows)


def stage_upsert(conn: Connection, table: sa.Table, columns: Sequence[str],
                 rows: Sequence[dict[str, Any]], primary_key: Sequence[str],
                 update_columns: Sequence[str] | None) -> tuple[int, int]:
    """PostgreSQL upsert at COPY speed: COPY the rows into a temporary stage table (column
    types only, no constraints), then one ``INSERT ... SELECT ... ON CONFLICT``. Returns
    (inserted, updated) from ``xmax = 0`` (exact here: the rows have no duplicate keys).

    A row-by-row executemany of ``INSERT ... ON CONFLICT`` costs one server round of
    planning and execution per row (~30k rows/s); this costs one statement per batch.
    """
    prep = conn.dialect.identifier_preparer
    digest = hashlib.sha1("\0".join(columns).encode()).hexdigest()[:12]
    stage_name = f"pycharter_stage_{digest}"
    cols = ", ".join(prep.quote(c) for c in columns)
    target = quoted_name(conn.dialect, table.name, table.schema)
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {prep.quote(stage_name)} "
                         f"ON COMMIT DROP AS SELECT {cols} FROM {target} WITH NO DATA")
    conn.exec_driver_sql(f"TRUNCATE {prep.quote(stage_name)}")
    stage = sa.Table(stage_name, sa.MetaData(),
                     *[sa.Column(c, table.c[c].type) for c in columns])
    _copy_rows(conn, stage, columns, rows)
    updates = [c for c in (update_columns or columns) if c in columns and c not in primary_key]
    conflict = f"ON CONFLICT ({', '.join(prep.quote(k) for k in primary_key)}) "
    if updates:
        conflict += "DO UPDATE SET " + ", ".join(
            f"{prep.quote(c)} = EXCLUDED.{prep.quote(c)}" for c in updates)
    else:
        conflict += "DO NOTHING"
    sql = (f"WITH ins AS (INSERT INTO {target} ({cols}) SELECT {cols} FROM "
           f"{prep.quote(stage_name)} {conflict} RETURNING (xmax = 0) AS fresh) "
           "SELECT count(*) FILTER (WHERE fresh) FROM ins")
    fresh = int(conn.exec_driver_sql(sql).one()[0])
    return fresh, len(rows) - fresh  # existing keys count as updated, as on other dialects


def can_raw_upsert(conn: Connection) -> bool:
    """True when ``raw_stage_upsert`` applies: SQLite through the stdlib driver, or MariaDB /
    MySQL through PyMySQL."""
    name = dialect_name(conn.dialect)
    if name == "sqlite":
        return isinstance(conn.connection.driver_connection, sqlite3.Connection)
    return name == "mysql" and conn.dialect.driver == "pymysql"


def raw_stage_upsert(conn: Connection, table: sa.Table, columns: Sequence[str],
                     rows: Sequence[Sequence[Any]], primary_key: Sequence[str],
                     update_columns: Sequence[str] | None) -> tuple[int, int]:
    """Upsert at executemany speed: the positional ``rows`` (bind-processed, no key twice, no
    null key) go into a temporary stage table by the driver's own executemany, then one
    ``INSERT ... SELECT`` that updates on a key conflict. Returns (inserted, updated): rows
    whose key the target already held count as updated, as on the other paths.

    SQLite's stage has no column types (values kept as bound, so the target's column affinity
    applies exactly as on a direct insert); MySQL's has the target's types. SQLAlchemy's
    executemany of the upsert statement with a key lookup per 500 rows ran at 0.26x (SQLite)
    and 0.41x (MariaDB) a plain executemany (benchmarks/db_load.py)."""
    prep = conn.dialect.identifier_preparer
    target = quoted_name(conn.dialect, table.name, table.schema)
    digest = hashlib.sha1("\0".join([target, *columns]).encode()).hexdigest()[:12]
    stage = prep.quote(f"pycharter_stage_{digest}")
    cols = ", ".join(prep.quote(c) for c in columns)
    on = " AND ".join(f"s.{prep.quote(k)} = t.{prep.quote(k)}" for k in primary_key)
    updates = [c for c in (update_columns or columns) if c in columns and c not in primary_key]
    if dialect_name(conn.dialect) == "sqlite":
        create = f"CREATE TEMP TABLE IF NOT EXISTS {stage} ({cols})"
        marks = ", ".join("?" * len(columns))
        conflict = f"ON CONFLICT ({', '.join(prep.quote(k) for k in primary_key)}) "
        conflict += ("DO UPDATE SET " + ", ".join(
            f"{prep.quote(c)} = excluded.{prep.quote(c)}" for c in updates)) if updates \
            else "DO NOTHING"
        # "WHERE true": SQLite's parser needs it before ON CONFLICT after a SELECT
        upsert = f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} WHERE true {conflict}"
    else:
        # A temporary table outlives the batch on a pooled connection: made again each time,
        # so its types are the target's now (a kept one converted values to old types).
        _driver_execute(conn, f"DROP TEMPORARY TABLE IF EXISTS {stage}")
        create = f"CREATE TEMPORARY TABLE {stage} AS SELECT {cols} FROM {target} WHERE 1 = 0"
        marks = ", ".join(["%s"] * len(columns))
        upsert = (f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {stage} AS s "
                  "ON DUPLICATE KEY UPDATE " + ", ".join(
                      f"{prep.quote(c)} = s.{prep.quote(c)}"
                      for c in updates or list(primary_key)[:1]))
    _driver_execute(conn, create)
    _driver_execute(conn, f"DELETE FROM {stage}")
    _driver_execute(conn, f"INSERT INTO {stage} ({cols}) VALUES ({marks})", rows)
    existing = int(_driver_execute(
        conn, f"SELECT count(*) FROM {stage} AS s JOIN {target} AS t ON {on}")[0][0])
    _driver_execute(conn, upsert)
    _driver_execute(conn, f"DELETE FROM {stage}")
    return len(rows) - existing, existing


def _driver_execute(conn: Connection, sql: str, rows: Sequence[Sequence[Any]] | None = None
                    ) -> list[Any]:
    """Run ``sql`` with the driver itself (sqlite3 or PyMySQL), as an executemany of ``rows``
    when given; returns the rows fetched. Driver errors become SQLAlchemy errors."""
    raw = conn.connection.driver_connection
    if isinstance(raw, sqlite3.Connection):
        error: type[Exception] = sqlite3.Error
    else:
        import pymysql

        error = pymysql.Error
    try:
        cursor = raw.cursor()
        try:
            if rows is not None:
                lazy = isinstance(raw, sqlite3.Connection) and isinstance(rows, ColumnRows)
                cursor.executemany(sql, rows if lazy or isinstance(rows, list) else list(rows))
                return []
            cursor.execute(sql)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()
    except error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, error) from exc


def upsert_statement(table: sa.Table, columns: Sequence[str], primary_key: Sequence[str],
                     update_columns: Sequence[str] | None) -> Any:
    """INSERT that updates on a key conflict; columns not supplied keep their values."""
    backend = dialect_name_of_table(table)
    updates = [c for c in (update_columns or columns) if c in columns and c not in primary_key]
    if backend in ("sqlite", "postgresql"):
        if backend == "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        else:
            from sqlalchemy.dialects.postgresql import insert
        stmt = insert(table)
        if not updates:
            return stmt.on_conflict_do_nothing(index_elements=list(primary_key))
        return stmt.on_conflict_do_update(
            index_elements=list(primary_key), set_={c: stmt.excluded[c] for c in updates})
    if backend == "mysql":
        from sqlalchemy.dialects.mysql import insert

        stmt = insert(table)
        targets = updates or list(primary_key)[:1]
        return stmt.on_duplicate_key_update({c: stmt.inserted[c] for c in targets})
    from ..errors import NotAvailableError

    raise NotAvailableError(
        f"upsert is not available for {backend} databases; use insert, replace or update.")


def dialect_name_of_table(table: sa.Table) -> str:
    bind = table.info.get("backend")
    if not bind:
        raise RuntimeError("table.info['backend'] must be set by the loader")
    return str(bind)


def _is_binary_type(col_type: sa.types.TypeEngine) -> bool:
    try:
        return col_type.python_type is bytes
    except NotImplementedError:
        return False


__all__ = [
    "ColumnRows",
    "can_raw_insert",
    "can_raw_upsert",
    "can_stage_upsert",
    "fast_insert",
    "raw_insert",
    "raw_insert_sql",
    "raw_stage_upsert",
    "stage_upsert",
    "upsert_statement",
]
