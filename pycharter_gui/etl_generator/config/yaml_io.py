"""Read YAML/JSON config files into plain Python data plus a map of dotted key -> line."""

from __future__ import annotations

import contextlib
import datetime as _dt
import json
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from ..errors import ConfigError, ConfigProblem

LineMap = dict[str, int]


def _plain(node: Any, prefix: str, lines: LineMap) -> Any:
    """Convert ruamel round-trip nodes to builtins, recording 1-based lines per dotted key."""
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else str(key)
            with contextlib.suppress(KeyError, TypeError, AttributeError):
                lines[dotted] = node.lc.key(key)[0] + 1
            out[_plain(key, "", {}) if not isinstance(key, str) else str(key)] = _plain(
                value, dotted, lines
            )
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            dotted = f"{prefix}.{index}" if prefix else str(index)
            with contextlib.suppress(KeyError, TypeError, AttributeError, IndexError):
                lines[dotted] = node.lc.item(index)[0] + 1
            items.append(_plain(value, dotted, lines))
        return items
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, _dt.datetime):
        return _dt.datetime.fromisoformat(node.isoformat())
    return node


def parse_yaml_text(text: str, file: str | None = None) -> tuple[Any, LineMap]:
    """Parse YAML text; return (plain data, line map). Empty text gives ``{}``.

    Raises ``ConfigError`` naming the file and line of a syntax error.
    """
    yaml = YAML(typ="rt")
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(part) for part in (exc.problem, exc.context) if part)
        raise ConfigError([ConfigProblem(
            file=file, key="", line=line, message=f"invalid YAML: {message or exc}",
            hint="check indentation, colons and quotes on this line or the one above",
        )]) from exc
    except YAMLError as exc:
        raise ConfigError([ConfigProblem(file=file, key="", message=f"invalid YAML: {exc}")]) from exc
    if node is None:
        return {}, {}
    lines: LineMap = {}
    return _plain(node, "", lines), lines


def read_config_file(path: str | Path) -> tuple[Any, LineMap]:
    """Read one YAML or JSON config file with line numbers (JSON parsed as YAML 1.2)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise ConfigError([ConfigProblem(
            file=str(path), key="", message="file not found",
        )]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([ConfigProblem(
            file=str(path), key="", message=f"cannot read file: {exc}",
        )]) from exc
    if path.suffix.lower() == ".json":
        try:
            return (json.loads(text) if text.strip() else {}), {}
        except json.JSONDecodeError as exc:
            raise ConfigError([ConfigProblem(
                file=str(path), key="", line=exc.lineno, message=f"invalid JSON: {exc.msg}",
            )]) from exc
    return parse_yaml_text(text, file=str(path))


def line_for(lines: LineMap | None, key: str) -> int | None:
    """The line of ``key`` or of its nearest ancestor present in ``lines``."""
    if not lines:
        return None
    parts = key.split(".") if key else []
    while parts:
        dotted = ".".join(parts)
        if dotted in lines:
            return lines[dotted]
        parts.pop()
    return None
