"""Turning record batches into bytes (CSV, JSON, JSON Lines) or Arrow tables (Parquet).

Rules of config-format §5.3: JSON ``indent=2, default=str``; JSON Lines one object per line;
CSV header = union of the keys in first-seen order, ``None`` -> empty, other values via
``str()``, lists/dicts as JSON text. Each serialiser returns the records it could not encode as
``{index: message}`` instead of failing the batch.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from itertools import chain
from operator import itemgetter
from typing import Any

import pyarrow as pa

Rejects = dict[int, str]


def is_uniform(records: list[dict[str, Any]]) -> bool:
    """True when every record has exactly the keys of the first (checked at C speed)."""
    if not records:
        return True
    n = len(records[0])
    return sum(map(len, records)) == n * len(records) and len(set().union(*records)) == n


def union_keys(records: list[dict[str, Any]]) -> list[str]:
    """All keys of ``records`` in first-seen order."""
    if not records:
        return []
    if is_uniform(records):
        return list(records[0])
    return list(dict.fromkeys(chain.from_iterable(records)))


def _columns(records: list[dict[str, Any]], keys: list[str]) -> list[list[Any]]:
    if records and is_uniform(records) and len(keys) == len(records[0]):
        return [list(map(itemgetter(k), records)) for k in keys]
    return [[r.get(k) for r in records] for k in keys]


def _json_text(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, default=str)
    return value


# -- CSV ---------------------------------------------------------------------------------
def csv_rows(records: list[dict[str, Any]], keys: list[str]) -> Iterable[tuple[Any, ...]]:
    """Rows in ``keys`` order with lists/dicts turned into JSON text."""
    cols = _columns(records, keys)
    for i, col in enumerate(cols):
        types = set(map(type, col))
        if list in types or dict in types:
            cols[i] = [_json_text(v) for v in col]
    return zip(*cols, strict=True) if cols else ((),) * len(records)


def csv_text(rows: Iterable[Iterable[Any]], delimiter: str = ",", quotechar: str = '"') -> str:
    """CSV text (CRLF line ends, minimal quoting, as ``csv.DictWriter`` writes)."""
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, quotechar=quotechar).writerows(rows)
    return buf.getvalue()


def _encode_failure(record: dict[str, Any], encoding: str) -> str:
    for key, value in record.items():
        text = "" if value is None else str(_json_text(value))
        try:
            (str(key) + text).encode(encoding)
        except UnicodeEncodeError as exc:
            return (f"field '{key}': {text[exc.start:exc.end]!r} cannot be written in the "
                    f"{encoding} encoding (set csv_options.encoding, e.g. utf-8)")
    return f"the record cannot be written in the {encoding} encoding"


def csv_body(records: list[dict[str, Any]], keys: list[str], *, delimiter: str = ",",
             encoding: str = "utf-8", quotechar: str = '"') -> tuple[bytes, Rejects]:
    """Encoded CSV rows (no header) for ``records`` in ``keys`` order."""
    text = csv_text(csv_rows(records, keys), delimiter, quotechar)
    try:
        return text.encode(encoding), {}
    except UnicodeEncodeError:
        pass
    rejects: Rejects = {}
    parts: list[bytes] = []
    for i, rec in enumerate(records):
        try:
            parts.append(csv_text(csv_rows([rec], keys), delimiter, quotechar).encode(encoding))
        except UnicodeEncodeError:
            rejects[i] = _encode_failure(rec, encoding)
    return b"".join(parts), rejects


def csv_part_of_columns(table: pa.Table, *, delimiter: str = ",", encoding: str = "utf-8",
                        quotechar: str = '"') -> bytes | None:
    """A file loader CSV part (JSON header line + rows) straight from a table of plain columns
    (the columnar fast path): the bytes ``csv_body`` gives for ``table.to_pylist()``; None
    when a value cannot be encoded (then the records are serialised to find the rejects)."""
    keys = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(len(keys))]
    try:
        body = csv_text(zip(*columns, strict=True), delimiter, quotechar).encode(encoding)
    except UnicodeEncodeError:
        return None
    return json.dumps(keys).encode("ascii") + b"\n" + body


# -- JSON / JSON Lines ----------------------------------------------------------------------
def _dump_each(records: list[dict[str, Any]], **kw: Any) -> tuple[list[str], Rejects]:
    out: list[str] = []
    rejects: Rejects = {}
    for i, rec in enumerate(records):
        try:
            out.append(json.dumps(rec, default=str, **kw))
        except (TypeError, ValueError, RecursionError) as exc:
            rejects[i] = f"cannot be written as JSON: {exc}"
    return out, rejects


def jsonl_body(records: list[dict[str, Any]]) -> tuple[bytes, Rejects]:
    """One ``json.dumps(record, default=str)`` per line."""
    try:
        lines = list(map(_dumps_default_str, records))
        rejects: Rejects = {}
    except (TypeError, ValueError, RecursionError):
        lines, rejects = _dump_each(records)
    return ("".join(line + "\n" for line in lines)).encode("utf-8"), rejects


def _dumps_default_str(record: dict[str, Any]) -> str:
    return json.dumps(record, default=str)


def json_items(records: list[dict[str, Any]]) -> tuple[bytes, Rejects]:
    """The elements of an ``indent=2`` JSON array, joined by ``,\\n``, without the brackets."""
    if not records:
        return b"", {}
    try:
        text = json.dumps(records, indent=2, default=str)
        return text[2:-2].encode("utf-8"), {}
    except (TypeError, ValueError, RecursionError):
        pass
    items, rejects = _dump_each(records, indent=2)
    body = ",\n".join("  " + item.replace("\n", "\n  ") for item in items)
    return body.encode("utf-8"), rejects


# -- Parquet (Arrow) ------------------------------------------------------------------------
def _fallback_array(values: list[Any], key: str) -> tuple[pa.Array, Rejects]:
    rejects: Rejects = {}
    for i, v in enumerate(values):
        if v is not None:
            try:
                pa.array([v])
            except (pa.ArrowException, TypeError, ValueError, OverflowError) as exc:
                rejects[i] = (f"field '{key}': a {type(v).__name__} value cannot be written to "
                              f"Parquet ({exc})")
    cleaned = [None if i in rejects else v for i, v in enumerate(values)]
    try:
        return pa.array(cleaned), rejects
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        # mixed kinds (e.g. 7 and "7A"): keep every value, as text
        texts = [None if v is None else str(_json_text(v)) for v in cleaned]
        return pa.array(texts, pa.string()), rejects


def records_to_table(records: list[dict[str, Any]]) -> tuple[pa.Table, Rejects]:
    """An Arrow table of ``records``; values Arrow cannot encode reject their record."""
    if records and is_uniform(records):
        try:  # column by column: the same inference as Table.from_pylist, a third faster
            names = list(records[0])
            return pa.Table.from_arrays(
                [pa.array(list(map(itemgetter(k), records))) for k in names], names=names), {}
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            pass  # mixed or unencodable values: column by column below
    keys = union_keys(records)
    arrays: list[pa.Array] = []
    rejects: Rejects = {}
    for key, values in zip(keys, _columns(records, keys), strict=True):
        try:
            arrays.append(pa.array(values))
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            arr, bad = _fallback_array(values, key)
            arrays.append(arr)
            for i, msg in bad.items():
                rejects.setdefault(i, msg)
    table = pa.Table.from_arrays(arrays, names=keys) if keys else pa.table({})
    if rejects and keys:
        table = table.filter(pa.array([i not in rejects for i in range(len(records))]))
    return table, rejects


def unify_types(types: list[pa.DataType]) -> pa.DataType:
    """One type all ``types`` convert to: numeric widening, else nested merge, else text."""
    known = [t for t in dict.fromkeys(types) if not pa.types.is_null(t)]
    if not known:
        return pa.null()
    result = known[0]
    for t in known[1:]:
        try:
            result = pa.unify_schemas([pa.schema([("x", result)]), pa.schema([("x", t)])],
                                      promote_options="permissive").field("x").type
        except (pa.ArrowException, TypeError):
            return pa.large_string()
    return result


def unify_schemas(schemas: list[pa.Schema]) -> pa.Schema:
    """Field order of first appearance; each field's types unified by ``unify_types``."""
    seen: dict[str, list[pa.DataType]] = {}
    for schema in schemas:
        for f in schema:
            seen.setdefault(f.name, []).append(f.type)
    return pa.schema([(name, unify_types(types)) for name, types in seen.items()])


def _to_text(arr: pa.ChunkedArray | pa.Array) -> pa.Array:
    try:
        return arr.cast(pa.large_string())
    except (pa.ArrowException, TypeError):
        values = arr.to_pylist()
        return pa.array([None if v is None else str(_json_text(v)) for v in values],
                        pa.large_string())


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """``table`` with ``schema``'s columns, order and types (missing columns all null)."""
    if table.schema.equals(schema):
        return table
    columns = []
    for f in schema:
        if f.name not in table.column_names:
            columns.append(pa.nulls(table.num_rows, f.type))
            continue
        col = table.column(f.name)
        if col.type != f.type:
            if pa.types.is_large_string(f.type) and not pa.types.is_string(col.type):
                col = _to_text(col)
            else:
                col = col.cast(f.type)
        columns.append(col)
    return pa.Table.from_arrays(columns, schema=schema)
