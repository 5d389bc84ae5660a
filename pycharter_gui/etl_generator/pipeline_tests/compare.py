"""Comparing expected and actual output row by row and cell by cell."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .model import ABSENT, Entry, OutputDifference, PipelineOutput, dumps


def _keyed(entries: list[Entry], positional: bool) -> dict[tuple[Any, int], Entry]:
    """Entries by (row, occurrence); by position when rows are unknown."""
    seen: Counter = Counter()
    out = {}
    for pos, entry in enumerate(entries, 1):
        base = pos if positional else entry.get("row")
        seen[base] += 1
        out[(base, seen[base])] = entry
    return out


def _cells(row: int | None, expected: Any, actual: Any, ignore: set[str]) -> list[OutputDifference]:
    if not isinstance(expected, dict) or not isinstance(actual, dict):
        same = dumps(expected) == dumps(actual)
        return [] if same else [OutputDifference("changed", row, None, expected, actual)]
    diffs = []
    for name in dict.fromkeys([*expected, *actual]):
        exp, act = expected.get(name, ABSENT), actual.get(name, ABSENT)
        if name in ignore and (exp is ABSENT) == (act is ABSENT):
            continue
        if exp is ABSENT or act is ABSENT or dumps(exp) != dumps(act):
            diffs.append(OutputDifference("changed", row, name, exp, act))
    return diffs


def _why(entry: Entry) -> str:
    return f"{entry.get('stage')}: {entry.get('message') or entry.get('reason')}"


def compare_outputs(expected: PipelineOutput, actual: PipelineOutput,
                    ignore_fields: list[str] | tuple[str, ...] = ()) -> list[OutputDifference]:
    """Every difference, in row order: changed cells, missing/extra rows, moved rows."""
    ignore = set(ignore_fields)
    positional = any(e.get("row") is None for e in (*expected.loaded, *actual.loaded))
    exp_l, act_l = _keyed(expected.loaded, positional), _keyed(actual.loaded, positional)
    exp_d, act_d = _keyed(expected.dead_letters, False), _keyed(actual.dead_letters, False)
    diffs: list[OutputDifference] = []
    for key, exp in exp_l.items():
        if key in act_l:
            diffs += _cells(key[0], exp.get("record"), act_l[key].get("record"), ignore)
        elif key in act_d:
            diffs.append(OutputDifference("to_dead_letters", key[0], None, exp.get("record"),
                                          _why(act_d[key])))
        else:
            diffs.append(OutputDifference("missing", key[0], None, exp.get("record")))
    for key, act in act_l.items():
        if key in exp_d:
            diffs.append(OutputDifference("from_dead_letters", key[0], None, _why(exp_d[key]),
                                          act.get("record")))
        elif key not in exp_l:
            diffs.append(OutputDifference("extra", key[0], None, None, act.get("record")))
    for key, exp in exp_d.items():
        if key in act_d:
            diffs += [OutputDifference("dead_letter_changed", key[0], name, exp.get(name),
                                       act_d[key].get(name))
                      for name in ("stage", "reason", "field")
                      if exp.get(name) != act_d[key].get(name)]
        elif key not in act_l:
            diffs.append(OutputDifference("missing_dead_letter", key[0], None, _why(exp)))
    diffs += [OutputDifference("extra_dead_letter", key[0], None, None, _why(act))
              for key, act in act_d.items() if key not in exp_d and key not in exp_l]
    return sorted(diffs, key=lambda d: (d.row is None, d.row or 0))
