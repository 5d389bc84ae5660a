"""Line-by-line patching of a block collection whose entries are one-line scalars: kept rows
keep their line, removed rows lose it, new rows get one; and the in-place merge of the parsed
data that goes with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from pycharter_gui.designer.yaml_roundtrip.line_spans import key_span, replace_span, scalar_span
from pycharter_gui.designer.yaml_roundtrip.scalars import (
    MISSING,
    is_flow,
    same_scalar,
    same_value,
    scalar_text,
    to_yaml_value,
)


def is_block(value: Any) -> bool:
    """A non-empty block (not flow) collection without a merge key."""
    return isinstance(value, (CommentedMap, CommentedSeq)) and len(value) > 0 \
        and not value.fa.flow_style() and not getattr(value, "merge", None)


def merge_into(node: Any, value: Any) -> None:
    """Make the collection ``node`` equal ``value`` in place, keeping the objects (and so the
    comments) of entries that stay."""
    if isinstance(node, dict):
        by_text = {str(k): k for k in node}
        keys = [by_text.get(str(k), k) for k in value]
        for k in [k for k in node if k not in keys]:
            del node[k]
        for k, v in zip(keys, value.values(), strict=True):
            old = node.get(k, MISSING)
            if old is MISSING or not same_value(old, v):
                node[k] = to_yaml_value(v, old)
        if list(node) != keys:
            for k in keys:
                node.move_to_end(k)
    else:
        node[:] = [o if i < len(node) and same_value(o := node[i], v) else to_yaml_value(v)
                   for i, v in enumerate(value)]


@dataclass
class _Row:
    """One entry of a block collection that sits on a line of its own."""

    line: int       # 0-based line of the entry
    col: int        # column of the value
    indent: int     # column of the key, or of the dash of a sequence item
    key: Any = None
    dash: bool = False  # the first key of a mapping that is a sequence item (``- key: v``)


def _block_rows(lines: list[str], node: Any) -> list[_Row] | None:
    """The rows of ``node`` when every entry is a one-line scalar on its own line, else None."""
    rows = []
    try:
        for i, k in enumerate(node):
            if isinstance(node, dict):
                (kl, kc), (vl, vc) = node.lc.key(k), node.lc.value(k)
                v, indent, key = node[k], kc, k
                if kl != vl:
                    return None
            else:
                vl, vc = node.lc.item(i)
                v, key = k, None
                indent = lines[vl].rfind("-", 0, vc) if vl < len(lines) else -1
            lead = lines[vl][:indent].strip() if vl < len(lines) else ""
            dash = lead == "-" and isinstance(node, dict) and i == 0
            if vl >= len(lines) or indent < 0 or (lead and not dash) or (
                    isinstance(v, (dict, list)) and not is_flow(v)) or (
                    isinstance(v, str) and "\n" in v):
                return None
            rows.append(_Row(vl, vc, indent, key, dash))
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    # Between rows and after the last one only blank and comment lines (no continuations).
    for row, nxt in zip(rows, [*rows[1:], None], strict=True):
        end = nxt.line if nxt else len(lines)
        for n in range(row.line + 1, end):
            body = lines[n].strip()
            if not body or body.startswith("#"):
                continue
            if nxt is None and len(lines[n]) - len(lines[n].lstrip()) <= row.indent:
                break
            return None
    return rows


def patch_block(text: str, node: Any, value: Any) -> str | None:
    """``text`` with the block collection ``node`` changed into ``value`` line by line: kept
    rows keep their line (comment, quotes) and only move when reordered, removed rows lose
    their line, new rows get a new line after the row before them. None when not possible."""
    lines = text.splitlines(keepends=True)
    rows = _block_rows(lines, node)
    if not rows or not value:
        return None
    is_map = isinstance(node, dict)
    olds = list(node.values()) if is_map else list(node)
    news = list(value.values()) if is_map else list(value)
    new_keys = list(value) if is_map else [None] * len(news)
    match: dict[int, int] = {}  # new index -> old index
    if is_map:
        index = {str(k): i for i, k in enumerate(node)}
        match = {j: index[str(k)] for j, k in enumerate(new_keys) if str(k) in index}
    else:
        for j, v in enumerate(news):  # same place first, then anywhere
            if j < len(olds) and same_value(olds[j], v):
                match[j] = j
        for j, v in enumerate(news):
            free = (i for i in range(len(olds)) if i not in match.values()
                    and same_value(olds[i], v))
            if j not in match and (i := next(free, None)) is not None:
                match[j] = i
    for j in range(len(news)):  # a changed key or item at the same place: edit its line
        if j not in match and j < len(olds) and j not in match.values():
            match[j] = j
    plan: list[tuple[int | None, str]] = []
    for j, v in enumerate(news):
        i = match.get(j)
        if i is None:
            # A new mapping or list among one-line {…}/[…] siblings is written like them.
            like = next((o for o in olds if is_flow(o)), MISSING) \
                if isinstance(v, (dict, list)) else MISSING
            value_text = scalar_text(to_yaml_value(v, like))
            key_text = scalar_text(new_keys[j]) if is_map else ""
            if value_text is None or key_text is None:
                return None
            first = lines[rows[0].line]
            prefix = " " * rows[0].indent + key_text + ": " if is_map else first[:rows[0].col]
            plan.append((None, prefix + value_text + "\n"))
            continue
        row, old = rows[i], olds[i]
        line = lines[row.line]
        body = line.rstrip("\r\n")
        if not same_value(old, v):
            span = scalar_span(body, row.col)
            if span is None or (body[span[0]:span[1]] != scalar_text(old)
                                and not same_scalar(body[span[0]:span[1]], old)):
                return None
            body = replace_span(body, span, scalar_text(to_yaml_value(v, old)))
        if body is not None and is_map and str(new_keys[j]) != str(row.key):
            body = replace_span(body, key_span(body, row.indent), scalar_text(new_keys[j]))
        if body is None:
            return None
        plan.append((i, body + (line[len(line.rstrip("\r\n")):] or "\n")))
    if rows[0].dash and plan[0][0] != 0:
        return None  # the line with the item's dash must stay first
    return _apply_plan(lines, rows, plan)


def _apply_plan(lines: list[str], rows: list[_Row],
                plan: list[tuple[int | None, str]]) -> str:
    """Fill the lines of kept rows in plan order; new rows go after the row before them."""
    kept = sorted(i for i, _ in plan if i is not None)
    slots = [rows[i].line for i in kept]
    removed = {r.line for n, r in enumerate(rows) if n not in kept}
    replace: dict[int, str] = {}
    after: dict[int, list[str]] = {}
    before: list[str] = []
    anchor = None
    for i, line in plan:
        if i is None:
            (after.setdefault(anchor, []) if anchor is not None else before).append(line)
        else:
            anchor = slots[len(replace)]
            replace[anchor] = line
    out: list[str] = []
    for n, line in enumerate(lines):
        if n == slots[0]:
            out.extend(before)
        if n in removed:
            continue
        line = replace.get(n, line)
        extra = after.get(n, [])
        if extra and not line.endswith("\n"):
            line += "\n"
        out.append(line)
        out.extend(extra)
    return "".join(out)
