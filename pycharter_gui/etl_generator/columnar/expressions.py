"""``add`` expressions (transformers/expressions.py) evaluated over an Arrow table.

``compile_add(value)`` mirrors ``compile_expression``: constants, ``@now`` tokens, the built-in
calls ``upper lower trim concat str len now uuid env``, arithmetic and ``${field}``
interpolation. It returns ``table -> column`` (None from the function when this batch's result
could differ from the dict path's: then the batch takes the dict path), or None when the
expression is outside that subset. Arithmetic runs the dict path's own evaluator over just the
referenced columns, so its Decimal results are exact; string functions use Arrow's ASCII
kernels only on ASCII text and Python's ``str`` methods otherwise. ``now()`` and tokens are
evaluated once per batch (each record of the batch gets the same instant); ``uuid()`` gives
one fresh UUID4 per row, as ``uuid.uuid4()`` builds them.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..arrow_scalars import arrow_scalar
from ..transformers.arithmetic import compile_arithmetic, tokenize
from ..transformers.converters import token_factory
from ..transformers.expressions import (
    FLOAT_RE,
    FUNCTIONS,
    INT_RE,
    balanced_call,
    interpolation_parts,
    split_args,
)
from .values import column_from_values, str_column

ColumnExpr = Callable[[pa.Table], pa.Array | None]
_INT64 = (-(2 ** 63), 2 ** 63)
_PY_WHITESPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() removes from ASCII text
_HEX = np.array([[ord(c) for c in f"{i:02x}"] for i in range(256)], np.uint8)


class _Const:
    """A value that does not depend on the record."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __call__(self, table: pa.Table) -> pa.Array:
        n = table.num_rows
        if self.value is None:
            return pa.nulls(n)
        return pa.repeat(arrow_scalar(self.value), n)


def constant_ok(value: Any) -> bool:
    """A constant an Arrow column holds exactly (int64 range; naive datetimes)."""
    if isinstance(value, datetime):
        return value.tzinfo is None
    if type(value) not in (str, int, float, bool, type(None)):
        return False
    return type(value) is not int or _INT64[0] <= value < _INT64[1]


def _constant(value: Any) -> _Const | None:
    return _Const(value) if constant_ok(value) else None


def _column(table: pa.Table, name: str) -> pa.Array:
    if name not in table.column_names:
        return pa.nulls(table.num_rows)
    return table.column(name).combine_chunks()


def _texts(expr: ColumnExpr, table: pa.Table) -> pa.Array | None:
    """``_s(value)``: ``str(v)``, None as ``""``."""
    arr = expr(table)
    return None if arr is None else str_column(arr, "")


def _case(arr: pa.Array, ascii_fn: Callable[[pa.Array], pa.Array],
          py_fn: Callable[[str], str]) -> pa.Array:
    """A str method over a null-free string column: Arrow's kernel on ASCII text (where its
    result is Python's), else Python's method once per distinct value."""
    if pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        return ascii_fn(arr)
    enc = arr.dictionary_encode()
    mapped = pa.array([py_fn(v) for v in enc.dictionary.to_pylist()], pa.string())
    return mapped.take(enc.indices)


_CASE = {
    "upper": (pc.ascii_upper, str.upper),
    "lower": (pc.ascii_lower, str.lower),
    "trim": (lambda a: pc.utf8_trim(a, characters=_PY_WHITESPACE), str.strip),
}


def uuid4_column(n: int) -> pa.Array:
    """``str(uuid.uuid4())`` for ``n`` rows: 16 random bytes each, version 4, RFC variant."""
    raw = np.frombuffer(os.urandom(16 * n), np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = _HEX[raw].reshape(n, 32)
    out = np.full((n, 36), ord("-"), np.uint8)
    for lo, hi, at in ((0, 8, 0), (8, 12, 9), (12, 16, 14), (16, 20, 19), (20, 32, 24)):
        out[:, at:at + hi - lo] = digits[:, lo:hi]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(out.tobytes()))


