"""Simple operations (config-format §4.2, Appendix A) compiled into per-record step functions.

A step is ``step(record, index, warnings) -> record | None``: it may mutate the record (already
a shallow copy owned by the transform), return a new dict, return ``None`` to filter the record
on purpose, or raise ``RecordRejected`` to send it to the dead-letter queue.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from itertools import repeat
from typing import Any

from ..errors import ConfigError, ConfigProblem
from .converters import (
    Converter,
    LossyConversion,
    get_converter,
    result_types,
    token_factory,
)
from .expressions import compile_expression, is_constant
from .filters import compile_filter
from .flatten import compile_flatten
from .results import RecordRejected, TransformWarning

log = logging.getLogger(__name__)

Step = Callable[[dict[str, Any], int, list[TransformWarning]], dict[str, Any] | None]
# batch form of a step: ``batch(records, indices, warnings)`` changes the records in place and
# returns ``{position: RecordRejected}`` for records to reject (or None); it never filters
BatchStep = Callable[[list[dict[str, Any]], list[int], list[TransformWarning]],
                     dict[int, RecordRejected] | None]
_MISSING = object()
_RESULT_TYPE = result_types()


def with_batch(step: Step, batch: BatchStep) -> Step:
    """Attach the batch form to a per-record step (same results, one call per batch)."""
    step.batch = batch  # type: ignore[attr-defined]
    return step


def _problem(key: str, message: str) -> ConfigError:
    return ConfigError([ConfigProblem(file=None, key=f"transform.{key}", message=message)])


def compile_rename(spec: dict[str, str], *, legacy: bool = False) -> Step:
    """v2: remove ``old`` and append ``new`` at the end; 0.0.20: renamed fields come first."""
    pairs = [(str(k), str(v)) for k, v in (spec or {}).items()]
    sources = {old for old, _ in pairs}

    def warn_missing(record: dict[str, Any], warnings: list[TransformWarning]) -> None:
        missing = [old for old, _ in pairs if old not in record]
        if missing:
            text = "rename: field(s) not in the batch's first record: " + ", ".join(missing)
            log.warning(text)
            warnings.append(TransformWarning(0, None, "rename", text))

    if legacy:
        def rename_legacy(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
            if index == 0:
                warn_missing(record, warnings)
            out = {new: record[old] for old, new in pairs if old in record}
            for key, value in record.items():
                if key not in sources and key not in out:
                    out[key] = value
            return out
        return rename_legacy

    def rename(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
        if index == 0:
            warn_missing(record, warnings)
        for old, new in pairs:
            if old in record:
                value = record.pop(old)
                record.pop(new, None)
                record[new] = value
        return record

    def rename_batch(records: list[dict[str, Any]], indices: list[int],
                     warnings: list) -> None:
        if indices and indices[0] == 0:
            warn_missing(records[0], warnings)
        for old, new in pairs:
            for record in records:
                if old in record:
                    value = record.pop(old)
                    record.pop(new, None)
                    record[new] = value
    return with_batch(rename, rename_batch)


def compile_convert(spec: dict[str, str], *, strict: bool, legacy: bool = False) -> Step:
    """Convert fields (§4.3); a failure keeps the value with a warning, or rejects if strict."""
    items = []
    problems = []
    for field, type_name in (spec or {}).items():
        conv = get_converter(type_name, legacy=legacy)
        if conv is None:
            problems.append(ConfigProblem(
                file=None, key=f"transform.convert.{field}",
                message=f"Unsupported target type {type_name!r}",
                hint="use int, float, str, bool, datetime or date"))
        items.append((field, conv, type_name))
    if problems:
        raise ConfigError(problems)

    def convert_one(record: dict[str, Any], field: str, conv: Converter, type_name: str,
                    index: int, warnings: list) -> None:
        """Convert one value; a lossy result is kept with a warning (rejected if strict)."""
        value = record[field]
        try:
            record[field] = conv(value)
            return
        except LossyConversion as exc:
            if not strict:
                record[field] = exc.result
            message = f"lossy conversion of {field}={value!r} to {type_name}: {exc}"
            error = exc
        except (ValueError, TypeError, OverflowError) as exc:
            message = f"cannot convert {field}={value!r} to {type_name}: {exc}"
            error = exc
        if strict:
            raise RecordRejected(
                "convert", message, field=field, error_type=type(error).__name__) from error
        warnings.append(TransformWarning(index, field, "convert", message))

    def convert(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
        for field, conv, type_name in items:
            if record.get(field) is not None:
                convert_one(record, field, conv, type_name, index, warnings)
        return record

    def convert_batch(records: list[dict[str, Any]], indices: list[int],
                      warnings: list) -> dict[int, RecordRejected]:
        rejected: dict[int, RecordRejected] = {}
        for field, conv, type_name in items:
            values = list(map(dict.get, records, repeat(field)))
            kinds = set(map(type, values))
            kinds.discard(type(None))
            if not kinds or kinds == {_RESULT_TYPE.get(conv)}:
                continue  # nothing to convert: conv(x) would return x unchanged
            for pos, value in enumerate(values):
                if value is None or pos in rejected:
                    continue
                try:
                    convert_one(records[pos], field, conv, type_name, indices[pos], warnings)
                except RecordRejected as exc:
                    rejected[pos] = exc
        return rejected
    return with_batch(convert, convert_batch)


def compile_defaults(spec: dict[str, Any]) -> Step:
    """Fill missing/None fields (not ""); ``@now`` tokens give datetimes.

    0.0.20 ``fill_null`` also accepts ``{default: value}``."""
    constants: list[tuple[str, Any]] = []
    computed: list[tuple[str, Callable[[], Any]]] = []
    for field, value in (spec or {}).items():
        if isinstance(value, dict) and list(value) == ["default"]:  # 0.0.20 {default: v}
            value = value["default"]
        factory = token_factory(value)
        if factory is not None:
            computed.append((field, factory))
        else:
            constants.append((field, value))

    def defaults(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
        for field, value in constants:
            if record.get(field) is None:
                record[field] = value
        for field, factory in computed:
            if record.get(field) is None:
                record[field] = factory()
        return record

    def defaults_batch(records: list[dict[str, Any]], indices: list[int],
                       warnings: list) -> None:
        if computed:  # factories run per record in record order (e.g. @now)
            for record in records:
                defaults(record, 0, warnings)
            return
        for field, value in constants:
            if None in map(dict.get, records, repeat(field)):
                for record in records:
                    if record.get(field) is None:
                        record[field] = value
    return with_batch(defaults, defaults_batch)


def compile_add(spec: dict[str, Any]) -> Step:
    """Evaluate expressions in YAML order against the current record; errors skip the field."""
    evaluators = []
    for field, expr in (spec or {}).items():
        try:
            evaluators.append((str(field), compile_expression(expr)))
        except ValueError as exc:  # a malformed arithmetic formula
            raise _problem(f"add.{field}", f"invalid expression {expr!r}: {exc}") from exc

    def add(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
        for field, evaluate in evaluators:
            try:
                record[field] = evaluate(record)
            except Exception as exc:  # evaluation errors are logged, the field skipped (§4.2)
                warnings.append(
                    TransformWarning(index, field, "add", f"{type(exc).__name__}: {exc}"))
        return record

    def add_batch(records: list[dict[str, Any]], indices: list[int], warnings: list) -> None:
        for field, evaluate in evaluators:
            if is_constant(evaluate):
                value = evaluate({})
                for record in records:
                    record[field] = value
                continue
            for record, index in zip(records, indices, strict=True):
                try:
                    record[field] = evaluate(record)
                except Exception as exc:  # the field is skipped (§4.2)
                    warnings.append(
                        TransformWarning(index, field, "add", f"{type(exc).__name__}: {exc}"))
    return with_batch(add, add_batch)


def compile_select(spec: list[str]) -> Step:
    """Keep the listed keys in the record's own order; a record left empty is filtered."""
    keep = frozenset(str(f) for f in (spec or []))

    def select(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any] | None:
        out = {k: v for k, v in record.items() if k in keep}
        return out or None
    return select


