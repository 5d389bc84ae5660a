"""0.0.20 ``flatten`` (config-format Appendix A): nested dicts/lists become ``field_sub`` keys.

Per field: ``{enabled: true, strategy: simple|recursive|array_flatten, separator: "_",
max_depth: 10, prefix: <field>, key_mapping: {sub: out}, flatten_arrays: false}``.
``simple`` flattens one level, ``recursive`` nests down to ``max_depth``, ``array_flatten``
(or ``flatten_arrays: true``) also expands lists by position (``items_0_sku``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def _flatten(value: Any, prefix: str, sep: str, depth: int, max_depth: int,
             arrays: bool, out: dict[str, Any]) -> None:
    if isinstance(value, dict) and depth < max_depth:
        for key, sub in value.items():
            _flatten(sub, f"{prefix}{sep}{key}", sep, depth + 1, max_depth, arrays, out)
    elif arrays and isinstance(value, list) and depth < max_depth:
        for pos, sub in enumerate(value):
            _flatten(sub, f"{prefix}{sep}{pos}", sep, depth + 1, max_depth, arrays, out)
    else:
        out[prefix] = value


def compile_flatten(spec: dict[str, Any] | list[str]
                    ) -> Callable[[dict[str, Any], int, list], dict[str, Any]]:
    """Compile ``{field: options}`` (or a list of field names with default options)."""
    if isinstance(spec, list | tuple):
        spec = {str(name): {} for name in spec}
    plans = []
    for field, opts in (spec or {}).items():
        opts = opts if isinstance(opts, dict) else {"enabled": bool(opts)}
        if not opts.get("enabled", True):
            continue
        strategy = str(opts.get("strategy", "simple")).lower()
        recursive = strategy in ("recursive", "array_flatten") or bool(opts.get("recursive"))
        max_depth = int(opts.get("max_depth", 10)) if recursive else 1
        arrays = strategy == "array_flatten" or bool(opts.get("flatten_arrays"))
        plans.append((
            str(field), str(opts.get("separator", "_")), max(max_depth, 1), arrays,
            str(opts.get("prefix", field)), dict(opts.get("key_mapping") or {}),
        ))

    def flatten(record: dict[str, Any], index: int, warnings: list) -> dict[str, Any]:
        for field, sep, max_depth, arrays, prefix, key_mapping in plans:
            value = record.get(field)
            if not isinstance(value, dict | list) or (isinstance(value, list) and not arrays):
                continue
            flat: dict[str, Any] = {}
            if isinstance(value, dict):
                for key, sub in value.items():
                    name = key_mapping.get(key, f"{prefix}{sep}{key}")
                    _flatten(sub, name, sep, 1, max_depth, arrays, flat)
            else:
                _flatten(value, prefix, sep, 0, max_depth, arrays, flat)
            out: dict[str, Any] = {}
            for key, val in record.items():
                if key == field:
                    out.update(flat)
                else:
                    out[key] = val
            record = out
        return record
    return flatten
