"""Column-wise ``filter`` and constant ``defaults`` over a canonical table, exact or nothing.

Each function reproduces the dict path (``transformers/filters.py``, ``compile_defaults``) for
the column and value types where Arrow's result is provably Python's; for anything else — a
comparison Python would refuse (a dead letter), ``True == 1`` style mixes, integers beyond
2**53 against floats — it returns None and the batch takes the dict path.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_scalars import FALSE as _FALSE
from ..arrow_scalars import TRUE as _TRUE
from ..arrow_scalars import arrow_scalar

_TWO_53 = 2 ** 53
_TWO_63 = 2 ** 63
_ORDER = {"gt": pc.greater, "gte": pc.greater_equal, "lt": pc.less, "lte": pc.less_equal}


def _comparable(arr: pa.Array, value: Any) -> bool:
    """Arrow compares ``arr`` with ``value`` exactly as Python would."""
    t = arr.type
    if t == pa.int64():
        return type(value) is int and -_TWO_63 <= value < _TWO_63
    if t == pa.float64():
        return type(value) is float or (type(value) is int and abs(value) <= _TWO_53)
    if t == pa.string():
        return type(value) is str
    if t == pa.bool_():
        return type(value) is bool
    return False


def _equal(arr: pa.Array, value: Any) -> pa.Array | None:
    """``v == value`` per row (None == x is False unless x is None)."""
    if value is None:
        return pc.is_null(arr)
    if pa.types.is_null(arr.type):
        return pa.repeat(_FALSE, len(arr))
    if _comparable(arr, value):
        return pc.fill_null(pc.equal(arr, arrow_scalar(value)), _FALSE)
    if type(value) is str or arr.type == pa.string():
        return pa.repeat(_FALSE, len(arr))  # a str never equals a number or a bool
    return None  # True == 1, an int column against a float ...: the dict path decides


def _condition(arr: pa.Array, operator: str, value: Any) -> pa.Array | None:
    if operator == "is_null":
        return pc.is_null(arr)
    if operator == "is_not_null":
        return pc.is_valid(arr)
    if operator in ("eq", "ne"):
        mask = _equal(arr, value)
        return None if mask is None else (mask if operator == "eq" else pc.invert(mask))
    if operator in _ORDER:
        if arr.null_count == len(arr):
            return pa.repeat(_FALSE, len(arr))  # None never compares: filtered, not rejected
        if not _comparable(arr, value) or arr.type == pa.bool_():
            return None  # Python raises TypeError (a dead letter) or compares bools as ints
        return pc.fill_null(_ORDER[operator](arr, arrow_scalar(value)), _FALSE)
    if operator in ("in", "not_in"):
        options = value if isinstance(value, list | tuple | set | frozenset) else [value]
        masks = [_equal(arr, option) for option in options]
        if any(m is None for m in masks):
            return None
        mask = pa.repeat(_FALSE, len(arr))
        for m in masks:
            mask = pc.or_(mask, m)
        return mask if operator == "in" else pc.invert(mask)
    if operator in ("contains", "not_contains"):
        if arr.type != pa.string() and not pa.types.is_null(arr.type):
            return None  # str(v) of numbers and bools: the dict path
        hit = (pa.repeat(_FALSE, len(arr)) if pa.types.is_null(arr.type)
               else pc.fill_null(pc.match_substring(arr, str(value)), _FALSE))
        return hit if operator == "contains" else pc.invert(hit)
    return None


def filter_mask(table: pa.Table, conditions: tuple[tuple[str, str, Any], ...]
                ) -> pa.Array | None:
    """The rows every ``(field, operator, value)`` condition keeps, or None (dict path)."""
    mask = pa.repeat(_TRUE, table.num_rows)
    for field, operator, value in conditions:
        arr = (table.column(field).combine_chunks() if field in table.column_names
               else pa.nulls(table.num_rows))
        keep = _condition(arr, operator, value)
        if keep is None:
            return None
        mask = pc.and_(mask, keep)
    return mask


def fill_defaults(table: pa.Table, items: tuple[tuple[str, Any], ...]) -> pa.Table | None:
    """``defaults`` of constants: a missing or None value takes the constant (a column of
    another type would mix types in one field: None, the dict path)."""
    for name, value in items:
        if name not in table.column_names:
            table = table.append_column(name, pa.repeat(arrow_scalar(value), table.num_rows)
                                        if value is not None else pa.nulls(table.num_rows))
            continue
        arr = table.column(name).combine_chunks()
        if pa.types.is_union(arr.type):
            return None  # a union's nulls live in its children (null_count is 0)
        if value is None or arr.null_count == 0:
            continue
        if pa.types.is_null(arr.type):
            filled = pa.repeat(arrow_scalar(value), len(arr))
        elif {pa.int64(): int, pa.float64(): float, pa.string(): str,
              pa.bool_(): bool}.get(arr.type) is type(value):
            filled = pc.fill_null(arr, arrow_scalar(value))  # the same type (checked above)
        else:
            return None
        table = table.set_column(table.column_names.index(name), name, filled)
    return table