def compile_drop(spec: list[str]) -> Step:
    fields = [str(f) for f in (spec or [])]

    def drop(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
        for field in fields:
            record.pop(field, None)
        return record

    def drop_batch(records: list[dict[str, Any]], indices: list[int], warnings: list) -> None:
        for field in fields:
            for record in records:
                record.pop(field, None)
    return with_batch(drop, drop_batch)


def compile_op(op: dict[str, Any], *, strict: bool, dialect: str | None = None) -> Step:
    """Compile one canonical op entry ``{"op": name, "spec": ...}``."""
    name = str(op.get("op", "")).lower()
    spec = op.get("spec")
    legacy = (op.get("dialect") or dialect) == "0.0.20" or name in ("type", "fill_null")
    if name == "rename":
        return compile_rename(_mapping(spec, name), legacy=legacy)
    if name in ("convert", "type"):
        return compile_convert(_mapping(spec, name), strict=strict, legacy=legacy)
    if name in ("defaults", "fill_null"):
        return compile_defaults(_mapping(spec, name))
    if name == "add":
        return compile_add(_mapping(spec, name))
    if name == "select":
        return compile_select(_names(spec, name))
    if name == "drop":
        return compile_drop(_names(spec, name))
    if name == "filter":
        return compile_filter(spec)
    if name == "flatten":
        return compile_flatten(spec if isinstance(spec, list) else _mapping(spec, name))
    raise _problem(name or "<op>", f"unknown transform operation {name!r}")


def _mapping(spec: Any, name: str) -> dict[str, Any]:
    if spec is None:
        return {}
    if not isinstance(spec, dict):
        raise _problem(name, f"expected a mapping, got {type(spec).__name__}")
    return spec


def _names(spec: Any, name: str) -> list[str]:
    if spec is None:
        return []
    if isinstance(spec, str):
        return [spec]
    if not isinstance(spec, list | tuple):
        raise _problem(name, f"expected a list of field names, got {type(spec).__name__}")
    return list(spec)
