"""Schema inference: propose a JSON Schema (and so ``convert`` rules) from sample records."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def _value_kind(value: Any) -> tuple[str, str | None]:
    if isinstance(value, bool):
        return "boolean", None
    if isinstance(value, int):
        return "integer", None
    if isinstance(value, float):
        return "number", None
    if isinstance(value, dict):
        return "object", None
    if isinstance(value, list):
        return "array", None
    text = str(value).strip()
    if _INT.match(text):
        return "integer", None
    if _FLOAT.match(text):
        return "number", None
    if text.lower() in ("true", "false"):
        return "boolean", None
    for fmt, parse in (("date", dt.date.fromisoformat), ("date-time", dt.datetime.fromisoformat)):
        try:
            parse(text)
            return "string", fmt
        except ValueError:
            pass
    return "string", None


def infer_schema(records: list[dict[str, Any]], title: str | None = None) -> dict[str, Any]:
    """A JSON Schema proposed from sample records (text that always parses as a number,
    boolean or date is typed as such, so ``convert_type`` proposes the rule)."""
    kinds: dict[str, set[tuple[str, str | None]]] = {}
    present: dict[str, int] = {}
    for rec in records:
        for key, value in rec.items():
            kinds.setdefault(key, set())
            if value not in (None, ""):
                kinds[key].add(_value_kind(value))
                present[key] = present.get(key, 0) + 1
    props: dict[str, Any] = {}
    for key, seen in kinds.items():
        names = {k for k, _ in seen}
        if names == {"integer", "number"}:
            names, seen = {"number"}, {("number", None)}
        if len(names) != 1:
            props[key] = {"type": "string"}
            continue
        kind = names.pop()
        fmts = {f for _, f in seen}
        prop: dict[str, Any] = {"type": kind}
        if kind == "string" and len(fmts) == 1 and None not in fmts:
            prop["format"] = fmts.pop()
        props[key] = prop
    schema: dict[str, Any] = {"type": "object", "properties": props,
                              "required": [k for k in kinds if present.get(k) == len(records)]}
    if title:
        schema["title"] = title
    return schema
