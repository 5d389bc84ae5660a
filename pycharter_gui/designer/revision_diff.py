"""What changed between two revisions of a pipeline's files (Qt-free, pure text work).

``summarize_change`` names the change in one line from the parsed YAML ("transform convert:
qty int → float"); ``file_diffs`` computes the line diff of every file that differs, which
``unified_text`` writes as a unified diff and ``side_by_side_rows`` lays out for two panes.
The History panel, the unsaved-changes diff and the revision stores' messages use these.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from pycharter_gui.etl_generator import ConfigError, parse_yaml_text

#: The files of a pipeline a revision holds, in the order their changes are listed.
FILES = ("extract.yaml", "transform.yaml", "load.yaml", "schema.yaml", "coercion_rules.yaml",
         "validation_rules.yaml")
Texts = dict[str, str]  # file name -> text


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value} if prefix else {}


def _parsed(text: str) -> dict[str, Any] | None:
    try:
        data = parse_yaml_text(text)[0]
    except ConfigError:
        return None
    return data if isinstance(data, dict) else None


def _short(value: Any) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False) if not isinstance(value, str) else value
    return text if len(text) <= 30 else text[:29] + "…"


def _change(key: str, old: Any, new: Any) -> str:
    parent, _, leaf = key.rpartition(".")
    head = f"{parent}: {leaf}" if parent else leaf
    if old is None and new is not None:
        return f"{head} + {_short(new)}"
    if new is None:
        return f"{head} removed"
    return f"{head} {_short(old)} → {_short(new)}"


def _names(old: Texts, new: Texts) -> list[str]:
    """The file names of either, ``FILES`` order first, then others (pipeline.yaml) by name."""
    return sorted(set(old) | set(new), key=lambda n: (FILES.index(n) if n in FILES
                                                      else len(FILES), n))


def summarize_change(old: Texts, new: Texts, limit: int = 3) -> str:
    """One line naming what changed between two revisions' files, from their parsed YAML."""
    items: list[str] = []
    for name in _names(old, new):
        before, after = old.get(name, ""), new.get(name, "")
        if before == after:
            continue
        kind = name.removesuffix(".yaml")
        a, b = _parsed(before), _parsed(after)
        if a is None or b is None:
            items.append(f"{name} edited")
            continue
        if kind == "transform":  # the ops live under "transform:" in most files
            a, b = a.get("transform", a), b.get("transform", b)
        flat_a, flat_b = _flatten(a), _flatten(b)
        changes = [_change(k, flat_a.get(k), flat_b.get(k))
                   for k in dict.fromkeys([*flat_a, *flat_b]) if flat_a.get(k) != flat_b.get(k)]
        items += [f"{kind} {c}" for c in changes] or [f"{name}: comments or layout"]
    if not items:
        return "no change"
    more = f" (+{len(items) - limit} more)" if len(items) > limit else ""
    return "; ".join(items[:limit]) + more


@dataclass
class FileDiff:
    """How one file changed: its lines before and after, and ``SequenceMatcher``'s opcodes
    grouped into hunks with ``context`` unchanged lines around each change."""

    name: str
    old: list[str]
    new: list[str]
    hunks: list[list[tuple[str, int, int, int, int]]]


#: A side-by-side row: (kind, old line number, old text, new line number, new text); kind is
#: "file" (a file's header), "skip" (unchanged lines left out), "same", "changed", "removed"
#: or "added"; a side without a line (the other side's addition or removal) has number 0.
Row = tuple[str, int, str, int, str]


def file_diffs(old: Texts, new: Texts, context: int = 3) -> list[FileDiff]:
    """The diff of every file that differs (``FILES`` order, then by name): the one
    computation behind both the unified and the side-by-side views."""
    out = []
    for name in _names(old, new):
        a, b = old.get(name, "").splitlines(), new.get(name, "").splitlines()
        if a != b:
            matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
            out.append(FileDiff(name, a, b, list(matcher.get_grouped_opcodes(context))))
    return out


def _range(start: int, stop: int) -> str:
    """A hunk header's ``start,length`` (1-based; an empty range names the line before)."""
    length = stop - start
    return str(start + 1) if length == 1 else f"{start + (1 if length else 0)},{length}"


def unified_text(diffs: list[FileDiff], old_label: str, new_label: str) -> str:
    """``diffs`` as a unified diff (``--- old_label/name``, ``+++ new_label/name``, hunks)."""
    out: list[str] = []
    for fd in diffs:
        out += [f"--- {old_label}/{fd.name}", f"+++ {new_label}/{fd.name}"]
        for hunk in fd.hunks:
            (_, i1, _, j1, _), (_, _, i2, _, j2) = hunk[0], hunk[-1]
            out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@")
            for tag, a1, a2, b1, b2 in hunk:
                if tag == "equal":
                    out += [" " + line for line in fd.old[a1:a2]]
                    continue
                out += ["-" + line for line in fd.old[a1:a2]]
                out += ["+" + line for line in fd.new[b1:b2]]
    return "".join(line + "\n" for line in out)


def unified_diff(old: Texts, new: Texts, old_label: str, new_label: str) -> str:
    """A unified diff of every file that differs between two revisions."""
    return unified_text(file_diffs(old, new), old_label, new_label)


def side_by_side_rows(diffs: list[FileDiff]) -> list[Row]:
    """``diffs`` as aligned rows for two panes: a replaced block pairs its lines, the shorter
    side left blank; a "skip" row stands for the unchanged lines between hunks."""
    rows: list[Row] = []
    for fd in diffs:
        rows.append(("file", 0, fd.name, 0, fd.name))
        shown = 0  # the old side's next line not yet shown
        for hunk in fd.hunks:
            if hunk[0][1] > shown:
                skip = f"⋯ {hunk[0][1] - shown} unchanged"
                rows.append(("skip", 0, skip, 0, skip))
            for tag, a1, a2, b1, b2 in hunk:
                if tag == "equal":
                    rows += [("same", a1 + k + 1, fd.old[a1 + k], b1 + k + 1, fd.new[b1 + k])
                             for k in range(a2 - a1)]
                    continue
                kind = {"replace": "changed", "delete": "removed", "insert": "added"}[tag]
                for k in range(max(a2 - a1, b2 - b1)):
                    left = (a1 + k + 1, fd.old[a1 + k]) if a1 + k < a2 else (0, "")
                    right = (b1 + k + 1, fd.new[b1 + k]) if b1 + k < b2 else (0, "")
                    rows.append((kind, *left, *right))
            shown = hunk[-1][2]
        if shown < len(fd.old):
            skip = f"⋯ {len(fd.old) - shown} unchanged"
            rows.append(("skip", 0, skip, 0, skip))
    return rows
