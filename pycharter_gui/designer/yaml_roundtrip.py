"""Round-trip YAML editing that keeps comments, key order, quotes and blank lines.

Pure functions, no Qt. A change to an existing one-line scalar is made by replacing just that
value's text on its line, so the rest of the file stays byte-identical; other changes go
through ruamel.yaml dumping with the indentation detected from the file itself.
"""

from __future__ import annotations

import contextlib
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

# Plain scalars YAML 1.2 reads as text but a YAML 1.1 reader (PyYAML) would type: quote them.
_YAML11_TYPED = re.compile(
    r"^(?:[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$")
_CANDIDATES = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (2, 3, 1), (4, 6, 4), (4, 4, 0), (3, 3, 0))
_MISSING = object()


@dataclass(frozen=True)
class YamlStyle:
    """Indentation of one file: mapping indent, sequence indent, dash offset."""

    mapping: int = 2
    sequence: int = 4
    offset: int = 2
    explicit_start: bool = False


class ParseError(ValueError):
    """A YAML syntax error with its 1-based line."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


def _yaml(style: YamlStyle) -> YAML:
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    y.explicit_start = style.explicit_start
    return y


def parse(text: str) -> Any:
    """Parse ``text`` round-trip; raises ``ParseError`` with a line number."""
    try:
        return _yaml(YamlStyle()).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = exc.problem or exc.context or str(exc)
        raise ParseError(str(msg), line) from exc
    except YAMLError as exc:
        raise ParseError(str(exc), None) from exc


def dump(data: Any, style: YamlStyle) -> str:
    buf = io.StringIO()
    _yaml(style).dump(data, buf)
    return buf.getvalue()


def detect_style(text: str, data: Any | None = None) -> YamlStyle:
    """The candidate indentation whose dump reproduces most of ``text``'s lines."""
    explicit = text.lstrip().startswith("---")
    if data is None:
        try:
            data = parse(text)
        except ParseError:
            return YamlStyle(explicit_start=explicit)
    if not isinstance(data, (CommentedMap, CommentedSeq)):
        return YamlStyle(explicit_start=explicit)
    original = text.splitlines()
    best, best_score = YamlStyle(explicit_start=explicit), -1
    for m, s, o in _CANDIDATES:
        style = YamlStyle(m, s, o, explicit)
        try:
            out = dump(data, style)
        except Exception:
            continue
        if out == text:
            return style
        lines = out.splitlines()
        score = sum(1 for a, b in zip(original, lines, strict=False) if a == b)
        if score > best_score:
            best, best_score = style, score
    return best


def split_key(key: str | Sequence[Any]) -> list[Any]:
    """``"a.b.0"`` -> ``["a", "b", 0]``; tuples/lists pass through."""
    if isinstance(key, str):
        return [int(p) if p.isdigit() else p for p in key.split(".") if p != ""]
    return list(key)


def get_value(data: Any, key: str | Sequence[Any], default: Any = None) -> Any:
    node = data
    for part in split_key(key):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return default
    return node


def _container_for(data: Any, parts: list[Any]) -> Any:
    node = data
    for part in parts:
        nxt = node.get(part) if isinstance(node, dict) else (
            node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node)
            else None)
        if not isinstance(nxt, (dict, list)):
            nxt = CommentedMap()
            node[part] = nxt
        node = nxt
    return node


def to_yaml_value(value: Any, old: Any = _MISSING) -> Any:
    """Convert plain Python into ruamel types, keeping the old value's quoting style."""
    if isinstance(value, str):
        if "\n" in value:
            return LiteralScalarString(value if value.endswith("\n") else value + "\n")
        if isinstance(old, (DoubleQuotedScalarString, SingleQuotedScalarString)) and old != "":
            return type(old)(value)  # the user's quotes (an empty value had to be quoted)
        if _YAML11_TYPED.match(value):
            return SingleQuotedScalarString(value)
        return value
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        old_map = old if isinstance(old, dict) else {}
        cm = CommentedMap()
        for k, v in value.items():
            cm[k] = to_yaml_value(v, old_map.get(k, _MISSING))
        if _is_flow(old):
            cm.fa.set_flow_style()  # ``{type: integer}`` stays on its line
        return cm
    if isinstance(value, (list, tuple)) and not isinstance(value, CommentedSeq):
        seq = CommentedSeq(to_yaml_value(v) for v in value)
        if _is_flow(old) or (old is not _MISSING and old is not None
                             and not isinstance(old, (dict, list))):
            seq.fa.set_flow_style()  # ``key: a`` becomes ``key: [a, b]`` on its own line
        return seq
    return value


