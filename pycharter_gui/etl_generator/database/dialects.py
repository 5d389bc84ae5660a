"""Every dialect difference in one place: upsert statements, clearing a table, identifier
quoting, value encoding and the column types used when a table is created.

Dialect names are SQLAlchemy backend names with MariaDB folded into ``mysql``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

UPSERT_DIALECTS = ("sqlite", "postgresql", "mysql")


def dialect_name(dialect: Dialect) -> str:
    """``sqlite``, ``postgresql``, ``mysql`` (MariaDB too), ``mssql``, ``oracle``..."""
    return "mysql" if dialect.name == "mariadb" else dialect.name


def effective_schema(backend: str, schema_name: str | None) -> str | None:
    """The schema to qualify tables with: SQLite ignores it, ``public`` means the default."""
    if not schema_name or backend == "sqlite":
        return None
    if backend != "postgresql" and schema_name == "public":
        return None  # templates default to ``public``; elsewhere that means "the default"
    return schema_name


def quoted_name(dialect: Dialect, table: str, schema: str | None = None) -> str:
    """The table name as the dialect quotes it, for messages and hand-written SQL."""
    prep = dialect.identifier_preparer
    name = prep.quote(table)
    return f"{prep.quote_schema(schema)}.{name}" if schema else name


def begin_write(conn: Connection) -> None:
    """Make sure a real transaction is open, so savepoints nest inside it.

    pysqlite in its legacy mode only emits BEGIN before DML; a SAVEPOINT issued first would
    become the transaction itself and its RELEASE would commit. An explicit BEGIN avoids it.
    """
    if dialect_name(conn.dialect) != "sqlite":
        return
    raw = conn.connection.driver_connection
    if raw is not None and not raw.in_transaction:
        conn.exec_driver_sql("BEGIN")


def clear_table(conn: Connection, table: sa.Table) -> None:
    """Remove every row (DELETE: transactional everywhere and allowed with foreign keys)."""
    conn.execute(sa.delete(table))


def fast_insert(conn: Connection, table: sa.Table, columns: Sequence[str],
                rows: Sequence[dict[str, Any]]) -> None:
    """Insert rows the fastest way the dialect offers: COPY on PostgreSQL with psycopg 3,
    else one executemany (SQLAlchemy's batched paths). Errors surface as SQLAlchemy errors."""
    if dialect_name(conn.dialect) == "postgresql" and conn.dialect.driver == "psycopg":
        _copy_rows(conn, table, columns, rows)
        return
    if (dialect_name(conn.dialect) == "mysql" and conn.dialect.driver == "pymysql"
            and not any(_is_json_type(table.c[c].type) for c in columns)):
        _pymysql_rows(conn, table, columns, rows)
        return
    conn.execute(sa.insert(table), list(rows))


def _pymysql_rows(conn: Connection, table: sa.Table, columns: Sequence[str],
                  rows: Sequence[dict[str, Any]]) -> None:
    """PyMySQL's own executemany, which sends multi-row INSERTs (3x SQLAlchemy's path for
    plain values; JSON columns keep the SQLAlchemy path, which serialises them)."""
    import pymysql

    prep = conn.dialect.identifier_preparer
    name = quoted_name(conn.dialect, table.name, table.schema)
    sql = (f"INSERT INTO {name} ({', '.join(prep.quote(c) for c in columns)}) "
           f"VALUES ({', '.join(['%s'] * len(columns))})")
    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur:
            cur.executemany(sql, [tuple(row[c] for c in columns) for row in rows])
    except pymysql.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, pymysql.Error) from exc


def _copy_rows(conn: Connection, table: sa.Table, columns: Sequence[str],
               rows: Sequence[dict[str, Any]]) -> None:
    import psycopg
    from psycopg.types.json import Jsonb

    prep = conn.dialect.identifier_preparer
    name = quoted_name(conn.dialect, table.name, table.schema)
    sql = f"COPY {name} ({', '.join(prep.quote(c) for c in columns)}) FROM STDIN"
    wrap = [(lambda v: Jsonb(v) if isinstance(v, (dict, list)) else v)
            if isinstance(table.c[c].type, sa.JSON) else None for c in columns]
    raw = conn.connection.driver_connection
    try:
        with raw.cursor() as cur, cur.copy(sql) as copy:
            for row in rows:
                copy.write_row([w(row[c]) if w else row[c]
                                for c, w in zip(columns, wrap, strict=True)])
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


def _is_json_type(col_type: sa.types.TypeEngine) -> bool:
    return isinstance(col_type, (sa.JSON, sa.ARRAY))


def _parse_temporal(kind: type, value: str) -> Any:
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    if kind is dt.datetime:
        return dt.datetime.fromisoformat(text)
    if kind is dt.date:
        return dt.datetime.fromisoformat(text).date() if len(text) > 10 else \
            dt.date.fromisoformat(text)
    return dt.time.fromisoformat(text)


