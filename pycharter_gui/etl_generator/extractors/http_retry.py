"""Sending page requests: the pooled client, retry timing (exponential backoff with jitter,
``Retry-After``) and a request rate limiter."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from ..errors import FatalSourceError, RetriableSourceError, SourceError
from .auth import SecretMasker

log = logging.getLogger(__name__)

DEFAULT_RETRY_STATUSES = (429, 500, 502, 503, 504)
# A server asking for a longer pause than this is treated as "not now": the run fails clearly.
MAX_RETRY_AFTER = 900.0


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


@dataclass
class RetryPolicy:
    """How often and how long to wait before retrying a failed request.

    The n-th retry waits ``backoff_factor * 2**(n-1)`` seconds (capped at ``max_backoff``),
    scaled by a random factor in [0.5, 1] (jitter) so parallel clients spread out; a
    ``Retry-After`` header on the response wins when present.
    """

    max_attempts: int = 3
    backoff_factor: float = 2.0
    retry_on_status: frozenset[int] = field(
        default_factory=lambda: frozenset(DEFAULT_RETRY_STATUSES))
    max_backoff: float = 60.0

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> RetryPolicy:
        cfg = cfg or {}
        statuses = cfg.get("retry_on_status")
        return cls(
            max_attempts=max(1, int(cfg.get("max_attempts") or 3)),
            backoff_factor=max(0.0, float(_default(cfg.get("backoff_factor"), 2.0))),
            retry_on_status=frozenset(int(s) for s in statuses) if statuses is not None
            else frozenset(DEFAULT_RETRY_STATUSES),
            max_backoff=max(0.0, float(cfg.get("max_backoff") or 60.0)),
        )

    def is_retryable_status(self, status: int) -> bool:
        return status in self.retry_on_status

    def delay(self, retry_number: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``retry_number`` (1 = first retry)."""
        if response is not None:
            after = parse_retry_after(response.headers.get("Retry-After"))
            if after is not None:
                return after
        base = min(self.max_backoff, self.backoff_factor * 2 ** (retry_number - 1))
        return base * (0.5 + random.random() / 2)


DEFAULT_REQUEST_DEADLINE = 300.0


@dataclass
class Deadlines:
    """Wall-clock limits in seconds (None: none): one request, body included
    (``timeout.request``), and the whole extraction from its first request (``timeout.total``).

    httpx's own timeouts restart with every byte received, so only these end a server that
    trickles its answer.
    """

    request: float | None = DEFAULT_REQUEST_DEADLINE
    total: float | None = None
    started: float = field(default_factory=time.monotonic)

    def budget(self) -> tuple[float | None, str]:
        """Seconds the next request may take, and the config key of the limit that sets it."""
        if self.total is not None:
            left = max(0.0, self.total - (time.monotonic() - self.started))
            if self.request is None or left < self.request:
                return left, "timeout.total"
        return self.request, "timeout.request"


class RateLimiter:
    """Spaces request starts at least ``1 / rate`` seconds apart (``rate`` in requests/s)."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate and rate > 0 else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self.interval:
            return
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now < self._next:
            await asyncio.sleep(self._next - now)
            now = loop.time()
        self._next = now + self.interval


_SSL_CONTEXTS: dict[tuple[str | None, str | None], ssl.SSLContext] = {}


def _ssl_context() -> ssl.SSLContext | bool:
    """httpx's default verifying SSL context, built once per process (and CA settings).

    Building it loads the CA bundle (~20-30 ms), which httpx would otherwise repeat for every
    client, i.e. every run and every preview. An SSLContext is safe to share between clients
    and threads. Keyed by ``SSL_CERT_FILE``/``SSL_CERT_DIR``, which httpx reads when building
    one, so changing them still takes effect. httpx without ``create_ssl_context`` (< 0.28)
    gets ``True``: its own default.
    """
    create = getattr(httpx, "create_ssl_context", None)
    if create is None:
        return True
    key = (os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))
    context = _SSL_CONTEXTS.get(key)
    if context is None:
        context = _SSL_CONTEXTS[key] = create()
    return context


def open_client(timeout: httpx.Timeout, auth: httpx.Auth | None,
                headers: Mapping[str, str]) -> httpx.AsyncClient:
    """A run's pooled async client (keep-alive, redirects followed, shared SSL context)."""
    return httpx.AsyncClient(timeout=timeout, auth=auth, headers=headers,
                             follow_redirects=True, verify=_ssl_context())


