"""Column profiling for previews: display types, per-column summaries, contract marks."""

from __future__ import annotations

import contextlib
import functools
import json
import math
from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import chain, repeat
from typing import Any

Record = dict[str, Any]
ROW_KEY = "__pycharter_preview_row__"  # hidden tag mapping transformed rows to their source row


def columns_of(records: list[Record]) -> list[str]:
    """Column names in first-seen order over all records (keys gathered in C, not per cell)."""
    seen = dict.fromkeys(chain.from_iterable(rec for rec in records if isinstance(rec, dict)))
    seen.pop(ROW_KEY, None)
    return list(seen)


# -- column types and summaries -----------------------------------------------------------
@functools.cache
def _type_name(kind: type) -> str:
    """Display type name of the Python type ``kind`` (subclasses as their base)."""
    for base, name in ((type(None), "null"), (bool, "bool"), (int, "int"), (float, "float"),
                       (datetime, "datetime"), (date, "date"), (dict, "object"), (list, "list"),
                       (tuple, "list"), (str, "str")):
        if issubclass(kind, base):
            return name
    return kind.__name__


def value_type(value: Any) -> str:
    """Display type name of one value."""
    return _type_name(type(value))


def type_of_kinds(kinds: Set[str]) -> str:
    """One type for a column from the type names of its values: ``int``, ``float``
    (int+float), ``mixed``, or ``null`` if it holds no value."""
    present = set(kinds) - {"null"}
    if not present:
        return "null"
    if present == {"int", "float"}:
        return "float"
    return present.pop() if len(present) == 1 else "mixed"


def infer_column_type(values: Iterable[Any]) -> str:
    """One type for a column of ``values`` (see ``type_of_kinds``)."""
    return type_of_kinds({_type_name(t) for t in set(map(type, values))})


@dataclass
class BatchProfile:
    """The columns (first-seen order) of some records and the type names of each column's
    values. Profiles of successive batches merge, so a column's type reflects every row seen
    while each batch is profiled once: O(batch), not O(all rows), per batch."""

    columns: list[str] = field(default_factory=list)
    kinds: dict[str, set[str]] = field(default_factory=dict)

    def merge(self, other: BatchProfile) -> list[str]:
        """Add ``other`` into this profile; returns the columns that are new here."""
        new = [c for c in other.columns if c not in self.kinds]
        self.columns.extend(new)
        for column, kinds in other.kinds.items():
            self.kinds.setdefault(column, set()).update(kinds)
        return new

    def column_type(self, column: str) -> str:
        return type_of_kinds(self.kinds.get(column, set()))


def profile_batch(records: list[Record]) -> BatchProfile:
    """Columns and value types of ``records`` (a missing key counts as null). Cheap enough to
    run per batch: the per-cell work is done by ``map``/``set`` in C."""
    dicts = [rec for rec in records if isinstance(rec, dict)]
    columns = columns_of(dicts)
    return BatchProfile(columns, {
        c: {_type_name(t) for t in set(map(type, map(dict.get, dicts, repeat(c))))} for c in columns})


@dataclass
class ColumnSummary:
    """What the column-summary popup shows."""

    name: str
    type: str
    count: int
    nulls: int
    distinct: int
    minimum: Any = None
    maximum: Any = None
    histogram: list[tuple[str, int]] = field(default_factory=list)  # (label, count)


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value


def summarize_column(records: list[Record], name: str, bins: int = 10) -> ColumnSummary:
    """Nulls, distinct count, min/max and a small histogram of one column on the sample."""
    values = [rec.get(name) if isinstance(rec, dict) else None for rec in records]
    present = [v for v in values if v is not None]
    ctype = infer_column_type(values)
    summary = ColumnSummary(name, ctype, len(values), len(values) - len(present),
                            len({_hashable(v) for v in present}))
    numbers = [float(v) for v in present if isinstance(v, int | float) and not isinstance(v, bool)
               and not (isinstance(v, float) and math.isnan(v))]
    if numbers and len(numbers) == len(present):
        lo, hi = min(numbers), max(numbers)
        summary.minimum, summary.maximum = min(present), max(present)
        width = (hi - lo) / bins if hi > lo else 1.0
        counts = [0] * (bins if hi > lo else 1)
        for v in numbers:
            counts[min(int((v - lo) / width), len(counts) - 1)] += 1
        summary.histogram = [(f"{lo + i * width:g} to {lo + (i + 1) * width:g}", c)
                             for i, c in enumerate(counts)]
        return summary
    comparable = [v for v in present if isinstance(v, str | date)]
    if comparable and len(comparable) == len(present):
        with contextlib.suppress(TypeError):  # dates mixed with text
            summary.minimum, summary.maximum = min(comparable), max(comparable)
    top = Counter(_hashable(v) for v in present).most_common(bins)
    summary.histogram = [(str(v)[:40], c) for v, c in top]
    return summary


# -- contract mismatches ---------------------------------------------------------------------
def schema_marks(records: list[Record], schema: dict[str, Any] | None
                 ) -> tuple[dict[str, str], dict[tuple[int, str], str]]:
    """Columns and cells that do not match a contract's JSON Schema: (columns, cells)->reason.

    Only columns the schema names are judged cell by cell; a required column missing from the
    sample, or an extra column where ``additionalProperties`` is false, is a column mark.
    """
    if not schema or not isinstance(schema, dict):
        return {}, {}
    props: dict[str, Any] = schema.get("properties") or {}
    columns = columns_of(records)
    col_marks: dict[str, str] = {}
    for name in schema.get("required") or []:
        if name not in columns and records:
            col_marks[name] = "required by the contract but missing from every record"
    if schema.get("additionalProperties") is False:
        for name in columns:
            if name not in props:
                col_marks[name] = "not in the contract schema"
    cells: dict[tuple[int, str], str] = {}
    try:
        import jsonschema
    except ImportError:  # optional: without it only column marks are shown
        return col_marks, cells
    validators = {name: jsonschema.validators.validator_for(sub)(sub) for name, sub in props.items()
                  if isinstance(sub, dict) and name in columns}
    for row, rec in enumerate(records):
        if not isinstance(rec, dict):
            continue
        for name, validator in validators.items():
            if name not in rec:
                continue
            value = rec[name]
            value = value.isoformat() if isinstance(value, datetime | date) else value
            err = next(iter(validator.iter_errors(value)), None)
            if err is not None:
                cells[(row, name)] = f"contract: {err.message}"
    return col_marks, cells


