"""``normalize_transform``: every transform.yaml shape -> the canonical ``ops`` list."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .extract import locate
from .models_transform import OP_ORDER, TransformConfig, TransformOps
from .resolve import Context, Normalizer, strip_metadata
from .substitution import substitute_tree
from .yaml_io import LineMap

_V2_KEYS = ("convert", "defaults", "add", "select", "filter")
_LEGACY_KEYS = ("type", "fill_null", "flatten")


def empty_transform(base_dir: str | None = None) -> dict[str, Any]:
    """The canonical 'no transforms' dict."""
    return {"__canonical__": True, "ops": [], "strict": False, "jsonata": None,
            "custom_function": None, "dialect": None, "base_dir": base_dir}


def build_transform(raw: Any, ctx: Context, config_context: Mapping[str, Any] | None,
                    lines: LineMap | None = None) -> dict[str, Any]:
    """Normalise into ``ctx``; the result is only valid when ``ctx.problems`` is empty."""
    if lines is not None:
        ctx.lines = lines
    base = str(ctx.base_dir) if ctx.base_dir else None
    cfg = empty_transform(base)
    if raw is None:
        return cfg
    if isinstance(raw, list):
        raw = {"transform": raw}
    if not isinstance(raw, Mapping):
        ctx.add("", f"must be a mapping or a list of operations, not {type(raw).__name__}")
        return cfg
    callable_obj = None
    data = strip_metadata(dict(raw))
    custom = data.get("custom_function")
    if isinstance(custom, Mapping) and callable(custom.get("callable")):
        callable_obj = custom["callable"]  # a Python function given in a dict config
        data["custom_function"] = {**custom, "callable": "python.callable"}
    data, _secrets, problems = substitute_tree(
        data, config_context, only_context=True, file=ctx.file, key=ctx.prefix)
    ctx.problems += [locate(p, ctx) for p in problems]
    _drop_nested_custom_function(data, ctx)
    parsed = ctx.validate(TransformConfig, data)
    if parsed is None:
        return cfg
    strict = bool(parsed.strict)
    if parsed.transform is not None:
        for key in _V2_KEYS + _LEGACY_KEYS + ("rename", "drop"):
            if key in data:
                ctx.add(key, f"top-level '{key}' is ignored because 'transform:' is present",
                        "move it under transform:", severity="warning")
        items = parsed.transform if isinstance(parsed.transform, list) else [parsed.transform]
        for item in items:
            cfg["ops"] += _ops_of(item)
            strict = strict or bool(item.strict)
    else:
        given = {k for k in data if getattr(parsed, k, None) is not None}
        legacy = bool(given & set(_LEGACY_KEYS)) and not (given & set(_V2_KEYS))
        ops = TransformOps(
            rename=parsed.rename, flatten=parsed.flatten,
            convert={**(parsed.type or {}), **(parsed.convert or {})} or None,
            defaults={**_unwrap_defaults(parsed.fill_null), **(parsed.defaults or {})} or None,
            add=parsed.add, select=parsed.select, drop=parsed.drop, filter=parsed.filter,
        )
        cfg["ops"] = _ops_of(ops)
        if legacy:
            cfg["dialect"] = "0.0.20"
    cfg["strict"] = strict
    if parsed.jsonata is not None:
        jsonata = parsed.jsonata
        expression, mode = (jsonata, "batch") if isinstance(jsonata, str) else (
            jsonata.expression, jsonata.mode)
        if expression and expression.strip():
            cfg["jsonata"] = {"expression": expression, "mode": mode}
    if parsed.custom_function is not None:
        custom_cfg = parsed.custom_function.model_dump()
        if callable_obj is not None:
            custom_cfg["callable"] = callable_obj
        cfg["custom_function"] = custom_cfg
    _check_compiles(cfg, ctx)
    return cfg


normalize_transform = Normalizer(
    build_transform, "transform.yaml",
    "Return the canonical transform dict; ``ConfigError`` lists every problem.\n\n"
    "Only ``config_context`` names are substituted: other ``${...}`` stay for per-record use.")


def _check_compiles(cfg: dict[str, Any], ctx: Context) -> None:
    """Compile ``add`` expressions and JSONata now, so validation reports what a run would."""
    from ..errors import ConfigError
    from .checks import compile_check

    for op in cfg["ops"]:
        if op["op"] != "add":
            continue
        try:
            compile_check("add")(op["spec"])
        except ConfigError as exc:
            for problem in exc.problems:
                ctx.add(f"transform.{problem.key.removeprefix('transform.')}", problem.message)
    jsonata = cfg["jsonata"]
    if jsonata:
        try:
            compile_check("jsonata")(jsonata["expression"], jsonata["mode"])
        except ConfigError as exc:
            for problem in exc.problems:
                ctx.add(problem.key, problem.message, problem.hint)


def _drop_nested_custom_function(data: dict[str, Any], ctx: Context) -> None:
    """``custom_function`` inside ``transform:`` never ran in pycharter: accept it, say so,
    and say where it runs (it is not run, so no code starts to run unannounced)."""
    ops = data.get("transform")
    items = ops if isinstance(ops, list) else [ops]
    for index, item in enumerate(items):
        if isinstance(item, dict) and "custom_function" in item:
            item = dict(item)
            del item["custom_function"]
            if isinstance(ops, list):
                ops[index] = item
                key = f"transform.{index}.custom_function"
            else:
                data["transform"] = item
                key = "transform.custom_function"
            ctx.add(key, "custom_function under transform: has no effect (pycharter ignored "
                    "it too)", "move it to the top level of transform.yaml to run it",
                    severity="warning")


def _unwrap_defaults(fill_null: dict[str, Any] | None) -> dict[str, Any]:
    """0.0.20 ``fill_null: {field: {default: v}}`` -> ``{field: v}``."""
    out = {}
    for field, value in (fill_null or {}).items():
        if isinstance(value, Mapping) and set(value) == {"default"}:
            value = value["default"]
        out[field] = value
    return out


def _ops_of(item: TransformOps) -> list[dict[str, Any]]:
    """The ops of one mapping, in the fixed order (config-format §4.2)."""
    ops = []
    for name in OP_ORDER:
        spec = getattr(item, name)
        if spec is None:
            continue
        if name == "filter":
            spec = ([f.model_dump() for f in spec] if isinstance(spec, list)
                    else spec.model_dump())
        elif isinstance(spec, dict):
            spec = dict(spec)
        elif isinstance(spec, list):
            spec = list(spec)
        ops.append({"op": name, "spec": spec})
    return ops