def _http_error(cls: type[SourceError], message: str, *, hint: str, url: str, page: int,
                status: int | None = None, body: str | None = None) -> SourceError:
    error = cls(message, source=url, user_message=f"{message}. {hint}".strip())
    error.status_code = status  # type: ignore[attr-defined]
    error.url = url  # type: ignore[attr-defined]
    error.page = page  # type: ignore[attr-defined]
    error.body_excerpt = body  # type: ignore[attr-defined]
    return error


_STATUS_HINTS = {
    401: "Check the credentials in auth or headers (is the token set and still valid?).",
    403: "The credentials are valid but lack permission for this resource.",
    404: "Check base_url, api_endpoint and the path parameters.",
    400: "The API rejected the request: check params and body.",
}


async def send_with_retries(
    client: httpx.AsyncClient,
    method: str,
    url: str | httpx.URL,
    *,
    params: Mapping[str, Any],
    policy: RetryPolicy,
    limiter: RateLimiter,
    masker: SecretMasker,
    page: int,
    deadlines: Deadlines | None = None,
    **request_kwargs: Any,
) -> httpx.Response:
    """Send one page request, retrying timeouts, transport errors and retryable statuses.

    Raises ``FatalSourceError`` for other failures (and when ``timeout.total`` is spent) and
    ``RetriableSourceError`` once ``policy.max_attempts`` attempts have failed. Messages never
    contain secrets.
    """
    deadlines = deadlines or Deadlines()
    last_problem = ""
    response: httpx.Response | None = None
    for attempt in range(1, policy.max_attempts + 1):
        if limiter.interval:
            await limiter.wait()
        response = None
        error: Exception | None = None
        limit, limit_key = deadlines.budget()
        try:
            response = await asyncio.wait_for(
                client.request(method, url, params=params, **request_kwargs), limit)
        except (httpx.HTTPError, httpx.InvalidURL, TimeoutError) as exc:
            error = exc
        if response is not None and response.is_success:
            return response  # the fast path builds no messages
        if response is not None:
            shown = masker.url(response.request.url)  # as sent, auth query params included
        else:
            shown = masker.url(httpx.URL(url, params=dict(params)) if params else url)
        where = f"{method} {shown} (page {page})"
        if isinstance(error, TimeoutError) and limit_key == "timeout.total":
            raise _http_error(
                FatalSourceError, f"{where} stopped: the extraction took longer than "
                f"timeout.total ({deadlines.total:g} s)",
                hint="Raise timeout.total if the API needs longer.", url=shown, page=page)
        if isinstance(error, TimeoutError):
            last_problem = (f"no complete response within timeout.request ({limit:g} s) after "
                            f"{attempt} attempt{'s' if attempt > 1 else ''}")
        elif isinstance(error, httpx.TimeoutException):
            kind = type(error).__name__.replace("Timeout", " timeout").lower()
            last_problem = f"{kind} after {attempt} attempt{'s' if attempt > 1 else ''}"
        elif isinstance(error, httpx.TransportError) and not isinstance(
                error, httpx.UnsupportedProtocol):
            last_problem = f"connection failed ({type(error).__name__}: {masker.text(error)})"
        elif error is not None:
            raise _http_error(FatalSourceError, f"Cannot request {where}: {masker.text(error)}",
                              hint="Check the URL (it must start with http:// or https://).",
                              url=shown, page=page) from error
        elif response is not None:
            status = response.status_code
            body = masker.snippet(response.text)
            if not policy.is_retryable_status(status):
                raise _http_error(
                    FatalSourceError,
                    f"HTTP {status} {response.reason_phrase} from {where}: {body!r}",
                    hint=_STATUS_HINTS.get(status, ""), url=shown, page=page,
                    status=status, body=body)
            last_problem = f"HTTP {status} {response.reason_phrase}: {body!r}"
        if attempt == policy.max_attempts:
            break
        wait = policy.delay(attempt, response)
        if wait > MAX_RETRY_AFTER:
            raise _http_error(
                RetriableSourceError,
                f"{where} asked to retry after {wait:.0f} s ({last_problem})",
                hint="Run the pipeline again later.", url=shown, page=page,
                status=response.status_code if response is not None else None)
        log.warning("%s failed (%s); retry %d of %d in %.2f s", where, last_problem,
                    attempt, policy.max_attempts - 1, wait)
        await asyncio.sleep(wait)
    status = response.status_code if response is not None else None
    raise _http_error(
        RetriableSourceError,
        f"{where} failed after {policy.max_attempts} attempt"
        f"{'s' if policy.max_attempts != 1 else ''}: {last_problem}",
        hint="The server may be down or overloaded: try again later, or raise retry.max_attempts"
             " / timeout.read / timeout.request.", url=shown, page=page, status=status)
