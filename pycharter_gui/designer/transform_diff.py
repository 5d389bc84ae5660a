"""How a transform step changed the sample: its records in beside its records out, line by line.

Qt-free and pure CPU work: ``diff_step`` lines up one step's output with its input by sample
row and marks every value changed, retyped, added, renamed, dropped, filtered or rejected
(``StepDiff``); ``TransformPreview`` is the whole transform's diff with each step's. The
transform preview task (``pipeline_tasks.compute_transform_preview``) runs the steps and
calls these; the Transform preview panel shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from .column_profile import columns_of

Record = dict[str, Any]

Fate = tuple[str, str]  # ("filtered" | "rejected", what happened, in words)


@dataclass
class StepDiff:
    """One view of the before/after: a step's records in beside its records out, line by line.

    Aligned views have one line per record in (``before_rows == after_rows``, sample rows): a
    record the step filtered or rejected is an empty line with its ``fates`` entry. A view
    whose step reshapes the batch (JSONata aggregates) lists its output as it comes.
    """

    title: str
    before: list[Record]
    after: list[Record]
    before_rows: list[int | None]
    after_rows: list[int | None]
    count_in: int = 0
    count_out: int = 0
    aligned: bool = True
    fates: dict[int, Fate] = field(default_factory=dict)  # after line -> fate
    rejections: dict[int, Any] = field(default_factory=dict)  # after line -> RejectedRecord
    renamed: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    changed_cells: dict[tuple[int, str], str] = field(default_factory=dict)  # value changed
    retyped_cells: dict[tuple[int, str], str] = field(default_factory=dict)  # same value, new type
    warning_cells: dict[tuple[int, str], str] = field(default_factory=dict)
    after_columns: list[str] = field(default_factory=list)  # aligned with the source order


@dataclass
class TransformPreview(StepDiff):
    """The whole transform (and contract) over the cached sample, and each step of it."""

    steps: list[StepDiff] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)  # what would be loaded
    rejected: list[Any] = field(default_factory=list)  # RejectedRecord, contract breaks included
    filtered: int = 0
    warnings: list[Any] = field(default_factory=list)  # TransformWarning
    skipped_custom: str | None = None
    seconds: float = 0.0


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def value_change(old: Any, new: Any) -> str | None:
    """``"changed"`` when the value differs, ``"retyped"`` when only its type does (``"5"`` →
    ``5`` → ``5.0``, a date read from its text), None when nothing changed."""
    if type(old) is type(new) and old == new:
        return None
    if type(old) is not type(new):
        a, b = _number(old), _number(new)
        if a is not None and b is not None:
            return "retyped" if a == b else "changed"
        if str(old).strip().lower() == str(new).lower():
            return "retyped"
    return "changed"


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def final_names(specs: list[dict[str, Any]]) -> dict[str, str]:
    """Original name -> final name over successive rename specs."""
    out: dict[str, str] = {}
    for spec in specs:
        for old, new in ((str(k), str(v)) for k, v in (spec or {}).items()):
            source = next((k for k, v in out.items() if v == old), old)
            out[source] = new
    return out


def diff_step(title: str, rows_in: list[int | None], records_in: list[Record],
              rows_out: list[int | None], records_out: list[Record], *, aligned: bool,
              fates: dict[int, tuple[str, str, Any]], renamed: dict[str, str],
              converted: list[str], warnings: list[Any]) -> StepDiff:
    """Line up one step's output with its input by sample row and say what changed."""
    aligned = aligned and None not in rows_in
    before_cols, after_cols = columns_of(records_in), columns_of(records_out)
    renamed = {k: v for k, v in renamed.items() if k in before_cols}
    origin = {new: old for old, new in renamed.items()}
    diff = StepDiff(title, records_in, records_out, list(rows_in), list(rows_out),
                    count_in=len(records_in), count_out=len(records_out), aligned=aligned,
                    renamed=renamed, converted=[c for c in converted if c in after_cols])
    diff.added = [c for c in after_cols if origin.get(c, c) not in before_cols]
    diff.dropped = [c for c in before_cols
                    if c not in after_cols and renamed.get(c) not in after_cols]
    kept = [renamed.get(c, c) for c in before_cols if renamed.get(c, c) in after_cols]
    diff.after_columns = list(dict.fromkeys(kept + after_cols))
    if aligned:
        by_row = dict(zip(rows_out, records_out, strict=True))
        diff.after = [by_row.get(row, {}) for row in rows_in]
        diff.after_rows = list(rows_in)
        for line, row in enumerate(rows_in):
            if row not in by_row:
                kind, text, rejection = fates.get(row, ("filtered", "left out", None))
                diff.fates[line] = (kind, text)
                if rejection is not None:
                    diff.rejections[line] = rejection
    added = set(diff.added)
    for line, (row, after) in enumerate(zip(diff.after_rows, diff.after, strict=True)):
        if row is None or line in diff.fates:
            continue
        before = diff.before[line] if aligned else records_in[rows_in.index(row)]
        for col, value in after.items():
            if col in added:
                continue
            old = before.get(origin.get(col, col))
            change = value_change(old, value)
            if change == "changed":
                diff.changed_cells[(line, col)] = f"was {old!r}, now {value!r}"
            elif change == "retyped":
                diff.retyped_cells[(line, col)] = (
                    f"type {_type_name(old)} → {_type_name(value)}; the value is unchanged")
    line_of = {row: line for line, row in enumerate(diff.after_rows) if row is not None}
    for warn in warnings:
        line = line_of.get(warn.index) if warn.index is not None else None
        if line is not None and warn.field and line not in diff.fates:
            diff.warning_cells[(line, renamed.get(warn.field, warn.field))] = (
                f"{warn.step}: {warn.message}")
    return diff
