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

from ..errors import FatalSourceError, PaginationLoopError

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
    """Any condition that holds after a page ends pagination (that page's records are kept).

    ``max_pages`` not configured is a safety limit: reaching it with more pages to read is an
    error naming ``pagination.max_pages``, never a silent stop.
    """

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
        if pages >= self.max_pages and self.max_pages_configured:
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
        self._seen: set[str] = set()  # cursors or URLs followed so far

    def _remember(self, key: str, loop_message: str) -> None:
        """Note a cursor or URL to follow; one that was followed before is a pagination loop
        (the API would serve the same pages forever), reported as ``loop_message``."""
        if key in self._seen:
            raise PaginationLoopError(loop_message)
        self._seen.add(key)

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
        if reason is None and self.pages >= self.stop.max_pages:
            raise FatalSourceError(
                f"Pagination reached the safety limit of {self.stop.max_pages} pages with more "
                f"pages to read", user_message=(
                    f"Pagination reached the safety limit of {self.stop.max_pages} pages and "
                    f"the API has more: set pagination.max_pages to read more pages (or to "
                    f"this number to stop there on purpose)."))
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
        self._remember(str(cursor), f"Pagination loop: cursor {str(cursor)!r} (from "
                       f"'{self.response_path}') came back a second time after page {self.pages}")
        self.cursor = cursor
        return None


class _UrlPaginator(BasePaginator):
    """Follows absolute or relative next-page URLs; their query wins over the configured one."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(**kw)
        self.next_url: httpx.URL | None = None

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
        self._remember(str(url), f"Pagination loop: next URL {url} (from {where}) was already "
                       f"requested (after page {self.pages})")
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
