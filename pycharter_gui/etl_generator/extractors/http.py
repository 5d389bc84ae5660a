"""HTTP/REST source: one pooled ``httpx.AsyncClient`` per run, paginated, retried, rate-limited.

Batches are yielded as pages arrive (re-chunked to ``batch_size``), so a preview sees page 1
before page 2 is requested, and closing the generator stops all further requests. The first
request is resolved from the config by ``http_request.py``, responses are parsed by
``http_response.py`` and sent with retries by ``http_retry.py``; ``test_connection`` sends
one request for the designer's "Test connection".
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from typing import Any

import httpx

from ..database.watermark import advance_watermark, start_watermark, substitute_watermark
from ..errors import (
    ConfigError,
    ConfigProblem,
    FatalSourceError,
    PycharterError,
)
from .auth import SecretMasker, build_auth, masking_library_logs
from .base import BaseExtractor, ExtractRequest
from .http_request import HttpRequestSpec, build_request_spec, endpoint_url, placeholder_values
from .http_response import page_records, records_from_body, split_records
from .http_retry import Deadlines, RateLimiter, open_client, send_with_retries
from .pagination import BasePaginator, PageRequest
from .pagination_config import build_paginator

__all__ = ["HTTPExtractor", "HttpRequestSpec", "atest_connection", "build_request_spec",
           "open_client", "records_from_body", "test_connection"]

log = logging.getLogger(__name__)


class HTTPExtractor(BaseExtractor):
    """Reads records from a (paginated) HTTP JSON API."""

    source_type = "http"

    def __init__(self) -> None:
        self.pages_fetched = 0
        #: Set by the orchestrator: called with (record, message) for records that are not
        #: objects, so they reach the dead-letter queue. None logs a warning instead.
        self.on_bad_record: Callable[[Any, str], Any] | None = None
        self._shown_url: str | None = None
        #: Incremental sources: the largest ``incremental.column`` value yielded so far.
        self.watermark: Any = None

    def validate_config(self, extract_config: dict[str, Any]) -> None:
        """Raise ``ConfigError`` for an unusable config (path placeholders may come later)."""
        problems: list[ConfigProblem] = []
        for build in (lambda: build_request_spec(extract_config, placeholder_values(extract_config)),
                      lambda: build_paginator(extract_config.get("pagination"),
                                              extract_config.get("params")),
                      lambda: build_auth(extract_config.get("auth"))):
            try:
                build()
            except ConfigError as exc:
                problems.extend(exc.problems)
        if problems:
            raise ConfigError(problems)

    def describe(self, extract_config: dict[str, Any]) -> str:
        """``GET https://host/api/items (page 3)`` with secrets masked."""
        method = str(extract_config.get("method") or "GET").upper()
        url = self._shown_url
        if url is None:
            try:
                url = endpoint_url(extract_config, [])
            except Exception:  # describe must never fail
                url = "?"
            url = SecretMasker.from_config(extract_config).url(url)
        page = f" (page {self.pages_fetched})" if self.pages_fetched else ""
        return f"{method} {url}{page}"

    async def _stream(self, request: ExtractRequest) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield record batches page by page; see the module docstring."""
        cfg, params, headers = request.extract_config, request.params, request.headers
        inc = cfg.get("incremental") or None
        self.watermark = start_watermark(inc)
        if inc:  # run params start as a copy of extract params: fill in both
            cfg, params = (substitute_watermark(x, self.watermark) for x in (cfg, params))
        spec = build_request_spec(cfg, params, headers)
        paginator = build_paginator(cfg.get("pagination"), spec.params)
        auth = build_auth(cfg.get("auth"))
        masker = SecretMasker.from_config(cfg, headers)
        self._shown_url = masker.url(spec.url)
        limit = request.max_records_for(cfg)
        if limit is None:
            limit = paginator.stop.max_records
        paginator.stop.max_records = limit
        batch_size = max(1, request.batch_size_for(cfg))
        self.pages_fetched = 0
        pages = self._pages(spec, paginator, auth, masker, limit, batch_size)
        with masking_library_logs(masker):
            async with aclosing(pages):  # closing us closes the client at once
                async for batch in pages:
                    if inc:
                        self.watermark = advance_watermark(self.watermark, batch, inc["column"])
                    yield batch

    async def _pages(self, spec: HttpRequestSpec, paginator: BasePaginator,
                     auth: httpx.Auth | None, masker: SecretMasker, limit: int | None,
                     batch_size: int) -> AsyncIterator[list[dict[str, Any]]]:
        """The page loop: request, parse, advance the paginator, re-chunk, repeat.

        Sequential on purpose: page N+1 is requested only when the consumer asks for more
        after page N, so closing the stream after a batch sends no further request.
        """
        limiter = RateLimiter(spec.rate_limit)
        deadlines = Deadlines(spec.request_deadline, spec.total_deadline)
        method, fmt, path = spec.method, spec.response_format, spec.response_path
        buffer: list[dict[str, Any]] = []
        total = 0
        first = PageRequest(spec.url, dict(spec.params))
        url_text = ""  # the next page's URL is parsed once, not on every page
        url: httpx.URL | str = ""
        shape: str | None = None  # where page 1 had its records; later pages must agree
        async with open_client(spec.timeout, auth, spec.headers) as client:
            while paginator.has_next and (limit is None or total < limit):
                if self.pages_fetched and spec.page_delay:
                    await asyncio.sleep(spec.page_delay)
                request = paginator.update_request(first)
                page = self.pages_fetched + 1
                if request.url != url_text:
                    url_text = request.url
                    try:
                        url = httpx.URL(url_text)
                    except httpx.InvalidURL:
                        url = url_text  # send_with_retries reports it with the page
                response = await send_with_retries(
                    client, method, url, params=request.params, policy=spec.retry,
                    limiter=limiter, masker=masker, page=page, deadlines=deadlines,
                    **spec.request_kwargs)
                self.pages_fetched = page
                body, records, where = await page_records(response, method, fmt, path,
                                                          masker, page, shape)
                shape = shape or where
                stop_error: FatalSourceError | None = None
                try:
                    paginator.advance(response, records, body)
                except FatalSourceError as exc:  # a loop or the safety limit: after this page
                    stop_error = exc
                kept, others = split_records(records, None if limit is None else limit - total)
                for record in others:
                    self._bad_record(record, page, response, masker)
                total += len(kept)
                if not buffer and len(kept) == batch_size:
                    yield kept  # the common case: one page is one batch, no copy
                elif kept:
                    buffer.extend(kept)
                    start = 0
                    while len(buffer) - start >= batch_size:
                        yield buffer[start:start + batch_size]
                        start += batch_size
                    if start:
                        buffer = buffer[start:]
                if stop_error is not None:
                    if buffer:
                        yield buffer
                    where = f"{method} {masker.url(response.request.url)} (page {page})"
                    raise type(stop_error)(f"{masker.text(stop_error)}: {where}",
                                           source=self._shown_url,
                                           user_message=masker.text(
                                               f"{stop_error.user_message} ({where})")
                                           ) from stop_error
                if spec.rate_limit_delay:
                    await asyncio.sleep(spec.rate_limit_delay)
        if buffer:
            yield buffer

    def _bad_record(self, record: Any, page: int, response: httpx.Response,
                    masker: SecretMasker) -> None:
        message = (f"record on page {page} of {masker.url(response.request.url)} is "
                   f"{type(record).__name__} {masker.text(repr(record))[:100]}, not an object")
        if self.on_bad_record is not None:
            self.on_bad_record(record, message)
        else:
            log.warning("skipped a %s", message)


async def atest_connection(extract_config: Mapping[str, Any]) -> dict[str, Any]:
    """Send one request for the first page; report ``{ok, message, details}``."""
    try:
        try:
            from ..config import normalize_extract
        except ImportError:
            cfg = dict(extract_config)
        else:
            cfg = normalize_extract(dict(extract_config))
        spec = build_request_spec(cfg)
        spec.retry.max_attempts = 1
        paginator: BasePaginator = build_paginator(cfg.get("pagination"), spec.params)
        masker = SecretMasker.from_config(cfg)
        request = paginator.update_request(PageRequest(spec.url, dict(spec.params)))
        started = time.perf_counter()
        async with open_client(spec.timeout, build_auth(cfg.get("auth")),
                               spec.headers) as client:
            response = await send_with_retries(
                client, spec.method, request.url, params=request.params, policy=spec.retry,
                limiter=RateLimiter(None), masker=masker, page=1,
                deadlines=Deadlines(spec.request_deadline, spec.total_deadline),
                **spec.request_kwargs)
        elapsed_ms = round((time.perf_counter() - started) * 1000)
        _body, records, _where = await page_records(
            response, spec.method, spec.response_format, spec.response_path, masker, 1)
    except PycharterError as exc:
        return {"ok": False, "message": exc.user_message,
                "details": {"error_type": type(exc).__name__,
                            "status_code": getattr(exc, "status_code", None),
                            "url": getattr(exc, "url", None)}}
    url = masker.url(response.request.url)
    return {"ok": True,
            "message": f"HTTP {response.status_code} {response.reason_phrase} in {elapsed_ms} ms "
                       f"from {spec.method} {url}: {len(records)} records on the first page",
            "details": {"status_code": response.status_code, "elapsed_ms": elapsed_ms,
                        "url": url, "records": len(records),
                        "content_type": response.headers.get("content-type")}}


def test_connection(extract_config: Mapping[str, Any]) -> dict[str, Any]:
    """Blocking form of ``atest_connection``; inside a running event loop it uses a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(atest_connection(extract_config))
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, atest_connection(extract_config)).result()


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
