"""Round-trip YAML editing that keeps comments, key order, quotes and blank lines.

Pure functions, no Qt. A change to an existing one-line scalar is made by replacing just that
value's text on its line, so the rest of the file stays byte-identical; other changes go
through ruamel.yaml dumping with the indentation detected from the file itself.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

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
        if isinstance(old, DoubleQuotedScalarString):
            return DoubleQuotedScalarString(value)
        if isinstance(old, SingleQuotedScalarString):
            return SingleQuotedScalarString(value)
        return value
    if isinstance(value, dict) and not isinstance(value, CommentedMap):
        old_map = old if isinstance(old, dict) else {}
        cm = CommentedMap()
        for k, v in value.items():
            cm[k] = to_yaml_value(v, old_map.get(k, _MISSING))
        return cm
    if isinstance(value, (list, tuple)) and not isinstance(value, CommentedSeq):
        seq = CommentedSeq(to_yaml_value(v) for v in value)
        if isinstance(old, CommentedSeq) and old.fa.flow_style():
            seq.fa.set_flow_style()
        return seq
    return value


def scalar_text(value: Any) -> str | None:
    """The YAML text of a one-line scalar (as ruamel would write it), else None."""
    if isinstance(value, (dict, list)) or (isinstance(value, str) and "\n" in value):
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
    if ch in "|>[{&*!":
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
    new = to_yaml_value(value, old)
    if old is not _MISSING and old == new and type(old) is type(new):
        return text
    surgical = _surgical_replace(text, parent, last, old, new)
    parent[last] = new
    if surgical is not None:
        return surgical
    return dump(data, style)


def _surgical_replace(text: str, parent: Any, last: Any, old: Any, new: Any) -> str | None:
    """Replace a one-line scalar in place, or None when a dump is needed."""
    if old is _MISSING or isinstance(old, (dict, list)) or not hasattr(parent, "lc"):
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


def to_plain(value: Any) -> Any:
    """Deep copy of ruamel data as plain dict/list/str for forms."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
