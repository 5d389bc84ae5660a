"""The CSV type rules (config-format §3.5) applied to a chunk's text columns: numbers, then
true/false, else text, with a leading zero or a 16+ digit integer keeping its text.
:func:`arrow_typed` decides with Arrow compute where that provably matches pandas' parser;
:func:`typed_like_pandas` is pandas' own reading for the rest."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

BOOLS = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False,
          "false": False}
_KEEP_TEXT = r"[+-]?0\d|[+-]?\d{16}"  # a leading zero, or an integer of 16+ digits
# forms that pandas' to_numeric and Arrow's cast read alike (exact: <= 15 digits, see below)
_DECIMAL = r"^-?[0-9]+(\.[0-9]*)?$"
_KEEP_DECIMAL = r"^-?(0[0-9]|[0-9]{16})"  # _KEEP_TEXT for values matching _DECIMAL
# exactly the values matching _DECIMAL but not _KEEP_DECIMAL: one scan for a plain column
_PLAIN_DECIMAL = r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]*)?$"
# a superset of what to_numeric accepts (pandas' xstrtod: blanks, sign, digits, point, digits,
# exponent, blanks; or inf/infinity): a value outside it makes to_numeric fail
_WS = "[ \\t\\n\\x0b\\f\\r]*"
_NUMBERISH = f"{_WS}[+-]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)(e[+-]?[0-9]*)?|inf|infinity|nan){_WS}"
_MAYBE_NUMBER = f"(?i)^{_NUMBERISH}$"
_NUMBERISH_RE = re.compile(_NUMBERISH, re.IGNORECASE)
_MAX_DIGITS = 15


def plain_decimals(arr: pa.Array | pa.ChunkedArray) -> bool | None:
    """Whether a value has a point, when every non-null value may match ``_PLAIN_DECIMAL``
    with at most 15 characters, else None. "May": a value with two points passes; Arrow's
    float cast then fails on it, so passing *and* casting is exactly the regex. Read off the
    string buffers with numpy: the regex (RE2, per value) was the reader's largest cost on a
    numeric file (~2 ms per 50k-row column, issue 16)."""
    chunks = arr.chunks if hasattr(arr, "chunks") else [arr]
    any_point = False
    for chunk in chunks:
        found = _plain_chunk(chunk)
        if found is None:
            return None
        any_point = any_point or found
    return any_point


def _plain_chunk(chunk: pa.Array) -> bool | None:
    import numpy as np
    import pyarrow as pa

    n = len(chunk)
    if chunk.type != pa.string():
        return None
    if n == chunk.null_count:
        return False
    validity, offsets, values = chunk.buffers()
    offs = np.frombuffer(offsets, dtype=np.int32, count=n + 1, offset=chunk.offset * 4)
    base = int(offs[0])
    data = np.frombuffer(values, dtype=np.uint8, count=int(offs[-1]) - base, offset=base)
    starts, ends = offs[:-1] - base, offs[1:] - base
    if chunk.null_count:
        valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little")
        valid = valid[chunk.offset:chunk.offset + n].view(bool)
        if (ends[~valid] != starts[~valid]).any():
            return None  # a null with bytes: its bytes would be read as a value's
        starts, ends = starts[valid], ends[valid]
    lengths = ends - starts
    if lengths.min() < 1 or lengths.max() > _MAX_DIGITS:
        return None  # an empty value, or one long enough to need counting its digits
    shifted = data - np.uint8(ord("-"))  # '-' 0, '.' 1, '/' 2, digits 3..12
    if (shifted > 12).any() or (shifted == 2).any():
        return None  # a byte other than a digit, '-' or '.'
    first = starts + (data[starts] == ord("-"))  # a '-' elsewhere fails the cast
    if (first >= ends).any():
        return None  # a lone '-'
    lead = data[first]
    if (lead == ord(".")).any():
        return None  # no digit before the point
    zero = first[lead == ord("0")] + 1  # the byte after a leading 0: none, or the point
    zero = zero[zero < ends[lead == ord("0")]]
    if len(zero) and (data[zero] != ord(".")).any():
        return None  # a leading zero
    return bool((shifted == 1).any())


def arrow_typed(arr: pa.Array) -> pa.Array | None:
    """A text column (Arrow strings, nulls for empty cells) typed as :func:`_typed` types it,
    or None when that cannot be told without pandas.

    Exact by construction: an integer of at most 15 digits is the same number for both; a
    decimal of at most 15 digits is < 2**53 scaled by a power of ten <= 1e15, which pandas'
    parser divides exactly once (correctly rounded) like Arrow's; a value outside
    ``_MAYBE_NUMBER`` makes ``to_numeric`` fail, after which only the true/false test is left
    (one such value decides: the first is looked at before any scan of the column).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if arr.null_count == len(arr):
        return pa.nulls(len(arr))  # to_numeric of only blanks: float NaN, i.e. None
    valid = arr.drop_null() if arr.null_count else arr
    first = valid[0].as_py()
    if _NUMBERISH_RE.fullmatch(first) is None:  # to_numeric fails
        if first in BOOLS and pc.all(pc.is_in(valid, value_set=pa.array(list(BOOLS)))).as_py():
            return pc.equal(pc.utf8_lower(arr), "true")
        return arr
    any_point = plain_decimals(arr)
    if any_point is not None:  # the common case, told without a regex
        try:
            if not any_point:
                return arr.cast(pa.float64() if arr.null_count else pa.int64())
            return arr.cast(pa.float64())
        except pa.ArrowException:
            pass  # two points in a value: the regexes below decide
    if pc.all(pc.match_substring_regex(valid, _DECIMAL)).as_py():
        if pc.any(pc.match_substring_regex(valid, _KEEP_DECIMAL)).as_py():
            return arr  # to_numeric reads them (or fails on a huge integer): text either way
        point = pc.match_substring(valid, ".")
        if pc.max(pc.binary_length(valid)).as_py() > _MAX_DIGITS:  # else no value has more digits
            digits = pc.subtract(pc.binary_length(valid),
                                 pc.cast(pc.starts_with(valid, "-"), pa.int32()))
            digits = pc.subtract(digits, pc.cast(point, pa.int32()))
            if pc.max(digits).as_py() > _MAX_DIGITS:
                return None
        try:
            if not pc.any(point).as_py():
                return arr.cast(pa.float64() if arr.null_count else pa.int64())
            return arr.cast(pa.float64())
        except pa.ArrowException:
            return None
    if not pc.all(pc.match_substring_regex(valid, _MAYBE_NUMBER)).as_py():
        return arr  # to_numeric fails; the first value is no true/false
    return None


def typed_like_pandas(column: pd.Series) -> pd.Series:
    """A parsed text column typed as pandas' parser would (numbers, then true/false), unless
    a value is written with a leading zero or is a 16+ digit integer: then it stays text.
    Plain columns are told apart by :func:`arrow_typed` (no Python objects); the rest by
    ``pd.to_numeric``."""
    import pandas as pd
    import pyarrow as pa

    try:
        typed = arrow_typed(pa.array(column, from_pandas=True, type=pa.string()))
    except (pa.ArrowException, TypeError, ValueError):
        typed = None
    if typed is not None:
        if typed.type == pa.string():
            return column
        if typed.type == pa.bool_():
            return column.map(BOOLS)
        if typed.type != pa.null():
            return pd.Series(typed.to_numpy(zero_copy_only=False), index=column.index,
                             name=column.name)
    try:
        numbers = pd.to_numeric(column)
    except (ValueError, TypeError):
        text = column.dropna()
        if len(text) and text.isin(BOOLS).all():
            return column.map(BOOLS)
        return column
    if column.str.match(_KEEP_TEXT).any():
        return column
    return numbers


__all__ = ["BOOLS", "arrow_typed", "typed_like_pandas"]
