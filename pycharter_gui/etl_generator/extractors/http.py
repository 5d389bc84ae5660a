"""HTTP/REST source: one pooled ``httpx.AsyncClient`` per run, paginated, retried, rate-limited.

Batches are yielded as pages arrive (re-chunked to ``batch_size``), so a preview sees page 1
before page 2 is requested, and closing the generator stops all further requests.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

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
from .http_response import page_records, records_from_body, split_records
from .http_retry import (
    DEFAULT_REQUEST_DEADLINE,
    Deadlines,
    RateLimiter,
    RetryPolicy,
    open_client,
    send_with_retries,
)
from .pagination import BasePaginator, PageRequest
from .pagination_config import build_paginator

__all__ = ["HTTPExtractor", "HttpRequestSpec", "atest_connection", "build_request_spec",
           "open_client", "records_from_body", "test_connection"]

log = logging.getLogger(__name__)

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
FORMATS = {"json": "json", "jsonl": "jsonl", "ndjson": "jsonl", "json_lines": "jsonl",
           "text": "text"}  # text: kept as text, so no records (config-format §3.3)
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def _problem(key: str, message: str, hint: str | None = None) -> ConfigProblem:
    return ConfigProblem(file="extract.yaml", key=key, message=message, hint=hint)


@dataclass
class HttpRequestSpec:
    """Everything needed to send the first page request, resolved from config and run params."""

    method: str
    url: str
    params: dict[str, Any]
    headers: dict[str, str]
    request_kwargs: dict[str, Any] = field(default_factory=dict)
    response_format: str = "json"
    response_path: str | None = None
    timeout: httpx.Timeout = field(default_factory=lambda: httpx.Timeout(30.0, connect=10.0))
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    rate_limit: float | None = None
    rate_limit_delay: float = 0.0
    page_delay: float = 0.0
    request_deadline: float | None = DEFAULT_REQUEST_DEADLINE
    total_deadline: float | None = None


def _endpoint(cfg: Mapping[str, Any], problems: list[ConfigProblem]) -> str:
    url = cfg.get("url")
    base = cfg.get("base_url")
    endpoint = cfg.get("api_endpoint") or cfg.get("endpoint")
    is_abs = lambda s: isinstance(s, str) and s.lower().startswith(("http://", "https://"))  # noqa: E731
    if is_abs(endpoint):
        return str(endpoint)
    if base and (endpoint or url):
        return str(base).rstrip("/") + "/" + str(endpoint or url).lstrip("/")
    if url or base:
        full = str(url or base)
        if not is_abs(full):
            problems.append(_problem("url" if url else "base_url",
                                     f"'{full}' is not an http(s) URL",
                                     "write the full address, e.g. https://api.example.com/items"))
        return full
    problems.append(_problem("url", "no endpoint configured",
                             "set url, or base_url and api_endpoint"))
    return ""


def _float(cfg: Mapping[str, Any], key: str, default: float, problems: list[ConfigProblem],
           label: str | None = None) -> float:
    value = cfg.get(key, default)
    try:
        return float(default if value is None else value)
    except (TypeError, ValueError):
        problems.append(_problem(label or key, f"must be a number of seconds, not {value!r}"))
        return default


def _timeout(raw: Any, problems: list[ConfigProblem]) -> httpx.Timeout:
    if raw is None:
        raw = {}
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        raw = {k: raw for k in ("connect", "read", "write", "pool")}
    if not isinstance(raw, Mapping):
        problems.append(_problem("timeout", "must be seconds or {connect, read, write, pool}"))
        raw = {}
    defaults = {"connect": 10.0, "read": 30.0, "write": 10.0, "pool": 10.0}
    values = {k: _float(raw, k, d, problems, f"timeout.{k}") for k, d in defaults.items()}
    return httpx.Timeout(**values)


def _deadline(raw: Any, key: str, default: float | None, problems: list[ConfigProblem]
              ) -> float | None:
    """``timeout.request`` / ``timeout.total`` in seconds (None: no limit)."""
    if not isinstance(raw, Mapping) or raw.get(key) is None:
        return default
    seconds = _float(raw, key, 0.0, problems, f"timeout.{key}")
    if seconds <= 0:
        problems.append(_problem(f"timeout.{key}", "must be more than 0 seconds"))
    return seconds


def _merge_params(cfg: Mapping[str, Any], run_params: Mapping[str, Any] | None) -> dict[str, Any]:
    """Config params, then input_params defaults, then run params (mapped by param_mapping)."""
    params = dict(cfg.get("params") or {})
    mapping = cfg.get("param_mapping") or {}
    declared = cfg.get("input_params") or {}
    if isinstance(declared, Mapping):
        for name, spec in declared.items():
            target = mapping.get(name, name)
            if isinstance(spec, Mapping) and spec.get("default") is not None:
                params.setdefault(target, spec["default"])
    for name, value in (run_params or {}).items():
        params[mapping.get(name, name)] = value
    return {k: v for k, v in params.items() if v is not None}


def _fill_path(url: str, params: dict[str, Any], problems: list[ConfigProblem]) -> str:
    """Substitute ``{name}`` placeholders from params, removing those params from the query."""
    missing = [n for n in dict.fromkeys(_PLACEHOLDER.findall(url)) if n not in params]
    for name in missing:
        problems.append(_problem("api_endpoint", f"path placeholder {{{name}}} has no value",
                                 f"pass it as a run parameter ({name}=...) or add it to params"))
    if missing:
        return url
    used = set(_PLACEHOLDER.findall(url))
    filled = _PLACEHOLDER.sub(lambda m: quote(str(params[m.group(1)]), safe=""), url)
    for name in used:
        params.pop(name, None)
    return filled


def build_request_spec(cfg: Mapping[str, Any], params: Mapping[str, Any] | None = None,
                       headers: Mapping[str, Any] | None = None) -> HttpRequestSpec:
    """Resolve an http extract config plus run params/headers; ``ConfigError`` lists problems."""
    problems: list[ConfigProblem] = []
    method = str(cfg.get("method") or "GET").upper()
    if method not in METHODS:
        problems.append(_problem("method", f"unsupported method '{method}'",
                                 "use " + ", ".join(METHODS)))
    merged = _merge_params(cfg, params)
    url = _fill_path(_endpoint(cfg, problems), merged, problems)
    all_headers = {str(k): str(v) for k, v in {**(cfg.get("headers") or {}),
                                                **(headers or {})}.items() if v is not None}
    fmt = FORMATS.get(str(cfg.get("response_format") or "json").lower())
    if fmt is None:
        problems.append(_problem("response_format", f"unsupported '{cfg.get('response_format')}'",
                                 "use json or jsonl"))
    kwargs: dict[str, Any] = {}
    body, form = cfg.get("body"), cfg.get("form")
    if body is not None and form is not None:
        problems.append(_problem("form", "give either body (JSON) or form, not both"))
    elif isinstance(body, str | bytes):
        kwargs["content"] = body
    elif body is not None:
        kwargs["json"] = body
    elif form is not None:
        kwargs["data"] = dict(form)
    retry_cfg = cfg.get("retry") or {}
    try:
        retry = RetryPolicy.from_config(retry_cfg)
    except (TypeError, ValueError) as exc:
        problems.append(_problem("retry", f"invalid retry settings ({exc})"))
        retry = RetryPolicy()
    pagination = cfg.get("pagination") or {}
    rate = cfg.get("rate_limit")
    spec = HttpRequestSpec(
        method=method, url=url, params=merged, headers=all_headers, request_kwargs=kwargs,
        response_format=fmt or "json", response_path=cfg.get("response_path") or None,
        timeout=_timeout(cfg.get("timeout"), problems), retry=retry,
        request_deadline=_deadline(cfg.get("timeout"), "request", DEFAULT_REQUEST_DEADLINE,
                                   problems),
        total_deadline=_deadline(cfg.get("timeout"), "total", None, problems),
        rate_limit=_float(cfg, "rate_limit", 0.0, problems) if rate is not None else None,
        rate_limit_delay=_float(cfg, "rate_limit_delay", 0.0, problems),
        page_delay=_float(pagination if "page_delay" in pagination else cfg, "page_delay", 0.0,
                          problems, "pagination.page_delay"),
    )
    if problems:
        raise ConfigError(problems)
    return spec


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
        for build in (lambda: build_request_spec(extract_config, _placeholders_ok(extract_config)),
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
                url = _endpoint(extract_config, [])
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


def _placeholders_ok(cfg: Mapping[str, Any]) -> dict[str, Any]:
    """Dummy values for path placeholders, so validation does not demand run parameters."""
    text = " ".join(str(cfg.get(k) or "") for k in ("url", "base_url", "api_endpoint", "endpoint"))
    return {name: "x" for name in _PLACEHOLDER.findall(text)}


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
