"""Build a paginator from the (nested or flat) ``pagination`` config, with located errors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError, ConfigProblem
from .pagination import (
    BasePaginator,
    CursorPaginator,
    LinkHeaderPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    StopConditions,
)

_STRATEGIES = {"page": "page", "page_number": "page", "offset": "offset", "cursor": "cursor",
               "next_url": "next_url", "next": "next_url", "link": "link_header",
               "link_header": "link_header"}


def _problem(key: str, message: str, hint: str | None = None) -> ConfigProblem:
    return ConfigProblem(file="extract.yaml", key=f"pagination.{key}", message=message, hint=hint)


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _int(value: Any, key: str, problems: list[ConfigProblem]) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        problems.append(_problem(key, f"must be a whole number, not {value!r}"))
        return None


def build_paginator(cfg: Mapping[str, Any] | None, params: Mapping[str, Any] | None = None
                    ) -> BasePaginator:
    """Build the paginator for a ``pagination`` block (nested form; flat keys accepted too).

    ``params`` are the request's query params; their ``limit`` (or the configured limit param)
    is the page size for the ``fewer_records`` condition and the offset increment.
    """
    params = dict(params or {})
    cfg = dict(cfg or {})
    enabled = cfg.get("enabled")
    if enabled is None:  # on when any pagination setting is given
        enabled = any(v is not None for k, v in cfg.items() if k not in {"enabled", "page_delay"})
    if not enabled:
        return BasePaginator(StopConditions(stop_on_empty=False))
    problems: list[ConfigProblem] = []
    raw_strategy = str(cfg.get("strategy") or "page").lower()
    strategy = _STRATEGIES.get(raw_strategy)
    if strategy is None:
        problems.append(_problem("strategy", f"unknown strategy '{raw_strategy}'",
                                 "use page, offset, cursor, next_url or link_header"))
        strategy = "page"
    opts = dict(cfg.get(strategy) or {}) if isinstance(cfg.get(strategy), Mapping) else {}

    # Flat form (0.0.35 model) -> nested options.
    flat = {"page": ("page_param", "param_name"), "offset": ("offset_param", "param_name"),
            "cursor": ("cursor_param", "param_name")}
    if strategy in flat and cfg.get(flat[strategy][0]):
        opts.setdefault("param_name", cfg[flat[strategy][0]])
    if strategy == "cursor" and cfg.get("cursor_path"):
        opts.setdefault("response_path", cfg["cursor_path"])
    if strategy == "next_url" and cfg.get("next_link_path"):
        opts.setdefault("response_path", cfg["next_link_path"])
    limit_param = str(opts.get("limit_param") or cfg.get("limit_param") or "limit")
    extra: dict[str, Any] = {}
    page_size = _int(_first(cfg.get("page_size"), opts.get("page_size")), "page_size", problems)
    if page_size is not None:
        extra[limit_param] = page_size
    limit = page_size if page_size is not None else _int(params.get(limit_param),
                                                         f"params.{limit_param}", problems)

    stop = StopConditions(page_size=limit if strategy in {"page", "offset"} else None)
    conditions = cfg.get("stop_conditions") or []
    if cfg.get("max_pages") is not None:
        conditions = [*conditions, {"type": "max_pages", "value": cfg["max_pages"]}]
    if conditions:
        stop.page_size = None  # explicit conditions replace the default fewer_records rule
    for i, cond in enumerate(conditions):
        key = f"stop_conditions.{i}"
        if not isinstance(cond, Mapping):
            problems.append(_problem(key, "must be a mapping with a 'type'"))
            continue
        kind = str(cond.get("type", "")).lower()
        if kind == "fewer_records":
            stop.page_size = _int(cond.get("value"), f"{key}.value", problems) or limit or 100
        elif kind == "empty_response":
            stop.stop_on_empty = True
        elif kind in {"max_pages", "max_records"}:
            value = _int(cond.get("value"), f"{key}.value", problems)
            if value is None or value < 1:
                problems.append(_problem(f"{key}.value", "needs a positive whole number"))
            elif kind == "max_pages":
                stop.max_pages, stop.max_pages_configured = value, True
            else:
                stop.max_records = value
        elif kind in {"custom", "has_more"}:
            path = cond.get("response_path") or cond.get("path")
            if not path:
                problems.append(_problem(f"{key}.response_path", "is required"))
            elif kind == "has_more":
                stop.falsy.append(str(path))
            else:
                stop.equals.append((str(path), cond.get("value", True)))
        else:
            problems.append(_problem(f"{key}.type", f"unknown stop condition '{kind}'",
                                     "use fewer_records, empty_response, max_pages, "
                                     "max_records, custom or has_more"))
    if problems:
        raise ConfigError(problems)

    common: dict[str, Any] = {"stop": stop, "extra_params": extra}
    if strategy == "page":
        return PageNumberPaginator(str(opts.get("param_name") or "page"),
                                   int(opts.get("start") or 0), int(opts.get("increment") or 1),
                                   **common)
    if strategy == "offset":
        inc = opts.get("increment_by", "limit")
        increment = limit if inc in (None, "limit") else int(inc)
        return OffsetPaginator(str(opts.get("param_name") or "offset"),
                               int(opts.get("start") or 0), increment, **common)
    if strategy == "cursor":
        return CursorPaginator(str(opts.get("param_name") or "cursor"),
                               str(opts.get("response_path") or "next_cursor"),
                               opts.get("has_more_path") or opts.get("has_more"), **common)
    if strategy == "next_url":
        return NextUrlPaginator(str(opts.get("response_path") or opts.get("path") or "next_url"),
                                **common)
    return LinkHeaderPaginator(**common)
