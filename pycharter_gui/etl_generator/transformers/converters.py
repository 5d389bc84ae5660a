"""Value converters of ``convert`` (config-format §4.3), 0.0.20 ``type``, and ``@now`` tokens.

Every converter raises ``ValueError``/``TypeError`` on failure; the caller decides whether the
value is kept (default) or the record rejected (strict mode).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

Converter = Callable[[Any], Any]

TRUE_WORDS = frozenset({"true", "1", "yes", "on"})
DATETIME_FORMATS = (
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y")


class LossyConversion(ValueError):
    """A conversion that had to drop information (``"7.5"`` to int); ``result`` holds the
    truncated value pycharter would have kept, so non-strict callers can keep it and warn."""

    def __init__(self, value: Any, result: Any, target: str) -> None:
        super().__init__(f"{value!r} is not a whole number; {target} conversion gives {result!r}")
        self.result = result


def to_int(value: Any) -> int:
    """Whole numbers (``"42"``, ``"1e3"``, ``6.0``, ``True``) become ints exactly.

    Strings are parsed as ints first (no float rounding of long digit strings), then as
    floats. A fractional value raises ``LossyConversion`` carrying the truncated int."""
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            number = float(value)
        if math.isnan(number) or math.isinf(number):
            raise ValueError(f"cannot convert {value!r} to int")
        return _whole(value, number)
    if isinstance(value, int):
        return int(value)
    return _whole(value, value)


def _whole(value: Any, number: Any) -> int:
    result = int(number)
    if result != number:
        raise LossyConversion(value, result, "int")
    return result


def to_float(value: Any) -> float:
    return float(value)


def to_str(value: Any) -> str:
    return str(value)


def to_bool(value: Any) -> bool:
    """Strings are True iff their lower-cased text is a truthy word; never fails."""
    if isinstance(value, str):
        return value.strip().lower() in TRUE_WORDS
    return bool(value)


def to_datetime(value: Any) -> Any:
    """Parse the §4.3 formats into a naive datetime; a trailing ``Z`` is dropped."""
    if not isinstance(value, str):
        return value
    return _parse(value[:-1] if value.endswith("Z") else value, DATETIME_FORMATS, value, "datetime")


def to_date(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, str):
        return value
    return _parse(value, DATE_FORMATS, value, "date").date()


def _parse(text: str, formats: tuple[str, ...], value: Any, kind: str) -> datetime:
    """``text`` parsed with the first of ``formats`` that fits; none fitting raises the
    ``ValueError`` that names the original ``value`` and the ``kind`` of format expected."""
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise ValueError(f"{value!r} does not match a supported {kind} format")


CONVERTERS: dict[str, Converter] = {
    "int": to_int, "integer": to_int,
    "float": to_float, "number": to_float, "numeric": to_float, "double": to_float,
    "str": to_str, "string": to_str,
    "bool": to_bool, "boolean": to_bool,
    "datetime": to_datetime, "timestamp": to_datetime,
    "date": to_date,
}


# --- 0.0.20 ``type:`` dialect: plain Python constructors (bool("false") is True) ----------

_LEGACY_DT_FORMATS = ("%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")


def _legacy_datetime(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    return _parse(value, _LEGACY_DT_FORMATS, value, "datetime")


def _legacy_date(value: Any) -> Any:
    parsed = _legacy_datetime(value)
    return parsed.date() if isinstance(parsed, datetime) else parsed


LEGACY_CONVERTERS: dict[str, Converter] = {
    "int": int, "integer": int,
    "float": float, "double": float,
    "string": str, "str": str,
    "bool": bool, "boolean": bool,
    "datetime": _legacy_datetime, "timestamp": _legacy_datetime,
    "date": _legacy_date,
}


def result_types() -> dict[Converter, type]:
    """Converter -> the type of value it returns unchanged (``to_int(7)`` is ``7``)."""
    return {to_int: int, to_float: float, to_str: str, to_bool: bool,
            int: int, float: float, str: str, bool: bool}


def get_converter(type_name: str, *, legacy: bool = False) -> Converter | None:
    """The converter for a target type name (case-insensitive), or None if unsupported."""
    table = LEGACY_CONVERTERS if legacy else CONVERTERS
    return table.get(str(type_name).strip().lower())


# --- @now-style tokens (0.0.20 fill_null; also accepted in add/defaults) -------------------

def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _week_start() -> datetime:
    now = _utcnow()
    monday = now - timedelta(days=now.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def _week_end() -> datetime:
    return _week_start() + timedelta(days=7) - timedelta(microseconds=1)


TOKENS: dict[str, Callable[[], datetime]] = {
    "@now": datetime.now,
    "@utcnow": _utcnow,
    "@week_start": _week_start,
    "@week_end": _week_end,
}


def token_factory(value: Any) -> Callable[[], datetime] | None:
    """If ``value`` is an ``@now``-style token, the function computing it; else None."""
    if isinstance(value, str):
        return TOKENS.get(value.strip().lower())
    return None
