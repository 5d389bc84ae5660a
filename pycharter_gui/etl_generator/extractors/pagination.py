"""Pagination strategies: small I/O-free objects the HTTP extractor drives page by page.

A paginator edits the next request (``update_request``) and learns from each response
(``advance``); ``has_next`` turns False when a stop condition holds or the API signals the end.
A cursor or next URL that comes back a second time raises ``PaginationLoopError``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..errors import ConfigError, ConfigProblem, PaginationLoopError

log = logging.getLogger(__name__)

DEFAULT_MAX_PAGES = 1000
_MISSING = object()


def get_path(data: Any, path: str | None, default: Any = None) -> Any:
    """Value at a dotted ``path`` in parsed JSON (numeric parts index lists), else ``default``."""
    if not path:
        return data
    current = data
    for part in str(path).split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.lstrip("-").isdigit():
            index = int(part)
            if -len(current) <= index < len(current):
                current = current[index]
            else:
                return default
        else:
            return default
    return current


@dataclass
class PageRequest:
    """What the next request should be: its URL and query parameters."""

    url: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class StopConditions:
    """Any condition that holds after a page ends pagination (that page's records are kept)."""

    page_size: int | None = None          # fewer_records: a page shorter than this is the last
    stop_on_empty: bool = True
    max_pages: int = DEFAULT_MAX_PAGES
    max_pages_configured: bool = False
    max_records: int | None = None
    equals: list[tuple[str, Any]] = field(default_factory=list)   # custom: path == value
    falsy: list[str] = field(default_factory=list)                # has_more: path is false

    def reason(self, pages: int, total: int, records: list[Any], body: Any) -> str | None:
        """Why pagination should stop after this page, or None to continue."""
        if self.stop_on_empty and not records:
            return "empty page"
        if self.page_size is not None and len(records) < self.page_size:
            return f"fewer records than the page size ({len(records)} < {self.page_size})"
        if self.max_records is not None and total >= self.max_records:
            return f"max_records {self.max_records} reached"
        for path, value in self.equals:
            if get_path(body, path, _MISSING) == value:
                return f"{path} == {value!r}"
        for path in self.falsy:
            if not get_path(body, path, False):
                return f"{path} is false"
        if pages >= self.max_pages:
            if not self.max_pages_configured:
                log.warning("Pagination stopped at the safety limit of %d pages; add a "
                            "max_pages stop condition to read more.", self.max_pages)
            return f"max_pages {self.max_pages} reached"
        return None


class BasePaginator:
    """Strategy base: tracks pages and records and applies the stop conditions."""

    strategy = "single"

    def __init__(self, stop: StopConditions | None = None,
                 extra_params: Mapping[str, Any] | None = None) -> None:
        self.stop = stop or StopConditions()
        self.extra_params = dict(extra_params or {})
        self.has_next = True
        self.pages = 0
        self.records_seen = 0
        self.stop_reason: str | None = None

    def update_request(self, request: PageRequest) -> PageRequest:
        """Return the request for the next page (the first call gives the first page)."""
        return PageRequest(request.url, {**request.params, **self.extra_params})

    def advance(self, response: httpx.Response, records: list[Any], body: Any = _MISSING) -> None:
        """Learn from a page's response; ``body`` is its parsed JSON when already known."""
        if body is _MISSING:
            try:
                body = response.json()
            except ValueError:
                body = None
        self.pages += 1
        self.records_seen += len(records)
        reason = self.stop.reason(self.pages, self.records_seen, records, body)
        if reason is None:
            reason = self._advance(response, records, body)
        if reason is not None:
            self.has_next = False
            self.stop_reason = reason
            log.debug("pagination stops after page %d: %s", self.pages, reason)

    def _advance(self, response: httpx.Response, records: list[Any], body: Any) -> str | None:
        """Strategy step; returns a stop reason or None. The base class reads one page."""
        return "no pagination"


class _CountingPaginator(BasePaginator):
    """Shared by page-number and offset: detects an API that ignores the page parameter."""

    def __init__(self, param_name: str, start: int, **kw: Any) -> None:
        super().__init__(**kw)
        self.param_name = param_name
        self.current = start
        self._last_content: bytes | None = None

    def update_request(self, request: PageRequest) -> PageRequest:
        req = super().update_request(request)
        req.params[self.param_name] = self.current
        return req

    def _check_repeat(self, response: httpx.Response, records: list[Any]) -> None:
        content = response.content
        if records and content == self._last_content:
            raise PaginationLoopError(
                f"Pagination loop: pages {self.pages - 1} and {self.pages} are identical; the "
                f"API seems to ignore the '{self.param_name}' parameter",
                user_message=f"The API returned the same page twice: check that it supports "
                             f"the '{self.param_name}' parameter ({self.strategy} pagination).")
        self._last_content = content


class PageNumberPaginator(_CountingPaginator):
    """``?page=N``: N starts at ``start`` (0 by default) and grows by ``increment``."""

    strategy = "page"

    def __init__(self, param_name: str = "page", start: int = 0, increment: int = 1,
                 **kw: Any) -> None:
        super().__init__(param_name, start, **kw)
        self.increment = increment

    def _advance(self, response: httpx.Response, records: list[Any], body: Any) -> str | None:
        self._check_repeat(response, records)
        self.current += self.increment
        return None


class OffsetPaginator(_CountingPaginator):
    """``?offset=N``: N grows by ``increment_by`` (the page limit, else the page's length)."""

    strategy = "offset"

    def __init__(self, param_name: str = "offset", start: int = 0,
                 increment_by: int | None = None, **kw: Any) -> None:
        super().__init__(param_name, start, **kw)
        self.increment_by = increment_by

    def _advance(self, response: httpx.Response, records: list[Any], body: Any) -> str | None:
        self._check_repeat(response, records)
        self.current += self.increment_by or len(records)
        return None


class CursorPaginator(BasePaginator):
    """``?cursor=<token>`` where the token is read from ``response_path`` in the body."""

    strategy = "cursor"

    def __init__(self, param_name: str = "cursor", response_path: str = "next_cursor",
                 has_more_path: str | None = None, **kw: Any) -> None:
        super().__init__(**kw)
        self.param_name = param_name
        self.response_path = response_path
        self.has_more_path = has_more_path
        self.cursor: Any = None
        self._seen: set[str] = set()

    def update_request(self, request: PageRequest) -> PageRequest:
        req = super().update_request(request)
        if self.cursor is not None:
            req.params[self.param_name] = self.cursor
        return req

    def _advance(self, response: httpx.Response, records: list[Any], body: Any) -> str | None:
        if self.has_more_path and not get_path(body, self.has_more_path, False):
            return f"{self.has_more_path} is false"
        cursor = get_path(body, self.response_path)
        if cursor is None or cursor == "" or isinstance(cursor, (dict, list)):
            return f"no cursor at '{self.response_path}'"
        key = str(cursor)
        if key in self._seen:
            raise PaginationLoopError(
                f"Pagination loop: cursor {key!r} (from '{self.response_path}') came back "
                f"a second time after page {self.pages}")
        self._seen.add(key)
        self.cursor = cursor
        return None


class _UrlPaginator(BasePaginator):
    """Follows absolute or relative next-page URLs; their query wins over the configured one."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.next_url: httpx.URL | None = None
        self._seen: set[str] = set()

    def update_request(self, request: PageRequest) -> PageRequest:
        req = super().update_request(request)
        if self.next_url is None:
            return req
        merged = httpx.QueryParams(req.params).merge(self.next_url.params)
        params: dict[str, Any] = {}
        for key, value in merged.multi_items():
            params.setdefault(key, [])
            params[key].append(value)
        flat = {k: v[0] if len(v) == 1 else v for k, v in params.items()}
        return PageRequest(str(self.next_url.copy_with(query=None)), flat)

    def _follow(self, response: httpx.Response, target: Any, where: str) -> str | None:
        if not target or not isinstance(target, str):
            return f"no next URL in {where}"
        try:
            base = response.request.url
            self._seen.add(str(base))
            url = base.join(target)
        except RuntimeError:  # a response built without a request (tests)
            url = httpx.URL(target)
        key = str(url)
        if key in self._seen:
            raise PaginationLoopError(
                f"Pagination loop: next URL {key} (from {where}) was already requested "
                f"(after page {self.pages})")
        self._seen.add(key)
        self.next_url = url
        return None


class NextUrlPaginator(_UrlPaginator):
    """The next page's URL is read from ``response_path`` in the body."""

    strategy = "next_url"

    def __init__(self, response_path: str = "next_url", **kw: Any) -> None:
        super().__init__(**kw)
        self.response_path = response_path

    def _advance(self, response: httpx.Response, records: list[Any], body: Any) -> str | None:
        return self._follow(response, get_path(body, self.response_path),
                            f"'{self.response_path}'")


class LinkHeaderPaginator(_UrlPaginator):
    """RFC 8288 ``Link: <url>; rel="next"`` headers."""

    strategy = "link_header"

    def _advance(self, response: httpx.Response, records: list[Any], body: Any) -> str | None:
        link = response.links.get("next") or {}
        return self._follow(response, link.get("url"), "the Link header")


# ---------------------------------------------------------------- building from config

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
