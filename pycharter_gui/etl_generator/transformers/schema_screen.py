"""Screening a batch against a JSON Schema column by column, before the exact check.

:class:`SchemaScreen` finds a superset of the records a schema rejects: top-level ``required``
and the plain keywords of each top-level property (type, enum, bounds, lengths, pattern) are
checked over each property's values at once (Arrow compute for an Arrow table's plain
columns), the remaining keywords by a validator compiled for just that part. Only the records
it flags need ``iter_errors``, which is what ``ContractValidator`` reports; a record it does
not flag is valid.
"""

from __future__ import annotations

import operator
import re
from datetime import date, datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa


def json_schema_view(value: Any) -> Any:
    """View of a record for JSON Schema: dates as ISO strings (what the loaders write)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_schema_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_schema_view(v) for v in value]
    return value


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


class SchemaScreen:
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
            out.update(i for i, r in enumerate(records) if not is_valid(json_schema_view(r)))
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

        from ..arrow_scalars import FALSE, arrow_scalar

        kind = _ARROW_KINDS.get(str(arr.type))
        if kind is None or set(sub) & {"enum", "pattern"}:
            return None
        if kind is float and pc.any(pc.is_nan(arr)).as_py():
            return None
        mask = pa.repeat(FALSE, len(arr))
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
                fails = pc.fill_null(
                    getattr(pc, _ARROW_BOUNDS[keyword])(arr, arrow_scalar(limit)), FALSE)
                mask = pc.or_(mask, fails)
        if kind is str and ("minLength" in sub or "maxLength" in sub):
            lengths = pc.utf8_length(arr)
            for keyword, compare in (("minLength", pc.less), ("maxLength", pc.greater)):
                if keyword in sub:
                    if type(sub[keyword]) is not int:
                        return None
                    mask = pc.or_(mask, pc.fill_null(
                        compare(lengths, arrow_scalar(sub[keyword])), FALSE))
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
            values = [json_schema_view(v) if type(v) in odd else v for v in values]
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


__all__ = ["SchemaScreen", "json_schema_view"]