def _is_flow(value: Any) -> bool:
    return isinstance(value, (CommentedMap, CommentedSeq)) and bool(value.fa.flow_style())


def scalar_text(value: Any) -> str | None:
    """The YAML text of a one-line scalar or flow collection (as ruamel writes it), else None."""
    if (isinstance(value, (dict, list)) and not _is_flow(value)) or (
            isinstance(value, str) and "\n" in value):
        return None
    out = dump(CommentedMap([("k", value)]), YamlStyle()).rstrip("\n")
    if "\n" in out or not out.startswith("k: "):
        return None
    return out[3:]


_PLAIN_END = re.compile(r"\s+#")


def _scalar_span(line: str, col: int) -> tuple[int, int] | None:
    """Start/end columns of the one-line scalar that starts at ``col`` on ``line``."""
    if col >= len(line):
        return None
    ch = line[col]
    if ch in "[{":
        return _flow_span(line, col)
    if ch in "|>&*!":
        return None
    if ch in "'\"":
        i = col + 1
        while i < len(line):
            if line[i] == ch:
                if ch == "'" and i + 1 < len(line) and line[i + 1] == "'":
                    i += 2
                    continue
                return col, i + 1
            if ch == '"' and line[i] == "\\":
                i += 1
            i += 1
        return None  # multi-line quoted scalar
    m = _PLAIN_END.search(line, col)
    end = m.start() if m else len(line.rstrip())
    return col, end


def _flow_span(line: str, col: int) -> tuple[int, int] | None:
    """Start/end columns of a flow collection that opens and closes on ``line``."""
    depth, quote, i = 0, "", col
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
            if depth == 0:
                return col, i + 1
        elif ch == "#" and line[i - 1] in " \t":
            return None
        i += 1
    return None


def set_value_text(text: str, data: Any, key: str | Sequence[Any], value: Any,
                   style: YamlStyle) -> str:
    """New text of the document with ``key`` set to ``value``; ``data`` is modified in place."""
    parts = split_key(key)
    if not parts:
        raise ValueError("an empty key cannot be set")
    if data is None:
        # An empty (or comment-only) file: append the new keys, keeping its comments.
        fresh = CommentedMap()
        _container_for(fresh, parts[:-1])[parts[-1]] = to_yaml_value(value)
        prefix = text if (not text or text.endswith("\n")) else text + "\n"
        return prefix + dump(fresh, style)
    parent = _container_for(data, parts[:-1])
    last = parts[-1]
    old = parent.get(last, _MISSING) if isinstance(parent, dict) else (
        parent[last] if isinstance(last, int) and last < len(parent) else _MISSING)
    if _is_block(old) and isinstance(value, dict if isinstance(old, dict) else (list, tuple)):
        # Rows added, removed, renamed or moved: rewrite only the lines of those rows.
        patched = _patch_block(text, old, value)
        _merge_into(old, value)
        return patched if patched is not None else dump(data, style)
    new = to_yaml_value(value, old)
    if old is not _MISSING and old == new and type(old) is type(new):
        return text
    surgical = _surgical_replace(text, parent, last, old, new)
    parent[last] = new
    if surgical is not None:
        return surgical
    return dump(data, style)


def _is_block(value: Any) -> bool:
    return isinstance(value, (CommentedMap, CommentedSeq)) and len(value) > 0 \
        and not value.fa.flow_style() and not getattr(value, "merge", None)


def _same_value(a: Any, b: Any) -> bool:
    """Equal and of the same YAML type (``1``, ``true`` and ``'1'`` all differ)."""
    def kind(v: Any) -> type:
        return next((t for t in (bool, int, float, str, dict, list) if isinstance(v, t)),
                    type(v))
    return kind(a) is kind(b) and a == b


