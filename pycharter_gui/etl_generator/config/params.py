"""Run parameters: ``run(symbol="AAPL")`` -> request/bind params per ``input_params``."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, ConfigProblem

_TRUE = {"true", "1", "yes", "on", "y"}
_FALSE = {"false", "0", "no", "off", "n", ""}


def coerce_param(value: Any, type_name: str | None) -> Any:
    """Convert a run parameter to its declared type; ``ValueError`` when it cannot."""
    if value is None or type_name is None:
        return value
    if type_name == "int":
        if isinstance(value, bool):
            raise ValueError("expected a whole number, got true/false")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueError(f"expected a whole number, got {value}")
            return int(value)
        return int(str(value).strip())
    if type_name == "float":
        if isinstance(value, bool):
            raise ValueError("expected a number, got true/false")
        return float(str(value).strip()) if not isinstance(value, int | float) else float(value)
    if type_name == "str":
        return value if isinstance(value, str) else str(value)
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError(f"expected true or false, got {value!r}")
    if type_name == "date":
        if isinstance(value, _dt.datetime):
            return value.date()
        if isinstance(value, _dt.date):
            return value
        return _dt.date.fromisoformat(str(value).strip())
    if type_name == "datetime":
        if isinstance(value, _dt.datetime):
            return value
        if isinstance(value, _dt.date):
            return _dt.datetime.combine(value, _dt.time())
        return _dt.datetime.fromisoformat(str(value).strip())
    return value


def resolve_input_params(
    extract_cfg: Mapping[str, Any], kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split run kwargs into (request/bind params, extra kwargs for custom functions).

    Starts from the extract ``params``; each declared input param given in ``kwargs`` is
    coerced to its ``type`` and set under ``param_mapping.get(name, name)``; missing required
    params are a ``ConfigError``; defaults fill the rest. Undeclared kwargs are returned as
    extra kwargs; when the extract declares no input_params at all they are also merged into
    the params (pycharter 0.0.35 forwards every run kwarg to the source).
    """
    if not extract_cfg.get("__canonical__"):
        from .extract import normalize_extract

        extract_cfg = normalize_extract(dict(extract_cfg), extract_cfg.get("base_dir"))
    params = dict(extract_cfg.get("params") or {})
    declared: Mapping[str, Any] = extract_cfg.get("input_params") or {}
    mapping: Mapping[str, str] = extract_cfg.get("param_mapping") or {}
    problems: list[ConfigProblem] = []
    for name, spec in declared.items():
        spec = spec or {}
        target = mapping.get(name, name)
        type_name = spec.get("type")
        if name in kwargs and kwargs[name] is not None:
            try:
                params[target] = coerce_param(kwargs[name], type_name)
            except (ValueError, TypeError) as exc:
                problems.append(ConfigProblem(
                    file="extract.yaml", key=f"input_params.{name}",
                    message=f"run parameter '{name}' must be of type {type_name}: {exc}",
                    hint=f"pass {name}=<{type_name}>"))
        elif spec.get("required"):
            problems.append(ConfigProblem(
                file="extract.yaml", key=f"input_params.{name}",
                message=f"required run parameter '{name}' was not given",
                hint=f"pass it to run(), e.g. run({name}=...), or with --param {name}=..."))
        elif spec.get("default") is not None and target not in params:
            try:
                params[target] = coerce_param(spec["default"], type_name)
            except (ValueError, TypeError) as exc:
                problems.append(ConfigProblem(
                    file="extract.yaml", key=f"input_params.{name}.default",
                    message=f"default of '{name}' is not of type {type_name}: {exc}"))
    if problems:
        raise ConfigError(problems)
    extra = {k: v for k, v in kwargs.items() if k not in declared}
    if not declared:
        for name, value in extra.items():
            params[mapping.get(name, name)] = value
    if extract_cfg.get("type") == "database":
        params = {**(extract_cfg.get("query_params") or {}), **params}
    return params, extra


def record_params(extract_cfg: Mapping[str, Any], transform_cfg: Mapping[str, Any] | None,
                  kwargs: Mapping[str, Any]) -> dict[str, Any]:
    """Declared input params given as run kwargs, for the 0.0.20 dialect to write into every
    record (config-format §1.3 step 5); ``{}`` for any other transform dialect.

    The values (typed like the request params) go in before the transform under the param's
    own name, so ``rename`` gives them the target name and ``type``/``fill_null``/``drop``
    apply, as 0.0.20 injected after rename and before type conversion.
    """
    if (transform_cfg or {}).get("dialect") != "0.0.20":
        return {}
    declared: Mapping[str, Any] = extract_cfg.get("input_params") or {}
    return {name: coerce_param(kwargs[name], (spec or {}).get("type"))
            for name, spec in declared.items() if kwargs.get(name) is not None}
