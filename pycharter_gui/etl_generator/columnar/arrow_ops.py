"""Column-wise versions of the reader's value rules and of the simple ops, exact or nothing.

A *canonical* table here holds only the column types that correspond one to one to the Python
values of the dict path: int64 (``int``), double (``float``), string (``str``), bool
(``bool``) and null (a column of ``None``). For such a table ``table.to_pylist()`` is exactly
the records the dict path holds, and ``loaders.serialize.records_to_table`` of those records is
the table itself. Every function returns None when it cannot guarantee that (an unusual
column type, a value that would fail conversion or warn, a rename of a missing field), and the
caller then runs that batch through the dict path.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_scalars import TIMESTAMP
from ..transformers.converters import to_bool, to_date, to_datetime, to_float, to_int, to_str
from .filter_ops import fill_defaults, filter_mask
from .plan import Op
from .values import column_from_values

if TYPE_CHECKING:  # pandas loads only for a chunk pandas parsed (start-up)
    import pandas as pd

_TWO_53 = 2 ** 53
_TYPES = {"date": date, "datetime": datetime}
_TWO_63 = 2 ** 63
_PY_CONVERTERS = {"int": to_int, "float": to_float, "str": to_str, "bool": to_bool,
                  "date": to_date, "datetime": to_datetime}
_RESULT = {"int": pa.int64(), "float": pa.float64(), "str": pa.string(), "bool": pa.bool_(),
           "date": pa.date32(), "datetime": TIMESTAMP}
_TEMPORAL = ("date", "datetime")


def _all_null(arr: pa.Array) -> pa.Array:
    return pa.nulls(len(arr)) if arr.null_count == len(arr) else arr


def canonical_column(arr: pa.Array | pa.ChunkedArray) -> pa.Array | None:
    """``arr`` as a canonical column (reader rules: NaN is None), or None if it has no exact
    canonical form (timestamps, decimals, nested values, uint64 beyond int64 ...)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.dictionary_decode()
        t = arr.type
    if pa.types.is_null(t):
        return arr
    if len(arr) and arr.null_count == len(arr):
        return pa.nulls(len(arr))
    if t == pa.int64() or t == pa.bool_() or t == pa.string():
        return arr
    if pa.types.is_large_string(t):
        return arr.cast(pa.string())
    if pa.types.is_integer(t):
        if t == pa.uint64():
            top = pc.max(arr).as_py()
            if top is not None and top >= _TWO_63:
                return None
        return arr.cast(pa.int64())
    if t == pa.float64() or t == pa.float32():
        if t == pa.float32():
            arr = arr.cast(pa.float64())
        if pc.any(pc.is_nan(arr)).as_py():
            arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.float64()), arr)
        return _all_null(arr)
    return None


def canonical_table(table: pa.Table | pa.RecordBatch) -> pa.Table | None:
    """Every column canonical (see the module docstring), or None."""
    names = list(table.schema.names)
    if not names or len(set(names)) != len(names):
        return None
    columns = []
    for i in range(len(names)):
        col = canonical_column(table.column(i))
        if col is None:
            return None
        columns.append(col)
    return pa.Table.from_arrays(columns, names=names)


def _object_column(series: pd.Series) -> pa.Array | None:
    """An object column as the dict path sees it: only all-str or all-bool (with None) pass."""
    values = series.astype(object).where(series.notna(), None).tolist()
    kinds = set(map(type, values))
    kinds.discard(type(None))
    if not kinds:
        return pa.nulls(len(values))
    if kinds == {str}:
        return pa.array(values, pa.string())
    if kinds == {bool}:
        return pa.array(values, pa.bool_())
    return None


