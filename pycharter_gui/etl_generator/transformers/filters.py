"""The ``filter`` operation (config-format §4.2): keep records whose predicate holds.

Comparing incompatible types (``"a" > 1``) rejects that record (reason
``transformation_error``) instead of aborting the run as pycharter does.
"""

from __future__ import annotations

import logging
import operator as _op
from collections.abc import Callable
from typing import Any

from .results import RecordRejected, TransformWarning

log = logging.getLogger(__name__)

Predicate = Callable[[Any], bool]

_ORDER = {"gt": _op.gt, "gte": _op.ge, "lt": _op.lt, "lte": _op.le}
OPERATORS = frozenset(
    {"eq", "ne", "in", "not_in", "contains", "not_contains", "is_null", "is_not_null", *_ORDER}
)


def _predicate(operator: str, value: Any) -> Predicate:
    if operator == "eq":
        return lambda v: v == value
    if operator == "ne":
        return lambda v: v != value
    if operator in _ORDER:
        compare = _ORDER[operator]
        return lambda v: v is not None and compare(v, value)
    if operator in ("in", "not_in"):
        options = value if isinstance(value, list | tuple | set | frozenset) else [value]
        if operator == "in":
            return lambda v: v in options
        return lambda v: v not in options
    if operator == "contains":
        needle = str(value)
        return lambda v: v is not None and needle in str(v)
    if operator == "not_contains":
        needle = str(value)
        return lambda v: v is None or needle not in str(v)
    if operator == "is_null":
        return lambda v: v is None
    return lambda v: v is not None  # is_not_null


def compile_filter(spec: Any) -> Callable[[dict[str, Any], int, list], dict[str, Any] | None]:
    """Compile one condition (or a list of conditions, all of which must hold)."""
    conditions = spec if isinstance(spec, list) else [spec]
    compiled: list[tuple[str, str, Predicate, Any]] = []
    config_warnings: list[str] = []
    for cond in conditions:
        if not isinstance(cond, dict) or not cond.get("field"):
            config_warnings.append(f"filter {cond!r} has no 'field': not filtering on it")
            continue
        operator = str(cond.get("operator", "eq")).lower()
        if operator not in OPERATORS:
            config_warnings.append(
                f"filter on {cond['field']!r}: unknown operator {operator!r}: not filtering on it")
            continue
        target = cond.get("value")
        compiled.append((str(cond["field"]), operator, _predicate(operator, target), target))
    for text in config_warnings:
        log.warning(text)

    def filter_step(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any] | None:
        if index == 0:
            warnings.extend(TransformWarning(0, None, "filter", t) for t in config_warnings)
        for field, operator, predicate, target in compiled:
            value = record.get(field)
            try:
                keep = predicate(value)
            except TypeError as exc:
                raise RecordRejected(
                    "filter",
                    f"filter {field} {operator} {target!r}: cannot compare "
                    f"{value!r} ({type(value).__name__}): {exc}",
                    field=field, error_type="TypeError",
                ) from exc
            if not keep:
                return None
        return record
    return filter_step

