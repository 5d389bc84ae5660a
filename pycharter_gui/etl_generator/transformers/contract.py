"""Optional data-contract validation: coercion rules, JSON Schema, simple validation rules.

``ContractValidator(contract).validate(records) -> (valid, rejected)``. Coercion uses the
``convert`` converters (config-format §4.3); a coercion that fails leaves the value for the
schema/rules to judge. JSON Schema checking uses the ``jsonschema`` package.

A batch is screened column by column first (:class:`~.schema_screen.SchemaScreen`), and only
the records the screen flags get the full per-record error list, so messages are exactly those
of ``iter_errors`` at a fraction of the cost.
"""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ConfigProblem
from .converters import get_converter
from .results import VALIDATION_ERROR, RejectedRecord
from .schema_screen import SchemaScreen, json_schema_view

if TYPE_CHECKING:
    import pyarrow as pa

STEP = "validate"
_RULE_ALIASES = {"minimum": "min", "maximum": "max", "allowed_values": "enum",
                 "required": "not_null", "minLength": "min_length", "maxLength": "max_length"}


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
        if self.schema is not None:
            import jsonschema  # only pipelines with a schema pay its import (~40 ms)

            cls = jsonschema.validators.validator_for(self.schema)
            try:
                cls.check_schema(self.schema)
            except jsonschema.SchemaError as exc:
                problems.append(
                    ConfigProblem(None, "schema", f"invalid JSON Schema: {exc.message}"))
            else:
                self._schema_validator = cls(self.schema)
        self._screen = (None if self._schema_validator is None
                        else SchemaScreen(self.schema, self._schema_validator))
        if problems:
            raise ConfigError(problems)

    def validate(self, records: list[dict[str, Any]]
                 ) -> tuple[list[dict[str, Any]], list[RejectedRecord]]:
        """``(valid records, rejected)``; a rejected record keeps its original values."""
        coerced = list(map(self._coerce, records)) if self.coercions else records
        if self._screen is not None and not self.rules:
            return self._validate_screened(records, coerced)
        valid: list[dict[str, Any]] = []
        rejected: list[RejectedRecord] = []
        seen: dict[str, set[Any]] = {}
        suspects = None if self._screen is None else self._screen.suspects(coerced)
        for index, source in enumerate(records):
            record = coerced[index]
            errors = (self._schema_errors(record)
                      if suspects is None or index in suspects else [])
            errors += self._rule_errors(record, seen)
            if errors:
                rejected.append(_rejection(index, source, errors))
            else:
                valid.append(record)
        return valid, rejected

    @property
    def by_columns(self) -> bool:
        """True when :meth:`validate_table` applies: a schema alone, screened column by column
        with no per-record residual (no coercion or validation rules)."""
        return (self._screen is not None and self._screen.residual is None
                and not self.rules and not self.coercions)

    def validate_table(self, table: pa.Table) -> tuple[pa.Table, list[RejectedRecord]]:
        """:meth:`validate` of the records an Arrow table holds (``by_columns`` contracts):
        ``(valid rows, rejected)``; records are built only for the rows the screen flags."""
        rejected: list[RejectedRecord] = []
        suspects = sorted(self._screen.table_suspects(table))
        if suspects:
            rows = table.take(suspects).to_pylist()
            for index, record in zip(suspects, rows, strict=True):
                errors = self._schema_errors(record)
                if errors:
                    rejected.append(_rejection(index, record, errors))
        if rejected:
            keep = [True] * table.num_rows
            for r in rejected:
                keep[r.index] = False
            table = table.filter(keep)
        return table, rejected

    def _validate_screened(self, records: list[dict[str, Any]], coerced: list[dict[str, Any]]
                           ) -> tuple[list[dict[str, Any]], list[RejectedRecord]]:
        """Schema only: the exact error list is built just for the records the screen flags."""
        rejected: list[RejectedRecord] = []
        for index in sorted(self._screen.suspects(coerced)):
            errors = self._schema_errors(coerced[index])
            if errors:
                rejected.append(_rejection(index, records[index], errors))
        if not rejected:
            return list(coerced), rejected
        dead = {r.index for r in rejected}
        return [r for i, r in enumerate(coerced) if i not in dead], rejected

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
        view = json_schema_view(record)
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


def _rejection(index: int, source: dict[str, Any], errors: list[tuple[str | None, str]]
               ) -> RejectedRecord:
    """The dead letter of one record: its first error, then a count and list of the others."""
    field, message = errors[0]
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more: " + "; ".join(m for _, m in errors[1:]) + ")"
    return RejectedRecord(index, source, STEP, VALIDATION_ERROR, message, "ValidationError", field)


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