def _call(name: str, args: list[Any]) -> ColumnExpr | None:
    """A built-in call of the dict path's ``FUNCTIONS`` with the same arguments."""
    if name in ("now", "env"):
        if not all(isinstance(a, _Const) for a in args):
            return None
        func, values = FUNCTIONS[name], [a.value for a in args]

        def per_batch(table: pa.Table) -> pa.Array | None:
            try:
                value = func(*values)
            except Exception:  # a function that raises gives None (§4.4)
                value = None
            return _Const(value)(table) if constant_ok(value) else None
        return per_batch
    if name == "uuid":
        return (lambda table: uuid4_column(table.num_rows)) if not args else None
    if name == "concat":
        def concat(table: pa.Table) -> pa.Array | None:
            parts = [_texts(a, table) for a in args]
            if any(p is None for p in parts):
                return None
            if not parts:
                return pa.repeat("", table.num_rows)
            return parts[0] if len(parts) == 1 else pc.binary_join_element_wise(*parts, "")
        return concat
    if len(args) != 1:
        return None  # a wrong arity raises in the dict path: the field becomes None
    arg = args[0]
    if name in _CASE:
        ascii_fn, py_fn = _CASE[name]

        def case(table: pa.Table) -> pa.Array | None:
            text = _texts(arg, table)
            return None if text is None else _case(text, ascii_fn, py_fn)
        return case
    if name == "str":
        return lambda table: _texts(arg, table)
    if name == "len":
        def length(table: pa.Table) -> pa.Array | None:
            arr = arg(table)
            if arr is None or arr.type != pa.string() or arr.null_count:
                return None  # len(str(None)) is 4 ...: the dict path
            return pc.utf8_length(arr).cast(pa.int64())
        return length
    return None


def _arg(text: str) -> Any:
    """``expressions._compile_arg``: a literal, else an expression."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return _Const(text[1:-1])
    if INT_RE.match(text):
        return _constant(int(text))
    if FLOAT_RE.match(text):
        return _Const(float(text))
    if text.lower() in ("true", "false"):
        return _Const(text.lower() == "true")
    if text.lower() in ("null", "none"):
        return _Const(None)
    return _text(text)


def _interpolation(text: str) -> ColumnExpr:
    parts = interpolation_parts(text)

    def interpolate(table: pa.Table) -> pa.Array | None:
        columns: list[Any] = []
        for part in parts:
            if isinstance(part, str):
                columns.append(pa.scalar(part))
                continue
            text_col = str_column(_column(table, part[0]), part[1] or "")
            if text_col is None:
                return None
            columns.append(text_col)
        if len(columns) == 1:
            only = columns[0]
            return pa.repeat(only, table.num_rows) if isinstance(only, pa.Scalar) else only
        return pc.binary_join_element_wise(*columns, pa.scalar(""))
    return interpolate


def _arithmetic(text: str, evaluate: Callable[[dict[str, Any]], Any]) -> ColumnExpr:
    """The dict path's evaluator over just the referenced columns (exact Decimal results); a row
    that raises (a warning in the dict path) sends the batch there."""
    names = list(dict.fromkeys(value[0] for kind, value, _ in tokenize(text) or []
                               if kind == "ref"))

    def compute(table: pa.Table) -> pa.Array | None:
        columns = [_column(table, name).to_pylist() for name in names]
        try:
            values = [evaluate(dict(zip(names, row, strict=True)))
                      for row in zip(*columns, strict=True)]
        except Exception:  # the dict path warns about this row
            return None
        return column_from_values(values)
    return compute


def _text(text: str) -> ColumnExpr | None:
    """``expressions._compile_text`` over columns."""
    token = token_factory(text)
    if token is not None:
        return lambda table: _Const(token())(table)
    call = balanced_call(text)
    if call is not None and call[0].lower() in FUNCTIONS:
        args = [_arg(a) for a in split_args(call[1])]
        return None if any(a is None for a in args) else _call(call[0].lower(), args)
    arithmetic = compile_arithmetic(text)
    if arithmetic is not None:
        if "${" in text:
            return _arithmetic(text, arithmetic)
        return _constant(arithmetic({}))
    if "${" in text:
        return _interpolation(text)
    return _Const(text)


def compile_add(value: Any) -> ColumnExpr | None:
    """The column-wise evaluator of one ``add`` value, or None (the dict path runs it)."""
    if not isinstance(value, str):
        return _constant(value)
    try:
        return _text(value.strip())
    except (ValueError, ArithmeticError):  # a malformed formula: the dict path reports it
        return None
