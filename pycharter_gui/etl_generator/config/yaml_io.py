"""Read YAML/JSON config files into plain Python data plus a map of dotted key -> line."""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import json
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import SafeRepresenter
from ruamel.yaml.resolver import VersionedResolver

from ..errors import ConfigError, ConfigProblem

LineMap = dict[str, int]


# Bounds that no real pipeline config comes near, so a hostile or broken file (a "billion
# laughs" alias bomb, thousands of nested levels, a huge file) fails fast with a ConfigError.
MAX_CONFIG_BYTES = 5 * 1024 * 1024
MAX_DEPTH = 100
MAX_VALUES = 50_000  # values after expanding YAML aliases (``*name``)


class _Budget:
    """Counts values as aliases are expanded, and the depth reached."""

    def __init__(self, file: str | None) -> None:
        self.file = file
        self.values = 0

    def spend(self, depth: int) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise _limit_error(self.file, f"expands to more than {MAX_VALUES:,} values "
                               "(YAML aliases like *name repeat whole blocks)",
                               "a pipeline config needs far fewer; use fewer or smaller aliases")
        if depth > MAX_DEPTH:
            raise _limit_error(self.file, f"nests deeper than {MAX_DEPTH} levels",
                               "flatten the structure")


def _limit_error(file: str | None, message: str, hint: str) -> ConfigError:
    return ConfigError([ConfigProblem(file=file, key="", message=f"file {message}", hint=hint)])


def _plain(node: Any, prefix: str, lines: LineMap, budget: _Budget, depth: int = 0) -> Any:
    """Convert ruamel round-trip nodes to builtins, recording 1-based lines per dotted key."""
    budget.spend(depth)
    if isinstance(node, CommentedMap):
        out: dict[Any, Any] = {}
        for key, value in node.items():
            dotted = f"{prefix}.{key}" if prefix else str(key)
            with contextlib.suppress(KeyError, TypeError, AttributeError):
                lines[dotted] = node.lc.key(key)[0] + 1
            plain_key = str(key) if isinstance(key, str) else _plain(key, "", {}, budget, depth)
            out[plain_key] = _plain(value, dotted, lines, budget, depth + 1)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            dotted = f"{prefix}.{index}" if prefix else str(index)
            with contextlib.suppress(KeyError, TypeError, AttributeError, IndexError):
                lines[dotted] = node.lc.item(index)[0] + 1
            items.append(_plain(value, dotted, lines, budget, depth + 1))
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


_FLOW_RE = re.compile(r"[][{}'\"\n]|(?:^|(?<=\s))#")


def _flow_depth(text: str) -> int:
    """The deepest ``[``/``{`` nesting outside quotes and comments (a cheap pre-check)."""
    depth = deepest = 0
    quote = ""
    comment = False
    for match in _FLOW_RE.finditer(text):
        ch = match.group()
        if comment:
            comment = ch != "\n"
        elif quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#":
            comment = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


# Texts parsed lately (text, file) -> (data, lines): the round-trip parser is pure Python
# (~300 ms for a 3,000-line file) and the designer reads the same texts again and again (every
# pipeline switch looks up its dead-letter queue through the whole config); a parse held the
# interpreter lock that long and the window stalled (issue 12). Callers get their own copies.
_PARSED: OrderedDict[tuple[str, str | None], tuple[Any, LineMap]] = OrderedDict()
_PARSED_MAX = 32
_PARSED_TEXT_MAX = 1 << 20  # bigger texts (hostile or generated) are not kept
_PARSED_LOCK = threading.Lock()


def _copy(value: Any) -> Any:
    """A copy of plain parsed data (its scalars are immutable)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value


def parse_yaml_text(text: str, file: str | None = None) -> tuple[Any, LineMap]:
    """Parse pipeline YAML text (YAML 1.2, as every reader of pipeline configs does: ``NO``
    is the text 'NO'); return (plain data, line map of dotted key -> 1-based line). Empty
    text gives ``{}``. A text parsed lately is not parsed again (the result is copied).

    Raises ``ConfigError`` naming the file and line of a syntax error.
    """
    key = (text, file)
    with _PARSED_LOCK:
        hit = _PARSED.get(key)
        if hit is not None:
            _PARSED.move_to_end(key)
    if hit is None:
        hit = _parse(text, file)
        if len(text) > _PARSED_TEXT_MAX:
            return hit
        with _PARSED_LOCK:
            _PARSED[key] = hit
            while len(_PARSED) > _PARSED_MAX:
                _PARSED.popitem(last=False)
    return _copy(hit[0]), dict(hit[1])


def _parse(text: str, file: str | None) -> tuple[Any, LineMap]:
    if _flow_depth(text) > MAX_DEPTH:  # the parser is quadratic in flow ([ {) nesting
        raise _limit_error(file, f"nests deeper than {MAX_DEPTH} levels", "flatten the structure")
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
    except RecursionError as exc:  # the parser recurses per nesting level
        raise _limit_error(file, f"nests deeper than {MAX_DEPTH} levels",
                           "flatten the structure") from exc
    if node is None:
        return {}, {}
    lines: LineMap = {}
    return _plain(node, "", lines, _Budget(file)), lines


_STR = "tag:yaml.org,2002:str"
_RESOLVERS = (VersionedResolver(version=(1, 1)), VersionedResolver(version=(1, 2)))


class _Representer(SafeRepresenter):
    """Quotes a string that YAML 1.1 or 1.2 would read as something else (NO, on, 1e3)."""

    def represent_str(self, data: str) -> Any:
        typed = any(r.resolve(ScalarNode, data, (True, False)) != _STR for r in _RESOLVERS)
        return self.represent_scalar(_STR, data, style="'" if typed else None)


_Representer.add_representer(str, _Representer.represent_str)


def dump_yaml_text(data: Any) -> str:
    """``data`` as block YAML that ``parse_yaml_text`` and YAML 1.1 readers (pycharter's
    PyYAML) read back alike; key order kept."""
    yaml = YAML(typ="safe", pure=True)
    yaml.Representer = _Representer
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def read_config_file(path: str | Path) -> tuple[Any, LineMap]:
    """Read one YAML or JSON config file with line numbers (JSON parsed as YAML 1.2)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            raise _limit_error(str(path), f"is larger than {MAX_CONFIG_BYTES // 2**20} MB",
                               "a pipeline config is a few kilobytes; is this the right file?")
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
            data = json.loads(text) if text.strip() else {}
        except RecursionError as exc:
            raise _limit_error(str(path), f"nests deeper than {MAX_DEPTH} levels",
                               "flatten the structure") from exc
        except json.JSONDecodeError as exc:
            raise ConfigError([ConfigProblem(
                file=str(path), key="", line=exc.lineno, message=f"invalid JSON: {exc.msg}",
            )]) from exc
        _check_depth(data, _Budget(str(path)))
        return data, {}
    return parse_yaml_text(text, file=str(path))


def _check_depth(data: Any, budget: _Budget, depth: int = 0) -> None:
    """Apply the YAML bounds to parsed JSON (which has no aliases, but can nest deeply)."""
    budget.spend(depth)
    children = data.values() if isinstance(data, dict) else data if isinstance(data, list) else ()
    for child in children:
        _check_depth(child, budget, depth + 1)


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
