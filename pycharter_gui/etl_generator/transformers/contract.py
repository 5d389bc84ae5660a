"""Optional data-contract validation: coercion rules, JSON Schema, simple validation rules.

``ContractValidator(contract).validate(records) -> (valid, rejected)``. Coercion uses the
``convert`` converters (config-format §4.3); a coercion that fails leaves the value for the
schema/rules to judge. JSON Schema checking uses the ``jsonschema`` package.

A batch is screened column by column first (:class:`_SchemaScreen`: type,
required, enum, bounds, lengths, pattern over each property's values, the remaining keywords
with the compiled validator per record), and only the records the screen flags get the full
per-record error list, so messages are exactly those of ``iter_errors`` at a fraction of the
cost.
"""

from __future__ import annotations

import contextlib
import operator
import re
from datetime import date, datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError, ConfigProblem
from .converters import get_converter
from .results import VALIDATION_ERROR, RejectedRecord

if TYPE_CHECKING:
    import pyarrow as pa

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
                        else _SchemaScreen(self.schema, self._schema_validator))
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
        view = _jsonable(record)
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


_PLAIN = frozenset({str, int, float, bool, type(None)})
_ABSENT = object()  # a property the record does not have (its keywords do not apply)
_SCREENED = frozenset({"type", "enum", "minimum", "maximum", "exclusiveMinimum",
                       "exclusiveMaximum", "minLength", "maxLength", "pattern"})
# keywords without effect on validity here (``format`` asserts nothing without a format checker,
# and ContractValidator builds its validator without one)
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "format",
                          "readOnly", "writeOnly", "deprecated", "$id", "$schema"})
_MODERN_DRAFTS = ("Draft6Validator", "Draft7Validator", "Draft201909Validator",
                  "Draft202012Validator")
_BOUNDS = (("minimum", operator.lt), ("maximum", operator.gt),
           ("exclusiveMinimum", operator.le), ("exclusiveMaximum", operator.ge))


