"""Reading a YAML file round-trip: parsing with located errors, dumping, detecting the file's
own indentation, and finding values and lines by dotted key."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

_CANDIDATES = ((2, 2, 0), (2, 4, 2), (4, 4, 2), (2, 3, 1), (4, 6, 4), (4, 4, 0), (3, 3, 0))


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


def yaml_for(style: YamlStyle) -> YAML:
    """A round-trip ruamel YAML that keeps quotes and writes in style."""
    y = YAML()
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=style.mapping, sequence=style.sequence, offset=style.offset)
    y.explicit_start = style.explicit_start
    return y


def parse(text: str) -> Any:
    """Parse ``text`` round-trip; raises ``ParseError`` with a line number."""
    try:
        return yaml_for(YamlStyle()).load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = exc.problem or exc.context or str(exc)
        raise ParseError(str(msg), line) from exc
    except YAMLError as exc:
        raise ParseError(str(exc), None) from exc


def dump(data: Any, style: YamlStyle) -> str:
    buf = io.StringIO()
    yaml_for(style).dump(data, buf)
    return buf.getvalue()


# A file's indentation is judged on its first lines: each candidate is a dump of the whole
# data, and a 3,000-line file took up to seven (~160 ms each, pure Python holding the
# interpreter lock while the window waited; issue 12).
STYLE_SAMPLE_LINES = 150


def detect_style(text: str, data: Any | None = None) -> YamlStyle:
    """The candidate indentation whose dump reproduces most of ``text``'s lines (of its first
    ``STYLE_SAMPLE_LINES`` when those parse on their own, else of all of them)."""
    explicit = text.lstrip().startswith("---")
    lines = text.split("\n")
    if len(lines) > STYLE_SAMPLE_LINES:
        head = "\n".join(lines[:STYLE_SAMPLE_LINES]) + "\n"
        with contextlib.suppress(ParseError):
            sample = parse(head)
            if isinstance(sample, CommentedMap | CommentedSeq):
                return _best_style(head, sample, explicit)
    if data is None:
        try:
            data = parse(text)
        except ParseError:
            return YamlStyle(explicit_start=explicit)
    if not isinstance(data, (CommentedMap, CommentedSeq)):
        return YamlStyle(explicit_start=explicit)
    return _best_style(text, data, explicit)


def _best_style(text: str, data: Any, explicit: bool) -> YamlStyle:
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