def column_encoder(col_type: sa.types.TypeEngine) -> Any:
    """A function preparing one value for a column: JSON-encodes lists/dicts (unless the
    column is JSON/ARRAY) and parses ISO text for date/time columns."""
    json_col = _is_json_type(col_type)
    temporal = None
    try:
        py = col_type.python_type
    except NotImplementedError:
        py = None
    if py in (dt.datetime, dt.date, dt.time):
        temporal = py

    def encode(value: Any) -> Any:
        if isinstance(value, (dict, list, tuple)) and not json_col:
            return json.dumps(value, default=str, ensure_ascii=False)
        if temporal is not None and isinstance(value, str):
            try:
                return _parse_temporal(temporal, value)
            except ValueError:
                return value  # the database (or SQLAlchemy) reports the bad value
        return value

    return encode


def encoders_for(table: sa.Table) -> dict[str, Any]:
    """Encoders per column name of ``table``."""
    return {c.name: column_encoder(c.type) for c in table.columns}


# ---- type inference for create_table ---------------------------------------------------

def _type_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, (float, decimal.Decimal)):
        return "float"
    if isinstance(value, dt.datetime):
        return "datetime"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, (dict, list, tuple)):
        return "json"
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes"
    if isinstance(value, uuid.UUID):
        return "str"
    return "str"


_WIDEN = {frozenset({"int", "float"}): "float", frozenset({"date", "datetime"}): "datetime"}


def infer_column_types(records: Iterable[dict[str, Any]]) -> dict[str, str]:
    """Column name → inferred kind (int, float, bool, str, datetime, date, json, bytes)."""
    kinds: dict[str, str | None] = {}
    for rec in records:
        for key, value in rec.items():
            kind = _type_of(value)
            old = kinds.get(key)
            if key not in kinds or old is None:
                kinds[key] = kind
            elif kind is not None and kind != old:
                kinds[key] = _WIDEN.get(frozenset({old, kind}), "str")
    return {k: v or "str" for k, v in kinds.items()}


def sql_type(kind: str, backend: str, *, is_key: bool = False) -> sa.types.TypeEngine:
    """The column type used by ``create_table`` for an inferred kind."""
    if kind == "int":
        return sa.BigInteger()
    if kind == "float":
        return sa.Float(precision=53) if backend != "sqlite" else sa.Float()
    if kind == "bool":
        return sa.Boolean()
    if kind == "datetime":
        return sa.DateTime(timezone=backend == "postgresql")
    if kind == "date":
        return sa.Date()
    if kind == "bytes":
        return sa.LargeBinary()
    if kind == "json":
        return sa.JSON()
    if backend == "mysql":  # MySQL needs a length for indexed text and VARCHAR in general
        return sa.String(255) if is_key else sa.Text()
    return sa.Text()


_JSON_SCHEMA_KINDS = {"integer": "int", "number": "float", "boolean": "bool",
                      "object": "json", "array": "json", "string": "str"}
_STRING_FORMATS = {"date-time": "datetime", "date": "date"}


def contract_column_kinds(json_schema: dict[str, Any] | None) -> dict[str, str]:
    """Column kinds declared by a contract's JSON Schema ``properties`` (declared order)."""
    props = (json_schema or {}).get("properties") if isinstance(json_schema, dict) else None
    kinds: dict[str, str] = {}
    for name, spec in (props or {}).items():
        if not isinstance(spec, dict):
            continue
        types = spec.get("type")
        types = [t for t in (types if isinstance(types, list) else [types]) if t and t != "null"]
        if len(types) != 1 or types[0] not in _JSON_SCHEMA_KINDS:
            continue  # no single declared type: the records decide
        kind = _JSON_SCHEMA_KINDS[types[0]]
        if kind == "str":
            kind = _STRING_FORMATS.get(str(spec.get("format")), "str")
        kinds[str(name)] = kind
    return kinds


def build_table(name: str, schema: str | None, records: Sequence[dict[str, Any]],
                primary_key: Sequence[str], backend: str,
                contract_schema: dict[str, Any] | None = None) -> sa.Table:
    """A Table definition inferred from records (union of keys, first-seen order); columns a
    contract schema declares take its types, and its columns missing from the records (an
    optional field absent from the first batch) are added after them."""
    kinds = infer_column_types(records)
    declared = contract_column_kinds(contract_schema)
    kinds = {**{c: declared.get(c, k) for c, k in kinds.items()},
             **{c: k for c, k in declared.items() if c not in kinds}}
    cols = [sa.Column(c, sql_type(k, backend, is_key=c in primary_key),
                      primary_key=c in primary_key, nullable=c not in primary_key,
                      autoincrement=False)
            for c, k in kinds.items()]
    table = sa.Table(name, sa.MetaData(), *cols, schema=schema)
    table.info["backend"] = backend
    return table


__all__ = [
    "UPSERT_DIALECTS",
    "begin_write",
    "build_table",
    "can_stage_upsert",
    "clear_table",
    "column_encoder",
    "contract_column_kinds",
    "dialect_name",
    "effective_schema",
    "encoders_for",
    "fast_insert",
    "infer_column_types",
    "quoted_name",
    "sql_type",
    "stage_upsert",
    "upsert_statement",
]
