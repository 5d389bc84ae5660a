"""Optional data-contract validation: coercion rules, JSON Schema, simple validation rules.

``ContractValidator(contract).validate(records) -> (valid, rejected)``. Coercion uses the
``convert`` converters (config-format §4.3); a coercion that fails leaves the value for the
schema/rules to judge. JSON Schema checking uses the ``jsonschema`` package when installed and a
small fallback (type, required, enum, minimum/maximum, lengths, pattern) otherwise.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date, datetime
from typing import Any

from ..errors import ConfigError, ConfigProblem
from .converters import get_converter
from .results import VALIDATION_ERROR, RejectedRecord

_UNLOADED = object()
_jsonschema: Any = _UNLOADED  # the jsonschema module (None: not installed), loaded on first use


def _schema_library() -> Any:
    """jsonschema, imported only by pipelines with a schema (~40 ms); None when missing."""
    global _jsonschema
    if _jsonschema is _UNLOADED:
        try:
            import jsonschema
        except ImportError:  # pragma: no cover - a declared dependency; the fallback remains
            jsonschema = None
        _jsonschema = jsonschema
    return _jsonschema


STEP = "validate"
_RULE_ALIASES = {"minimum": "min", "maximum": "max", "allowed_values": "enum",
                 "required": "not_null", "minLength": "min_length", "maxLength": "max_length"}


def _jsonable(value: Any) -> Any:
    """View of a record for JSON Schema: dates as ISO strings (what the loaders write)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


class ContractValidator:
    """Validate records against a contract dict: ``schema``, ``coercion_rules``,
    ``validation_rules`` ({field: {min, max, min_length, max_length, pattern, enum, not_null,
    unique}})."""

    def __init__(self, contract: dict[str, Any] | None) -> None:
        contract = contract or {}
        self.schema: dict[str, Any] | None = contract.get("schema") or None
        problems: list[ConfigProblem] = []
        self.coercions = []
        for field, type_name in (contract.get("coercion_rules") or {}).items():
            conv = get_converter(type_name)
            if conv is None:
                problems.append(ConfigProblem(None, f"coercion_rules.{field}",
                                              f"Unsupported target type {type_name!r}"))
            self.coercions.append((field, conv))
        self.rules: list[tuple[str, str, Any]] = []
        for field, rules in (contract.get("validation_rules") or {}).items():
            for rule, value in (rules or {}).items():
                name = _RULE_ALIASES.get(rule, rule)
                if name not in ("min", "max", "min_length", "max_length", "pattern", "enum",
                                "not_null", "unique"):
                    problems.append(ConfigProblem(None, f"validation_rules.{field}.{rule}",
                                                  f"unknown validation rule {rule!r}"))
                    continue
                if name == "pattern":
                    try:
                        value = re.compile(str(value))
                    except re.error as exc:
                        problems.append(ConfigProblem(None, f"validation_rules.{field}.{rule}",
                                                      f"invalid regular expression: {exc}"))
                        continue
                self.rules.append((field, name, value))
        self._schema_validator = None
        jsonschema = _schema_library() if self.schema is not None else None
        if self.schema is not None and jsonschema is not None:
            cls = jsonschema.validators.validator_for(self.schema)
            try:
                cls.check_schema(self.schema)
            except jsonschema.SchemaError as exc:
                problems.append(
                    ConfigProblem(None, "schema", f"invalid JSON Schema: {exc.message}"))
            else:
                self._schema_validator = cls(self.schema)
        if problems:
            raise ConfigError(problems)

    def validate(self, records: list[dict[str, Any]]
                 ) -> tuple[list[dict[str, Any]], list[RejectedRecord]]:
        valid: list[dict[str, Any]] = []
        rejected: list[RejectedRecord] = []
        seen: dict[str, set[Any]] = {}
        for index, source in enumerate(records):
            record = self._coerce(source)
            errors = self._schema_errors(record) + self._rule_errors(record, seen)
            if errors:
                field, message = errors[0]
                if len(errors) > 1:
                    message += f" (and {len(errors) - 1} more: " + "; ".join(
                        m for _, m in errors[1:]) + ")"
                rejected.append(RejectedRecord(
                    index, source, STEP, VALIDATION_ERROR, message, "ValidationError", field))
            else:
                valid.append(record)
        return valid, rejected

    def _coerce(self, source: dict[str, Any]) -> dict[str, Any]:
        if not self.coercions:
            return source
        record = dict(source)
        for field, conv in self.coercions:
            value = record.get(field)
            if value is None or conv is None:
                continue
            # a failed coercion is left for the schema / rules to reject with a clear message
            with contextlib.suppress(ValueError, TypeError, OverflowError):
                record[field] = conv(value)
        return record

    def _schema_errors(self, record: dict[str, Any]) -> list[tuple[str | None, str]]:
        if self.schema is None:
            return []
        view = _jsonable(record)
        if self._schema_validator is None:
            return _fallback_schema_errors(self.schema, view)
        out = []
        for err in sorted(self._schema_validator.iter_errors(view), key=lambda e: list(e.path)):
            field = ".".join(str(p) for p in err.path) or None
            if err.validator == "required":
                match = re.match(r"'([^']+)' is a required property", err.message)
                field = match.group(1) if match else field
            out.append((field, f"{field or '<record>'}: {err.message} (schema rule "
                               f"'{err.validator}')"))
        return out

    def _rule_errors(self, record: dict[str, Any], seen: dict[str, set[Any]]
                     ) -> list[tuple[str | None, str]]:
        out: list[tuple[str | None, str]] = []
        for field, rule, limit in self.rules:
            value = record.get(field)
            problem = _check_rule(rule, limit, value, field, seen)
            if problem:
                out.append((field, f"{field}: {problem} (rule '{rule}')"))
        return out


