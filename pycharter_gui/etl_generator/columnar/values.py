"""Python values <-> canonical Arrow columns, exact or nothing.

Besides arrow_ops' plain types, a column computed by the columnar path may hold ``date``
(date32), naive ``datetime`` (timestamp[us]) or a mix of ``int`` and ``float`` (a dense union of
int64 and double: ``to_pylist`` gives back each value's own type, as the dict path holds it).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_scalars import TIMESTAMP, array_from_numpy

_INT64 = (-(2 ** 63), 2 ** 63)
MIXED_NUMBER = pa.dense_union([pa.field("int", pa.int64()), pa.field("float", pa.float64())])
_SIMPLE = {str: pa.string(), float: pa.float64(), bool: pa.bool_(), date: pa.date32()}


def is_mixed_number(t: pa.DataType) -> bool:
    return t == MIXED_NUMBER


def _numbers(values: list[Any], dtype: type[np.generic], arrow_type: pa.DataType) -> pa.Array:
    """int or float values (and None) as an int64 or double column."""
    n = len(values)
    missing = np.fromiter((v is None for v in values), bool, n)
    data = np.fromiter((0 if v is None else v for v in values), dtype, n)
    return array_from_numpy(data, arrow_type, missing)


def _mixed_numbers(values: list[Any], ints: list[int]) -> pa.Array | None:
    """int and float (and None) values as a dense union keeping each value's type; None when
    an int is beyond 2**53 (not exact as a double on the way). ``ints``: the int values."""
    if ints and max(-min(ints), max(ints)) > 2 ** 53:
        return None
    is_int = np.fromiter(map(int.__instancecheck__, values), bool, len(values))
    codes = (~is_int).astype(np.int8)
    offsets = np.where(is_int, np.cumsum(is_int) - 1, np.cumsum(~is_int) - 1).astype(np.int32)
    others = [v for v in values if type(v) is not int]  # floats and None
    return pa.UnionArray.from_dense(
        array_from_numpy(codes, pa.int8()), array_from_numpy(offsets, pa.int32()),
        [array_from_numpy(np.array(ints, np.int64), pa.int64()),
         _numbers(others, np.float64, pa.float64())], ["int", "float"])


def column_from_values(values: list[Any]) -> pa.Array | None:
    """The canonical column whose ``to_pylist()`` is ``values``, or None when there is none
    (a mix of types other than int/float, a timezone, an int beyond int64 ...). Numbers are
    built from numpy buffers (pyarrow's conversion of Python values imports pandas)."""
    kinds = set(map(type, values))
    kinds.discard(type(None))
    try:
        if not kinds:
            return pa.nulls(len(values))
        if kinds == {int} or kinds == {int, float}:
            ints = [v for v in values if type(v) is int]
            if ints and not (_INT64[0] <= min(ints) and max(ints) < _INT64[1]):
                return None
            return (_numbers(values, np.int64, pa.int64()) if kinds == {int}
                    else _mixed_numbers(values, ints))
        if len(kinds) != 1:
            return None
        kind = kinds.pop()
        if kind is float:
            return _numbers(values, np.float64, pa.float64())
        if kind is datetime:
            if any(v.tzinfo is not None for v in values if v is not None):
                return None
            return pa.array(values, TIMESTAMP)
        if kind in _SIMPLE:
            return pa.array(values, _SIMPLE[kind])
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None
    return None


def _python_str(arr: pa.Array) -> pa.Array:
    return pa.array([None if v is None else str(v) for v in arr.to_pylist()], pa.string())


def str_column(arr: pa.Array, null_text: str | None) -> pa.Array | None:
    """``str(v)`` of every value (None -> ``null_text``, kept None when that is None), or None
    for a column type without an exact rule."""
    t = arr.type
    if pa.types.is_null(t):
        out = pa.nulls(len(arr), pa.string())
    elif t == pa.string():
        out = arr
    elif t == pa.int64():
        out = arr.cast(pa.string())
    elif t == pa.bool_():
        out = pc.if_else(arr, "True", "False")
    elif t in (pa.float64(), pa.date32(), TIMESTAMP) or is_mixed_number(t):
        out = _python_str(arr)  # Python's repr of floats and datetimes differs from Arrow's
    else:
        return None
    if null_text is not None and out.null_count:
        out = pc.fill_null(out, null_text)
    return out


def for_parquet(table: pa.Table) -> pa.Table | None:
    """Mixed int/float columns as ``records_to_table`` infers them for Parquet (double), or
    None when that inference would fail (the dict path then reports it)."""
    for i, column in enumerate(table.columns):
        if is_mixed_number(column.type):
            try:
                values = pa.array(column.to_pylist())
            except (pa.ArrowException, TypeError, ValueError, OverflowError):
                return None
            table = table.set_column(i, table.column_names[i], values)
    return table
