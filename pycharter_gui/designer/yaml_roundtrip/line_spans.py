"""Columns of a one-line scalar, flow collection or key on one line of YAML text."""

from __future__ import annotations

import re

_PLAIN_END = re.compile(r"\s+#")


def scalar_span(line: str, col: int) -> tuple[int, int] | None:
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


def key_span(body: str, col: int) -> tuple[int, int] | None:
    """Start/end columns of the mapping key that starts at col on body."""
    if col < len(body) and body[col] in "'\"":
        return scalar_span(body, col)
    m = re.compile(r":(?=\s|$)").search(body, col)
    return (col, len(body[:m.start()].rstrip())) if m else None


def replace_span(body: str, span: tuple[int, int] | None,
                 new_text: str | None) -> str | None:
    """body with span replaced by new_text; None when either is None."""
    if span is None or new_text is None:
        return None
    return body[:span[0]] + new_text + body[span[1]:]
