"""The target table of a load: its description, reflection, and its definition when the load
creates it (types from the records, or from the data contract where it declares them)."""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, NoSuchTableError

from ..errors import LoadError
from .connect import classify_db_error, mask_url
from .dialects import infer_column_types, sql_type


def describe_target(table: str, schema: str | None, url: str) -> str:
    """``table "x" in sqlite:///…`` with the password masked."""
    name = f"{schema}.{table}" if schema else table
    return f"table '{name}' in {mask_url(url)}"


def reflect_table(conn: Connection, table: str, schema: str | None, backend: str,
                  target: str) -> sa.Table | None:
    """The target table (reflected once per run), or None when it does not exist."""
    try:
        reflected = sa.Table(table, sa.MetaData(), autoload_with=conn, schema=schema)
    except NoSuchTableError:
        return None
    except DBAPIError as exc:
        raise LoadError(f"Cannot read the definition of {target}: "
                        f"{classify_db_error(exc).message}", target=target) from exc
    reflected.info["backend"] = backend
    return reflected


def missing_table_error(target: str) -> LoadError:
    return LoadError(
        f"The target {target} does not exist. Create it first, or set create_table: true in "
        "load.yaml to create it from the records.", target=target)


def type_samples(records: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Few records that infer the same column types as ``records`` (one value per distinct
    Python type per column; type inference depends only on the set of types and key order).

    Used when every record has the same keys in the same order; otherwise ``records``."""
    if not records:
        return records
    keys = tuple(records[0])
    if any(tuple(r) != keys for r in records):
        return records
    return column_samples(keys, [list(map(itemgetter(key), records)) for key in keys])


def column_samples(names: Sequence[str], columns: Sequence[Sequence[Any]]
                   ) -> list[dict[str, Any]]:
    """``type_samples`` of a batch held column by column (no record is built)."""
    samples: dict[str, list[Any]] = {}
    for key, values in zip(names, columns, strict=True):
        kinds = set(map(type, values)) - {type(None)}
        samples[key] = [next(v for v in values if type(v) is kind) for kind in kinds]
    depth = max((len(v) for v in samples.values()), default=0)
    return [{k: (v[i] if i < len(v) else None) for k, v in samples.items()}
            for i in range(max(depth, 1))]


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


def contract_columns(json_schema: dict[str, Any] | None) -> dict[str, str]:
    """Every column a contract's JSON Schema ``properties`` names, in declared order: its
    declared kind, or ``str`` where it declares no single type (no records to decide)."""
    props = (json_schema or {}).get("properties") if isinstance(json_schema, dict) else None
    declared = contract_column_kinds(json_schema)
    return {str(name): declared.get(str(name), "str") for name in (props or {})}


def arrow_column_kinds(arrow_schema: Any) -> dict[str, str]:
    """Column kinds of a ``pyarrow.Schema`` (a batch's columns, e.g. one filtered empty)."""
    import pyarrow.types as pt

    def kind(t: Any) -> str:
        if pt.is_dictionary(t):
            t = t.value_type
        checks = ((pt.is_boolean, "bool"), (pt.is_integer, "int"), (pt.is_floating, "float"),
                  (pt.is_decimal, "float"), (pt.is_timestamp, "datetime"), (pt.is_date, "date"),
                  (pt.is_binary, "bytes"), (pt.is_large_binary, "bytes"),
                  (pt.is_fixed_size_binary, "bytes"), (pt.is_nested, "json"))
        return next((k for check, k in checks if check(t)), "str")

    return {f.name: kind(f.type) for f in arrow_schema}


def build_table(name: str, schema: str | None, records: Sequence[dict[str, Any]],
                primary_key: Sequence[str], backend: str,
                contract_schema: dict[str, Any] | None = None,
                known: dict[str, str] | None = None) -> sa.Table:
    """A Table definition inferred from records (union of keys, first-seen order); columns a
    contract schema declares take its types, and its columns missing from the records (an
    optional field absent from the first batch) are added after them. ``known`` (column →
    kind) stands in for the records when there are none."""
    kinds = infer_column_types(records) or dict(known or {})
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
    "arrow_column_kinds",
    "build_table",
    "column_samples",
    "contract_column_kinds",
    "contract_columns",
    "describe_target",
    "missing_table_error",
    "reflect_table",
    "type_samples",
]