def _check_rule(rule: str, limit: Any, value: Any, field: str, seen: dict) -> str | None:
    if rule == "not_null":
        return "is missing or null" if limit and value is None else None
    if value is None:
        return None
    try:
        if rule == "min" and value < limit:
            return f"{value!r} is less than the minimum {limit!r}"
        if rule == "max" and value > limit:
            return f"{value!r} is greater than the maximum {limit!r}"
    except TypeError:
        return f"{value!r} cannot be compared with {limit!r}"
    if rule == "min_length" and len(str(value)) < int(limit):
        return f"{value!r} is shorter than {limit} characters"
    if rule == "max_length" and len(str(value)) > int(limit):
        return f"{value!r} is longer than {limit} characters"
    if rule == "pattern" and not limit.search(str(value)):
        return f"{value!r} does not match the pattern {limit.pattern!r}"
    if rule == "enum" and value not in (limit if isinstance(limit, list) else [limit]):
        return f"{value!r} is not one of {limit!r}"
    if rule == "unique" and limit:
        values = seen.setdefault(field, set())
        key = repr(value)
        if key in values:
            return f"{value!r} is a duplicate in this batch"
        values.add(key)
    return None


_TYPES = {"string": str, "integer": int, "number": int | float, "boolean": bool,
          "object": dict, "array": list, "null": type(None)}


def _fallback_schema_errors(schema: dict[str, Any], record: dict[str, Any]
                            ) -> list[tuple[str | None, str]]:
    """Minimal JSON Schema subset used when ``jsonschema`` is not installed."""
    out: list[tuple[str | None, str]] = []
    for name in schema.get("required", []):
        if name not in record:
            out.append((name, f"{name}: '{name}' is a required property (schema rule 'required')"))
    for name, prop in (schema.get("properties") or {}).items():
        if name not in record:
            continue
        value = record[name]
        types = prop.get("type")
        if types:
            names = types if isinstance(types, list) else [types]
            ok = any(isinstance(value, _TYPES.get(t, object))
                     and not (t in ("integer", "number") and isinstance(value, bool))
                     for t in names)
            if not ok:
                out.append(
                    (name, f"{name}: {value!r} is not of type {types!r} (schema rule 'type')"))
                continue
        rules = [("enum", prop.get("enum")), ("min", prop.get("minimum")),
                 ("max", prop.get("maximum")), ("min_length", prop.get("minLength")),
                 ("max_length", prop.get("maxLength"))]
        if prop.get("pattern") is not None:
            rules.append(("pattern", re.compile(prop["pattern"])))
        for rule, limit in rules:
            if limit is None:
                continue
            problem = _check_rule(rule, limit, value, name, {})
            if problem:
                out.append((name, f"{name}: {problem} (schema rule '{rule}')"))
    return out
