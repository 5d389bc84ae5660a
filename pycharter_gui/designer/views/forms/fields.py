"""Field names the forms offer in their pickers: from the sample or schema.yaml, step by step.

Pure functions (no Qt). A *catalog* maps a field name to its type as the contract would say
it (``integer``, ``number``, ``string``, ``boolean``, ``date``…; ``""`` when unknown).
"""

from __future__ import annotations

import difflib
from typing import Any

Catalog = dict[str, str]

# The transform's simple operations in the order they run (config-format §4.2).
STEPS = ("rename", "convert", "defaults", "add", "select", "drop", "filter")
_CONVERTED = {"int": "integer", "integer": "integer", "float": "number", "number": "number",
              "numeric": "number", "double": "number", "str": "string", "string": "string",
              "bool": "boolean", "boolean": "boolean", "date": "date", "datetime": "date-time",
              "timestamp": "date-time"}


def sample_catalog(records: list[dict[str, Any]] | None) -> Catalog:
    """Fields of sample records with the type ``infer_schema`` gives them, in record order."""
    if not records:
        return {}
    from pycharter_gui.etl_generator import infer_schema

    return schema_catalog(infer_schema(records))


def schema_catalog(schema: Any) -> Catalog:
    """Fields of a JSON Schema's ``properties`` with their type (or format)."""
    props = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(props, dict):
        return {}
    out: Catalog = {}
    for name, prop in props.items():
        prop = prop if isinstance(prop, dict) else {}
        kind = prop.get("format") or prop.get("type") or ""
        out[str(name)] = ", ".join(map(str, kind)) if isinstance(kind, list) else str(kind)
    return out


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def catalog_by_step(source: Catalog, ops: dict[str, Any]) -> dict[str, Catalog]:
    """The fields each simple operation sees (its input), and ``"out"``: what the ops emit.

    rename moves a field to its new name, convert changes types, defaults and add create
    fields, select keeps and drop removes some; unknown names are ignored as the engine does.
    """
    steps: dict[str, Catalog] = {}
    fields = dict(source)
    for step in STEPS:
        steps[step] = dict(fields)
        spec = ops.get(step)
        if step == "rename":
            for old, new in _mapping(spec).items():
                if old in fields:
                    fields[str(new)] = fields.pop(old)
        elif step == "convert":
            for name, typ in _mapping(spec).items():
                if name in fields:
                    fields[name] = _CONVERTED.get(str(typ).strip().lower(), fields[name])
        elif step in ("defaults", "add"):
            for name in _mapping(spec):
                fields.setdefault(str(name), "")
        elif step == "select" and spec is not None:
            keep = set(_names(spec))
            fields = {k: v for k, v in fields.items() if k in keep}
        elif step == "drop":
            for name in _names(spec):
                fields.pop(name, None)
    steps["out"] = fields
    return steps


def closest(name: str, names: list[str] | Catalog) -> str | None:
    """The real field name most like ``name`` (difflib), or None when nothing is close."""
    found = difflib.get_close_matches(name, list(names), n=1, cutoff=0.6)
    if not found:
        lowered = {n.lower(): n for n in names}
        return lowered.get(name.lower())
    return found[0]


def unknown_names_message(names: list[str], catalog: Catalog, what: str = "the sample") -> str:
    """One warning line per name absent from ``catalog``, with the closest real name."""
    lines = []
    for name in names:
        if not name or name in catalog:
            continue
        hint = closest(name, catalog)
        lines.append(f"⚠ '{name}' is not a field of {what}"
                     + (f"; did you mean '{hint}'?" if hint else "."))
    return "\n".join(lines)
