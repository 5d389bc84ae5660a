"""Scalars between Python and YAML text: ruamel types that keep the old quoting, the one-line
text of a value, YAML 1.2 typing of a table cell and the cell text that types back."""

from __future__ import annotations

import math
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import (
    DoubleQuotedScalarString,
    LiteralScalarString,
    SingleQuotedScalarString,
)

from pycharter_gui.designer.yaml_roundtrip.reading import YamlStyle, dump

# Plain scalars YAML 1.2 reads as text but a YAML 1.1 reader (PyYAML) would type: quote them.
_YAML11_TYPED = re.compile(
    r"^(?:[yYnN]|yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?)$")
MISSING = object()


def to_yaml_value(value: Any, old: Any = MISSING) -> Any:
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
            cm[k] = to_yaml_value(v, old_map.get(k, MISSING))
        if is_flow(old):
            cm.fa.set_flow_style()  # ``{type: integer}`` stays on its line
        return cm
    if isinstance(value, (list, tuple)) and not isinstance(value, CommentedSeq):
        seq = CommentedSeq(to_yaml_value(v) for v in value)
        if is_flow(old) or (old is not MISSING and old is not None
                             and not isinstance(old, (dict, list))):
            seq.fa.set_flow_style()  # ``key: a`` becomes ``key: [a, b]`` on its own line
        return seq
    return value


def is_flow(value: Any) -> bool:
    """A {...} or [...] collection written on one line."""
    return isinstance(value, (CommentedMap, CommentedSeq)) and bool(value.fa.flow_style())


def scalar_text(value: Any) -> str | None:
    """The YAML text of a one-line scalar or flow collection (as ruamel writes it), else None."""
    if (isinstance(value, (dict, list)) and not is_flow(value)) or (
            isinstance(value, str) and "\n" in value):
        return None
    out = dump(CommentedMap([("k", value)]), YamlStyle()).rstrip("\n")
    if "\n" in out or not out.startswith("k: "):
        return None
    return out[3:]


def same_value(a: Any, b: Any) -> bool:
    """Equal and of the same YAML type (``1``, ``true`` and ``'1'`` all differ)."""
    def kind(v: Any) -> type:
        return next((t for t in (bool, int, float, str, dict, list) if isinstance(v, t)),
                    type(v))
    return kind(a) is kind(b) and a == b


def same_scalar(old_text: str, old: Any) -> bool:
    """old_text (a scalar's text on its line) loads as old."""
    try:
        return YAML(typ="safe", pure=True).load("k: " + old_text)["k"] == old
    except Exception:
        return False
_RESOLVER = VersionedResolver(version=(1, 2))
SAFE_YAML = YAML(typ="safe", pure=True)


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
        return SAFE_YAML.load(s)
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
    if isinstance(value, str) and not same_value(parse_scalar(text), value):
        return "'" + text.replace("'", "''") + "'"
    return text