class _SchemaScreen:
    """Finds, column by column, a superset of the records a JSON Schema rejects.

    Top-level ``required`` and the screened keywords of each top-level property are checked over
    the batch's values with the validator's own type rules; a property (or a schema) using any
    other keyword is checked by a validator compiled once for just that part, per record. A
    record may be flagged and still be valid (the exact per-record check then finds no error);
    a record that is not flagged is valid.
    """

    def __init__(self, schema: dict[str, Any], validator: Any) -> None:
        self._is_type = validator.is_type
        self.required: list[str] = []
        self.columns: list[tuple[str, dict[str, Any]]] = []
        residual: dict[str, Any] | None = schema
        props = schema.get("properties", {})
        required = schema.get("required", [])
        if (type(validator).__name__ in _MODERN_DRAFTS
                and set(schema) <= {"type", "required", "properties"} | _ANNOTATIONS
                and schema.get("type", "object") in ("object", ["object"])
                and isinstance(props, dict) and isinstance(required, list)
                and all(isinstance(n, str) for n in required)):
            self.required = list(dict.fromkeys(required))
            rest = {}
            for name, sub in props.items():
                if isinstance(sub, dict) and set(sub) <= _SCREENED | _ANNOTATIONS:
                    self.columns.append((name, sub))
                else:
                    rest[name] = sub
            residual = None
            if rest:
                residual = {"properties": rest}
                if "$schema" in schema:
                    residual["$schema"] = schema["$schema"]
        self.residual = None if residual is None else type(validator)(residual)

    def suspects(self, records: list[dict[str, Any]]) -> set[int]:
        """Positions of the records that may break the schema."""
        out: set[int] = set()
        for name in self.required:
            if not all(map(dict.__contains__, records, repeat(name))):
                out.update(i for i, r in enumerate(records) if name not in r)
        for name, sub in self.columns:
            out.update(self._column(list(map(dict.get, records, repeat(name), repeat(_ABSENT))),
                                    sub))
        if self.residual is not None:
            is_valid = self.residual.is_valid
            out.update(i for i, r in enumerate(records) if not is_valid(_jsonable(r)))
        return out

    def table_suspects(self, table: pa.Table) -> set[int]:
        """:meth:`suspects` of an Arrow table's rows (no residual validator): Arrow compute for
        plain columns, the value-list checks for the others."""
        import pyarrow.compute as pc

        n = table.num_rows
        names = set(table.column_names)
        if any(name not in names for name in self.required):
            return set(range(n))  # every record lacks the key
        out: set[int] = set()
        for name, sub in self.columns:
            if name not in names:
                continue  # absent everywhere: the property's keywords do not apply
            arr = table.column(name).combine_chunks()
            mask = self._arrow_column(arr, sub)
            if mask is None:
                out.update(self._column(_pylist(arr), sub))
            elif mask.true_count:
                out.update(pc.indices_nonzero(mask).to_pylist())
        return out

    def _arrow_column(self, arr: pa.Array, sub: dict[str, Any]) -> pa.Array | None:
        """Rows of a plain column that may fail ``sub`` (a superset), or None when the column or
        a keyword needs the value-list check."""
        import pyarrow as pa
        import pyarrow.compute as pc

        kind = _ARROW_KINDS.get(str(arr.type))
        if kind is None or set(sub) & {"enum", "pattern"}:
            return None
        if kind is float and pc.any(pc.is_nan(arr)).as_py():
            return None
        mask = pa.repeat(False, len(arr))
        types = sub.get("type")
        if types is not None:
            names = types if isinstance(types, list) else [types]
            if kind is float and "integer" in names and "number" not in names:
                return None  # 1.0 is an integer for JSON Schema: per value
            samples = [(kind, pc.is_valid(arr))] if kind is not type(None) else []
            if arr.null_count:
                samples.append((type(None), pc.is_null(arr)))
            for value_kind, rows in samples:
                sample = _SAMPLES[value_kind]
                if not any(self._is_type(sample, t) for t in names):
                    mask = pc.or_(mask, rows)
        if kind in (int, float):
            for keyword, _ in _BOUNDS:
                if keyword not in sub:
                    continue
                limit = sub[keyword]
                if type(limit) not in (int, float) or not _exact_against(arr, kind, limit):
                    return None
                fails = pc.fill_null(getattr(pc, _ARROW_BOUNDS[keyword])(arr, limit), False)
                mask = pc.or_(mask, fails)
        if kind is str and ("minLength" in sub or "maxLength" in sub):
            lengths = pc.utf8_length(arr)
            for keyword, compare in (("minLength", pc.less), ("maxLength", pc.greater)):
                if keyword in sub:
                    if type(sub[keyword]) is not int:
                        return None
                    mask = pc.or_(mask, pc.fill_null(compare(lengths, sub[keyword]), False))
        return mask

    def _column(self, values: list[Any], sub: dict[str, Any]) -> list[int]:
        """Positions whose value (one property's, over the batch) may fail ``sub``."""
        kinds = set(map(type, values))
        dense = object not in kinds  # no _ABSENT: the fast whole-column checks apply
        kinds.discard(object)  # _ABSENT: the property's keywords do not apply
        if not kinds:
            return []
        bad: list[int] = []
        if not kinds <= _PLAIN:  # dates are ISO strings for the schema; others: per record
            odd = kinds - _PLAIN
            values = [_jsonable(v) if type(v) in odd else v for v in values]
            odd = set(map(type, values)) - _PLAIN - {object}
            if odd:
                bad += [i for i, v in enumerate(values) if type(v) in odd]
                values = [_ABSENT if type(v) in odd else v for v in values]
            kinds = set(map(type, values))
            dense = object not in kinds
            kinds.discard(object)
        types = sub.get("type")
        if types is not None:
            names = types if isinstance(types, list) else [types]
            is_type = self._is_type
            for kind in kinds:
                sample = next(v for v in values if type(v) is kind)
                if kind is float and "integer" in names and "number" not in names:
                    bad += [i for i, v in enumerate(values) if type(v) is float
                            and not any(is_type(v, t) for t in names)]
                elif not any(is_type(sample, t) for t in names):
                    bad += [i for i, v in enumerate(values) if type(v) is kind]
        if "enum" in sub:
            bad += _enum_failures(values, sub["enum"])
        numbers = {k for k in kinds if k is int or k is float}
        for keyword, fails in _BOUNDS:
            if keyword in sub and numbers:
                limit = sub[keyword]
                if dense and kinds <= numbers and not any(map(fails, values, repeat(limit))):
                    continue  # the common case, decided in one C-level pass
                bad += [i for i, v in enumerate(values) if type(v) in numbers and fails(v, limit)]
        if str in kinds:
            lengths = list(map(len, values)) if dense and kinds == {str} else None
            if "minLength" in sub:
                low = sub["minLength"]
                if lengths is None or min(lengths) < low:
                    bad += [i for i, v in enumerate(values) if type(v) is str and len(v) < low]
            if "maxLength" in sub:
                high = sub["maxLength"]
                if lengths is None or max(lengths) > high:
                    bad += [i for i, v in enumerate(values) if type(v) is str and len(v) > high]
            if "pattern" in sub:
                search = re.compile(sub["pattern"]).search
                misses = {v for v in set(values) if type(v) is str and not search(v)}
                if misses:
                    bad += [i for i, v in enumerate(values) if type(v) is str and v in misses]
        return bad