def _merge_into(node: Any, value: Any) -> None:
    """Make the collection ``node`` equal ``value`` in place, keeping the objects (and so the
    comments) of entries that stay."""
    if isinstance(node, dict):
        by_text = {str(k): k for k in node}
        keys = [by_text.get(str(k), k) for k in value]
        for k in [k for k in node if k not in keys]:
            del node[k]
        for k, v in zip(keys, value.values(), strict=True):
            old = node.get(k, _MISSING)
            if old is _MISSING or not _same_value(old, v):
                node[k] = to_yaml_value(v, old)
        if list(node) != keys:
            for k in keys:
                node.move_to_end(k)
    else:
        node[:] = [o if i < len(node) and _same_value(o := node[i], v) else to_yaml_value(v)
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
                    isinstance(v, (dict, list)) and not _is_flow(v)) or (
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


def _replace_span(body: str, span: tuple[int, int] | None, new_text: str | None) -> str | None:
    if span is None or new_text is None:
        return None
    return body[:span[0]] + new_text + body[span[1]:]


def _key_span(body: str, col: int) -> tuple[int, int] | None:
    if col < len(body) and body[col] in "'\"":
        return _scalar_span(body, col)
    m = re.compile(r":(?=\s|$)").search(body, col)
    return (col, len(body[:m.start()].rstrip())) if m else None


def _patch_block(text: str, node: Any, value: Any) -> str | None:
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
            if j < len(olds) and _same_value(olds[j], v):
                match[j] = j
        for j, v in enumerate(news):
            free = (i for i in range(len(olds)) if i not in match.values()
                    and _same_value(olds[i], v))
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
            like = next((o for o in olds if _is_flow(o)), _MISSING) \
                if isinstance(v, (dict, list)) else _MISSING
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
        if not _same_value(old, v):
            span = _scalar_span(body, row.col)
            if span is None or (body[span[0]:span[1]] != scalar_text(old)
                                and not _same_scalar(body[span[0]:span[1]], old)):
                return None
            body = _replace_span(body, span, scalar_text(to_yaml_value(v, old)))
        if body is not None and is_map and str(new_keys[j]) != str(row.key):
            body = _replace_span(body, _key_span(body, row.indent), scalar_text(new_keys[j]))
        if body is None:
            return None
        plan.append((i, body + (line[len(line.rstrip("\r\n")):] or "\n")))
    if rows[0].dash and plan[0][0] != 0:
        return None  # the line with the item's dash must stay first
    return _apply_plan(lines, rows, plan)


def _apply_plan(lines: list[str], rows: list[_Row], plan: list[tuple[int | None, str]]) -> str:
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


def _surgical_replace(text: str, parent: Any, last: Any, old: Any, new: Any) -> str | None:
    """Replace a one-line scalar in place, or None when a dump is needed."""
    if old is _MISSING or (isinstance(old, (dict, list)) and not _is_flow(old)) or not hasattr(
            parent, "lc"):
        return None
    new_text = scalar_text(new)
    if new_text is None:
        return None
    try:
        line_no, col = parent.lc.value(last) if isinstance(parent, dict) else parent.lc.item(last)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    lines = text.splitlines(keepends=True)
    if line_no >= len(lines):
        return None
    line = lines[line_no]
    body = line.rstrip("\r\n")
    eol = line[len(body):]
    span = _scalar_span(body, col)
    if span is None:
        return None
    start, end = span
    old_text = body[start:end]
    if old_text != scalar_text(old) and not _same_scalar(old_text, old):
        return None
    lines[line_no] = body[:start] + new_text + body[end:] + eol
    return "".join(lines)


def _same_scalar(old_text: str, old: Any) -> bool:
    try:
        return YAML(typ="safe", pure=True).load("k: " + old_text)["k"] == old
    except Exception:
        return False


def delete_key(data: Any, key: str | Sequence[Any]) -> bool:
    """Remove ``key`` from ``data``; True when something was removed."""
    parts = split_key(key)
    parent = get_value(data, parts[:-1]) if len(parts) > 1 else data
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
        return True
    if isinstance(parent, list) and isinstance(last, int) and last < len(parent):
        del parent[last]
        return True
    return False


def delete_key_text(text: str, data: Any, key: str | Sequence[Any],
                    style: YamlStyle) -> str | None:
    """New text without ``key`` (None when absent); ``data`` is modified in place.

    The entry's own lines are cut out so the rest of the file stays byte-identical; only
    when its parent would be left empty (or the layout is unusual) is the document dumped.
    """
    parts = split_key(key)
    parent = get_value(data, parts[:-1]) if len(parts) > 1 else data
    lines = _entry_range(text, parent, parts[-1])
    if not delete_key(data, parts):
        return None
    if not data:
        return "".join(ln for ln in text.splitlines(keepends=True) if ln.lstrip().startswith("#"))
    if lines is not None and len(parent) > 0:
        start, end = lines
        kept = text.splitlines(keepends=True)
        return "".join(kept[:start] + kept[end:])
    return dump(data, style)


def _entry_range(text: str, parent: Any, last: Any) -> tuple[int, int] | None:
    """Lines [start, end) of one entry of a block collection: its first line and every line
    indented deeper after it (comments after it at its own indent or less stay)."""
    if not _is_block(parent):
        return None
    try:
        if isinstance(parent, dict):
            start, indent = parent.lc.key(last)
        else:
            start, col = parent.lc.item(last)
            indent = text.splitlines()[start].rfind("-", 0, col)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None
    lines = text.splitlines()
    if start >= len(lines) or indent < 0 or lines[start][:indent].strip():
        return None
    # A block sequence may sit at its key's own indent (``key:`` then ``- item``).
    dash_ok = isinstance(parent, dict) and isinstance(parent[last], list)
    end = start + 1
    for n in range(start + 1, len(lines)):
        body = lines[n]
        if not body.strip():
            continue
        depth = len(body) - len(body.lstrip())
        if depth <= indent and body.lstrip().startswith("#"):
            continue  # kept, unless content of the entry follows it
        if depth < indent or (depth == indent and not (dash_ok and body.lstrip()[:1] == "-")):
            break
        end = n + 1
    return start, end


def line_of(data: Any, key: str | Sequence[Any]) -> int | None:
    """1-based line of ``key`` in the parsed document (the deepest existing part)."""
    node, line = data, None
    for part in split_key(key):
        if isinstance(node, dict) and part in node and hasattr(node, "lc"):
            with contextlib.suppress(KeyError, TypeError):
                line = node.lc.key(part)[0] + 1
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            with contextlib.suppress(KeyError, TypeError, AttributeError):
                line = node.lc.item(part)[0] + 1
            node = node[part]
        else:
            break
    return line


_RESOLVER = VersionedResolver(version=(1, 2))
_SAFE = YAML(typ="safe", pure=True)


def parse_scalar(text: str) -> Any:
    """YAML 1.2 typing of one plain scalar, cheaply: ``50`` -> 50, ``true`` -> True,
    ``null`` -> None, ``'1'`` -> "1"; other text comes back as is.

    Table cells are typed on every form refresh: resolving the tag with ruamel's own
    patterns costs microseconds where a full YAML load costs ~80 µs per cell. Quoted text,
    flow collections and dates, which are rare, still go through a real (safe) load.
    """
    s = text.strip()
    if not s:
        return text
    tag = _RESOLVER.resolve(ScalarNode, s, (True, False))
    if tag == "tag:yaml.org,2002:str" and s[0] not in "'\"[{":
        return text
    try:
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return s.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return _parse_int(s.replace("_", ""))
        if tag == "tag:yaml.org,2002:float":
            return _parse_float(s.replace("_", ""))
        return _SAFE.load(s)
    except Exception:  # not valid YAML on its own (``'a`` or ``[x``): the text itself
        return text


def _parse_int(s: str) -> int:
    sign, digits = (-1, s[1:]) if s[0] == "-" else (1, s.lstrip("+"))
    base = {"0b": 2, "0o": 8, "0x": 16}.get(digits[:2].lower())
    return sign * (int(digits[2:], base) if base else int(digits, 10))


def _parse_float(s: str) -> float:
    low = s.lower()
    if low.lstrip("+-") in (".inf", ".nan"):
        return float(low.replace(".", ""))
    return float(s)


def scalar_display(value: Any) -> str:
    """The text a table cell shows for a scalar, such that ``parse_scalar`` gives it back:
    ``null``, ``true``, ``50``, and text quoted only where it would read as another type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    text = str(value)
    if isinstance(value, str) and not _same_value(parse_scalar(text), value):
        return "'" + text.replace("'", "''") + "'"
    return text


def to_plain(value: Any) -> Any:
    """Deep copy of ruamel data as plain dict/list/str for forms."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
