"""Column profiling for previews: display types, per-column summaries, contract marks."""

from __future__ import annotations

import contextlib
import functools
import json
import math
from collections import Counter
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain, repeat
from typing import Any

Record = dict[str, Any]
ROW_KEY = "__pycharter_preview_row__"  # hidden tag mapping transformed rows to their source row
DAY_S = 86_400


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
    """What the column-summary popup shows and draws.

    ``kind`` says how ``histogram`` is drawn: ``number`` and ``date`` bins lie between
    ``edges`` (``len(histogram) + 1`` numbers; dates as POSIX seconds, UTC), ``text`` bars are
    the most frequent values (``others`` counts the present values outside them).
    """

    name: str
    type: str
    count: int
    nulls: int
    distinct: int
    minimum: Any = None
    maximum: Any = None
    histogram: list[tuple[str, int]] = field(default_factory=list)  # (label, count)
    kind: str = "text"
    edges: list[float] = field(default_factory=list)
    others: int = 0


def _hashable(value: Any) -> Any:
    return json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value


def _as_datetime(value: Any) -> datetime | None:
    """``value`` as a UTC datetime when it is a date, a datetime or an ISO date text."""
    if isinstance(value, str):
        if len(value) < 10 or value[4:5] != "-":
            return None
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _bin(values: list[float], bins: int, each: bool) -> tuple[list[float], list[int]]:
    """Edges and counts of a histogram of ``values`` in ``bins`` equal bins, or with ``each``
    one bin per whole number (centred on it)."""
    lo, hi = min(values), max(values)
    if each:
        edges = [lo - 0.5 + i for i in range(int(hi - lo) + 2)]
    else:
        width = (hi - lo) / bins if hi > lo else 1.0
        edges = [lo + i * width for i in range(bins + 1 if hi > lo else 2)]
    counts = [0] * (len(edges) - 1)
    width = edges[1] - edges[0]
    for v in values:
        counts[min(int((v - edges[0]) / width), len(counts) - 1)] += 1
    return edges, counts


def summarize_column(records: list[Record], name: str, bins: int = 10) -> ColumnSummary:
    """Nulls, distinct count, min/max and a histogram (numbers and dates) or the top values
    (anything else) of one column on the sample. Run it off the GUI thread."""
    values = [rec.get(name) if isinstance(rec, dict) else None for rec in records]
    present = [v for v in values if v is not None]
    ctype = infer_column_type(values)
    summary = ColumnSummary(name, ctype, len(values), len(values) - len(present),
                            len({_hashable(v) for v in present}))
    numbers = [float(v) for v in present if isinstance(v, int | float) and not isinstance(v, bool)
               and not (isinstance(v, float) and math.isnan(v))]
    if numbers and len(numbers) == len(present):
        summary.minimum, summary.maximum = min(present), max(present)
        each = all(isinstance(v, int) for v in present) and max(numbers) - min(numbers) < bins
        summary.kind = "number"
        summary.edges, counts = _bin(numbers, bins, each)
        summary.histogram = [(f"{int(lo + 0.5):,}" if each else f"{lo:g} to {hi:g}", c)
                             for lo, hi, c in zip(summary.edges, summary.edges[1:], counts, strict=False)]
        return summary
    stamps = [d for d in map(_as_datetime, present) if d is not None]
    if stamps and len(stamps) == len(present):
        summary.minimum = present[stamps.index(min(stamps))]
        summary.maximum = present[stamps.index(max(stamps))]
        summary.kind = "date"
        timed = any(d.time() != datetime.min.time() for d in stamps)
        days = [d.timestamp() / DAY_S for d in stamps]
        each = not timed and max(days) - min(days) < bins  # one bar a day
        edges, counts = _bin(days, bins, each)
        summary.edges = [e * DAY_S for e in edges]
        fmt = "%Y-%m-%d %H:%M" if timed else "%Y-%m-%d"

        def when(s: float) -> str:
            return f"{datetime.fromtimestamp(s, UTC):{fmt}}"

        summary.histogram = [(when(lo + DAY_S / 2) if each else f"{when(lo)} to {when(hi)}", c)
                             for lo, hi, c in zip(summary.edges, summary.edges[1:], counts, strict=False)]
        return summary
    comparable = [v for v in present if isinstance(v, str | date)]
    if comparable and len(comparable) == len(present):
        with contextlib.suppress(TypeError):  # dates mixed with text
            summary.minimum, summary.maximum = min(comparable), max(comparable)
    top = Counter(_hashable(v) for v in present).most_common(bins)
    summary.histogram = [(str(v)[:40], c) for v, c in top]
    summary.others = len(present) - sum(c for _v, c in top)
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