def frame_to_table(df: pd.DataFrame) -> pa.Table | None:
    """The canonical table whose ``to_pylist()`` equals ``csv_reader.frame_to_records(df)``."""
    import pandas as pd

    names = [str(c) for c in df.columns]
    if not names or len(set(names)) != len(names):
        return None
    columns = []
    for _, series in df.items():
        kind = series.dtype.kind
        try:
            if kind in ("i", "f", "b") or isinstance(series.dtype, pd.StringDtype):
                col = canonical_column(pa.Array.from_pandas(series))
            elif kind == "O":
                col = _object_column(series)
            else:  # datetimes, categories, uint64 ...: let the dict path handle them
                col = None
        except (pa.ArrowException, TypeError, ValueError, OverflowError):
            col = None
        if col is None:
            return None
        columns.append(col)
    return pa.Table.from_arrays(columns, names=names)


def to_records(table: pa.Table) -> list[dict[str, Any]]:
    """The records of a canonical table (the same values and key order as the dict path)."""
    names = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


# -- ops ---------------------------------------------------------------------------------------
def _set(table: pa.Table, name: str, arr: pa.Array) -> pa.Table:
    """``record[name] = value``: in place when present, else appended at the end."""
    if name in table.column_names:
        return table.set_column(table.column_names.index(name), name, arr)
    return table.append_column(name, arr)


def _by_uniques(arr: pa.Array, target: str) -> pa.Array | None:
    """Convert a string column by calling the real converter once per distinct value."""
    enc = arr.dictionary_encode()
    conv = _PY_CONVERTERS[target]
    try:
        results = [conv(v) for v in enc.dictionary.to_pylist()]
        mapped = pa.array(results, _RESULT[target])
    except (ValueError, TypeError, OverflowError, pa.ArrowException):
        return None  # a value would warn (or be rejected): the dict path reports it
    if target == "float" and not all(type(v) is float for v in results):
        return None
    if target in _TEMPORAL and not all(type(v) is _TYPES[target] for v in results):
        return None
    return mapped.take(enc.indices)


_DAYS_BEFORE_1970 = -719_162  # 0001-01-01 as date32: Python's dates start there


def _iso_dates(arr: pa.Array) -> pa.Array | None:
    """``convert`` to date of text that is all ISO ``YYYY-MM-DD``, without Python values (and
    without ``pa.array`` of Python dates, which imports pandas); None when not every value is.

    Exact: a value is taken only when it is 10 bytes long and Arrow's date parse accepts it;
    Arrow then read ``DDDD-DD-DD`` with a valid month and day, i.e. the canonical rendering of
    that date (zero-padded, four-digit year from 0001; ``test_arrow_ops`` fuzzes this), so
    ``to_date``'s first format, ``%Y-%m-%d``, reads that very date; anything else (other
    formats, invalid days) goes per distinct value. (Comparing with the rendering back to text
    cost 2.6 of the 3.2 ms per 50k values.)"""
    lengths = pc.min_max(pc.binary_length(arr))
    if lengths["min"].as_py() != 10 or lengths["max"].as_py() != 10:
        return None
    try:
        days = arr.cast(pa.date32())
    except (pa.ArrowException, ValueError):
        return None
    low = pc.min(days.cast(pa.int32())).as_py()
    if low is not None and low < _DAYS_BEFORE_1970:
        return None
    return days


def _temporal(arr: pa.Array, target: str) -> pa.Array | None:
    """``convert`` to date/datetime of a non-string column: only a datetime becomes a date;
    every other value passes through unchanged (§4.3)."""
    if target == "date" and arr.type == TIMESTAMP:
        return pa.array([None if v is None else v.date() for v in arr.to_pylist()], pa.date32())
    return arr


def _minmax(arr: pa.Array) -> tuple[Any, Any]:
    mm = pc.min_max(arr)
    return mm["min"].as_py(), mm["max"].as_py()


