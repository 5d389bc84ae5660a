"""When a pipeline may take the Arrow columnar fast path, and the ops it then runs.

``columnar_plan`` returns a :class:`ColumnarPlan` only for pipelines whose every stage has an
exact column-wise equivalent: a local CSV/TSV/Parquet source, simple ops (rename, convert to
int/float/str/bool/date/datetime, add of the expressions columnar/expressions.py translates,
drop, select, filter, defaults of constants), at most a record-mode JSONata ``$merge([$, {...}])``
the columnar subset translates, no custom function or 0.0.20 dialect, and a file target
(parquet/csv/jsonl/json) or a SQLite ``insert``. A data contract is checked by column when
``ContractValidator.by_columns`` (``run_columnar`` decides). Anything else returns None and
the ordinary dict path runs. Even with a plan each batch falls back to the dict path when it
cannot be reproduced exactly (see arrow_ops).
``PYCHARTER_COLUMNAR=0`` disables the fast path.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..transformers.converters import (
    get_converter,
    to_bool,
    to_date,
    to_datetime,
    to_float,
    to_int,
    to_str,
    token_factory,
)

ENV_SWITCH = "PYCHARTER_COLUMNAR"
SOURCE_FORMATS = ("csv", "tsv", "parquet")
FILE_TARGETS = ("parquet", "csv", "jsonl", "json")
_CONVERTERS = {to_int: "int", to_float: "float", to_str: "str", to_bool: "bool",
               to_date: "date", to_datetime: "datetime"}
_CONSTANT_TYPES = (str, int, float, bool, type(None))
_INT64 = (-(2 ** 63), 2 ** 63)


@dataclass(frozen=True)
class Op:
    """One column-wise op: ``kind`` rename|convert|add|drop|select and its arguments."""

    kind: str
    args: tuple[Any, ...]


@dataclass
class ColumnarPlan:
    """What the columnar runner needs: source format, ops in order, target kind."""

    source_format: str  # csv | tsv | parquet (each file of a glob is checked at run start)
    ops: list[Op] = field(default_factory=list)
    target: str = "file"  # "file" | "database"
    # record-mode JSONata ``$merge([$, {...}])``: table -> fields (jsonata_columnar.compile_table)
    jsonata: Callable[[Any], Any] | None = None


def enabled() -> bool:
    """False when ``PYCHARTER_COLUMNAR=0`` (or false/no/off) switches the fast path off."""
    return os.environ.get(ENV_SWITCH, "1").strip().lower() not in ("0", "false", "no", "off")


def _source_format(extract: dict[str, Any]) -> str | None:
    """The source format when it is one the fast path reads, else None."""
    from ..readers import detect_format

    if extract.get("type") != "file":
        return None
    path = str(extract.get("path") or "")
    if not path:
        return None
    try:
        fmt = detect_format(path, extract.get("format"),
                            lines=(extract.get("json_options") or {}).get("lines"))
    except Exception:  # unknown extension (e.g. 'data/*'): each file would decide
        return None
    return fmt if fmt in SOURCE_FORMATS else None


def _convert_op(spec: Any) -> Op | None:
    if not isinstance(spec, dict):
        return None
    items = []
    for name, type_name in spec.items():
        conv = get_converter(str(type_name))
        if conv not in _CONVERTERS:
            return None  # unknown: dict path
        items.append((str(name), _CONVERTERS[conv]))
    return Op("convert", tuple(items))


def _add_op(spec: Any) -> Op | None:
    """``(field, table -> column)`` per expression (columnar/expressions.py), or None."""
    from .expressions import compile_add

    if not isinstance(spec, dict):
        return None
    items = []
    for name, expr in spec.items():
        evaluate = compile_add(expr)
        if evaluate is None:
            return None
        items.append((str(name), evaluate))
    return Op("add", tuple(items))


def _constant_ok(value: Any) -> bool:
    """A constant the Arrow ops can hold exactly (int64 range, no ``@now`` token)."""
    if type(value) not in _CONSTANT_TYPES or token_factory(value) is not None:
        return False
    return type(value) is not int or _INT64[0] <= value < _INT64[1]


def _filter_op(spec: Any) -> Op | None:
    """Conditions ``(field, operator, value)``; None for anything the dict path warns about."""
    from ..transformers.filters import OPERATORS

    items = []
    for cond in spec if isinstance(spec, list) else [spec]:
        if not isinstance(cond, dict) or not cond.get("field"):
            return None
        operator = str(cond.get("operator", "eq")).lower()
        value = cond.get("value")
        options = value if isinstance(value, list | tuple) else [value]
        if operator not in OPERATORS or not all(map(_constant_ok, options)):
            return None
        items.append((str(cond["field"]), operator, value))
    return Op("filter", tuple(items))


def _defaults_op(spec: Any) -> Op | None:
    if not isinstance(spec, dict) or not all(map(_constant_ok, spec.values())):
        return None
    return Op("defaults", tuple((str(k), v) for k, v in spec.items()))


def _names(spec: Any) -> tuple[str, ...] | None:
    if spec is None:
        return ()
    if isinstance(spec, str):
        return (spec,)
    if isinstance(spec, (list, tuple)):
        return tuple(str(s) for s in spec)
    return None


def _jsonata(transform: dict[str, Any]) -> tuple[bool, Callable[[Any], Any] | None]:
    """``(ok, table evaluator)``: no JSONata stage, or a record-mode expression the columnar
    subset evaluates over a table; ``ok`` is False for any other JSONata."""
    cfg = transform.get("jsonata") or {}
    expression = str(cfg.get("expression") or "").strip()
    if not expression:
        return True, None
    if str(cfg.get("mode") or "batch").lower() != "record":
        return False, None
    import jsonata

    from ..transformers.jsonata_columnar import compile_table

    evaluate = compile_table(jsonata.Jsonata(expression))
    return evaluate is not None, evaluate


def _ops(transform: dict[str, Any]) -> list[Op] | None:
    if transform.get("custom_function"):
        return None
    if transform.get("dialect"):
        return None
    ops: list[Op] = []
    for entry in transform.get("ops") or []:
        name = str(entry.get("op", "")).lower()
        spec = entry.get("spec")
        if entry.get("dialect"):
            return None
        op: Op | None
        if name == "rename":
            if spec is not None and not isinstance(spec, dict):
                return None
            op = Op("rename", tuple((str(k), str(v)) for k, v in (spec or {}).items()))
        elif name == "convert":
            op = _convert_op(spec or {})
        elif name == "add":
            op = _add_op(spec or {})
        elif name in ("drop", "select"):
            names = _names(spec)
            op = None if names is None else Op(name, names)
        elif name == "filter":
            op = _filter_op(spec)
        elif name == "defaults":
            op = _defaults_op(spec)
        else:  # flatten, type, fill_null, unknown
            return None
        if op is None:
            return None
        ops.append(op)
    return ops


def _target(load: dict[str, Any]) -> str | None:
    kind = load.get("type", "file")
    if kind == "file":
        return "file" if str(load.get("format") or "").lower() in FILE_TARGETS else None
    if kind == "database":
        url = str(load.get("url") or "")
        if url.startswith("sqlite") and load.get("write_method", "insert") == "insert":
            return "database"
    return None


def columnar_plan(config: Any) -> ColumnarPlan | None:
    """The fast-path plan for a ``PipelineConfig``, or None when the dict path must run."""
    if not enabled():
        return None
    try:
        extract = config.extract or {}
        fmt = _source_format(extract)
        if fmt is None:
            return None
        if (extract.get("incremental") or extract.get("validation")
                or extract.get("response_path")):
            return None
        ops = _ops(config.transform or {})
        if ops is None:
            return None
        jsonata_ok, jsonata_fields = _jsonata(config.transform or {})
        if not jsonata_ok:
            return None
        target = _target(config.load or {})
        if target is None:
            return None
    except Exception:  # an unexpected config shape: never risk the fast path
        return None
    return ColumnarPlan(source_format=fmt, ops=ops, target=target, jsonata=jsonata_fields)
