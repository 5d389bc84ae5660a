"""Dialect differences outside the bulk write paths: names, identifier quoting, clearing a
table, value encoding and the column types used when a table is created (the ways a batch's
rows reach the database are in ``bulk_writes``).

Dialect names are SQLAlchemy backend names with MariaDB folded into ``mysql``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from collections.abc import Iterable
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


def is_json_type(col_type: sa.types.TypeEngine) -> bool:
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
    json_col = is_json_type(col_type)
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


__all__ = [
    "UPSERT_DIALECTS",
    "begin_write",
    "clear_table",
    "column_encoder",
    "dialect_name",
    "effective_schema",
    "encoders_for",
    "infer_column_types",
    "is_json_type",
    "quoted_name",
    "sql_type",
]