def convert_column(arr: pa.Array, target: str) -> pa.Array | None:
    """``convert`` of one canonical column with the §4.3 rules; None if not exact."""
    t = arr.type
    if pa.types.is_null(t) or t == _RESULT[target]:
        return arr  # nothing to convert (the dict path skips these columns too)
    if t == pa.string():
        if target == "date":
            dates = _iso_dates(arr)
            if dates is not None:
                return dates
        return _by_uniques(arr, target)
    if target in _TEMPORAL:
        return _temporal(arr, target)
    if t == pa.bool_() and target in ("int", "float"):
        return arr.cast(_RESULT[target])  # True/False become 1/0 (1.0/0.0) exactly
    if target == "int":
        if t == pa.float64():
            if pc.any(pc.is_nan(arr)).as_py() or not pc.all(pc.is_finite(arr)).as_py():
                return None  # int(inf) fails: a warning
            lo, hi = _minmax(arr)
            if lo is None or lo <= -_TWO_63 or hi >= _TWO_63:
                return None
            whole = pc.trunc(arr)
            if not pc.all(pc.equal(whole, arr)).as_py():
                return None  # a fractional value is lossy: the dict path warns or rejects
            return whole.cast(pa.int64())
        return None
    if target == "float":
        if t == pa.int64():
            lo, hi = _minmax(arr)
            if lo is None or lo < -_TWO_53 or hi > _TWO_53:
                return None  # beyond 2**53 rounding would need proof
            return arr.cast(pa.float64())
        return None
    if target == "str":
        if t == pa.int64():
            return arr.cast(pa.string())
        if t == pa.bool_():
            return pc.if_else(arr, "True", "False")
        if t == pa.float64():
            values = arr.to_pylist()
            return pa.array([None if v is None else str(v) for v in values], pa.string())
        return None
    if target == "bool":
        if t == pa.int64():
            return pc.not_equal(arr, 0)
        if t == pa.float64():
            if pc.any(pc.is_nan(arr)).as_py():
                return None
            return pc.not_equal(arr, 0.0)
        return None
    return None


def merge_fields(table: pa.Table, fields: list[tuple[str, list[Any]]] | None) -> pa.Table | None:
    """``{**record, **fields}`` for every row (JSONata's ``$merge([$, {...}])``), or None."""
    if fields is None:
        return None
    for name, values in fields:
        column = column_from_values(values)
        if column is None:
            return None
        table = _set(table, name, column)
    return table


def apply_ops(table: pa.Table, ops: list[Op]) -> pa.Table | None:
    """Run the plan's ops over a canonical table; None when the batch needs the dict path."""
    for op in ops:
        if op.kind == "rename":
            if any(old not in table.column_names for old, _ in op.args):
                return None  # the dict path warns about the missing field
            for old, new in op.args:
                if old not in table.column_names:
                    continue
                values = table.column(old)
                table = table.remove_column(table.column_names.index(old))
                if new in table.column_names:
                    table = table.remove_column(table.column_names.index(new))
                table = table.append_column(new, values)
        elif op.kind == "convert":
            for name, target in op.args:
                if name not in table.column_names:
                    continue  # every value is None: nothing to convert
                col = table.column(name).combine_chunks()
                out = convert_column(col, target)
                if out is None:
                    return None
                table = _set(table, name, _all_null(out))
        elif op.kind == "add":
            for name, evaluate in op.args:
                values = evaluate(table)
                if values is None:
                    return None  # a row the dict path would warn about, or another type
                table = _set(table, name, values)
        elif op.kind == "drop":
            keep = [c for c in table.column_names if c not in set(op.args)]
            table = table.select(keep)
        elif op.kind == "filter":
            mask = filter_mask(table, op.args)
            if mask is None:
                return None
            table = table.filter(mask)
            if not table.num_rows:
                return None  # nothing left to write: the dict path handles the empty batch
        elif op.kind == "defaults":
            table = fill_defaults(table, op.args)
            if table is None:
                return None
        elif op.kind == "select":
            keep = [c for c in table.column_names if c in set(op.args)]
            if not keep:
                return None  # every record would be filtered: the dict path counts them
            table = table.select(keep)
        else:
            return None
    if not table.column_names:
        return None
    return table