def _pylist(arr: pa.Array) -> list[Any]:
    """``arr.to_pylist()``; a dense union (the columnar path's mixed int/float column) is read
    through its children, ~4x faster than pyarrow's per-value scalars."""
    import pyarrow as pa

    t = arr.type
    if not pa.types.is_union(t) or t.mode != "dense" or list(t.type_codes) != list(range(t.num_fields)):
        return arr.to_pylist()
    children = [arr.field(i).to_pylist() for i in range(t.num_fields)]
    return [children[c][o] for c, o in zip(arr.type_codes.to_pylist(), arr.offsets.to_pylist(),
                                            strict=True)]


_ARROW_KINDS = {"int64": int, "double": float, "string": str, "bool": bool,
                "null": type(None)}
_SAMPLES = {int: 0, float: 0.5, str: "", bool: False, type(None): None}
_ARROW_BOUNDS = {"minimum": "less", "maximum": "greater", "exclusiveMinimum": "less_equal",
                 "exclusiveMaximum": "greater_equal"}  # pyarrow.compute functions


def _exact_against(arr: pa.Array, kind: type, limit: int | float) -> bool:
    """Arrow compares the column with ``limit`` exactly as Python does (no int/double
    rounding beyond 2**53)."""
    import pyarrow.compute as pc

    if kind is type(limit):
        return True
    if kind is float:  # an int limit becomes a double
        return abs(limit) <= 2 ** 53
    extremes = pc.min_max(arr)  # int values become doubles
    lo, hi = extremes["min"].as_py(), extremes["max"].as_py()
    return lo is None or (abs(lo) <= 2 ** 53 and abs(hi) <= 2 ** 53)


def _enum_failures(values: list[Any], enum: Any) -> list[int]:
    """Positions whose value is not in ``enum`` (jsonschema's ``equal``: True is not 1)."""
    if isinstance(enum, list) and all(type(e) is str for e in enum):
        allowed = set(enum)  # a non-string never equals a string
        return [i for i, v in enumerate(values)
                if v is not _ABSENT and (type(v) is not str or v not in allowed)]
    from jsonschema._utils import equal

    options = enum if isinstance(enum, list) else [enum]
    return [i for i, v in enumerate(values)
            if v is not _ABSENT and not any(equal(e, v) for e in options)]
