"""Setting and deleting keys in YAML text: one-line values are replaced in place and entries cut
out by their lines, so the rest of the file stays byte-identical; otherwise the document is
dumped in the file's own style."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap

from pycharter_gui.designer.yaml_roundtrip.block_patch import is_block, merge_into, patch_block
from pycharter_gui.designer.yaml_roundtrip.line_spans import scalar_span
from pycharter_gui.designer.yaml_roundtrip.reading import YamlStyle, dump, get_value, split_key
from pycharter_gui.designer.yaml_roundtrip.scalars import MISSING, is_flow, same_scalar, scalar_text, to_yaml_value


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
    old = parent.get(last, MISSING) if isinstance(parent, dict) else (
        parent[last] if isinstance(last, int) and last < len(parent) else MISSING)
    if is_block(old) and isinstance(value, dict if isinstance(old, dict) else (list, tuple)):
        # Rows added, removed, renamed or moved: rewrite only the lines of those rows.
        patched = patch_block(text, old, value)
        merge_into(old, value)
        return patched if patched is not None else dump(data, style)
    new = to_yaml_value(value, old)
    if old is not MISSING and old == new and type(old) is type(new):
        return text
    surgical = _surgical_replace(text, parent, last, old, new)
    parent[last] = new
    if surgical is not None:
        return surgical
    return dump(data, style)


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


def _surgical_replace(text: str, parent: Any, last: Any, old: Any, new: Any) -> str | None:
    """Replace a one-line scalar in place, or None when a dump is needed."""
    if old is MISSING or (isinstance(old, (dict, list)) and not is_flow(old)) or not hasattr(
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
    span = scalar_span(body, col)
    if span is None:
        return None
    start, end = span
    old_text = body[start:end]
    if old_text != scalar_text(old) and not same_scalar(old_text, old):
        return None
    lines[line_no] = body[:start] + new_text + body[end:] + eol
    return "".join(lines)


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
    if not is_block(parent):
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
