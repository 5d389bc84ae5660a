"""Retry timing (exponential backoff with jitter, ``Retry-After``) and a request rate limiter."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

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


@dataclass
class RetryPolicy:
    """How often and how long to wait before retrying a failed request.

    The n-th retry waits ``backoff_factor * 2**(n-1)`` seconds (capped at ``max_backoff``),
    scaled by a random factor in [0.5, 1] (jitter) so parallel clients spread out; a
    ``Retry-After`` header on the response wins when present.
    """

    max_attempts: int = 3
    backoff_factor: float = 2.0
    retry_on_status: frozenset[int] = field(default_factory=lambda: frozenset(DEFAULT_RETRY_STATUSES))
    max_backoff: float = 60.0

    @classmethod
    def from_config(cls, cfg: Mapping[str, Any] | None) -> RetryPolicy:
        cfg = cfg or {}
        statuses = cfg.get("retry_on_status")
        return cls(
            max_attempts=max(1, int(cfg.get("max_attempts", 3) or 1)),
            backoff_factor=max(0.0, float(cfg.get("backoff_factor", 2.0))),
            retry_on_status=frozenset(int(s) for s in statuses) if statuses is not None
            else frozenset(DEFAULT_RETRY_STATUSES),
            max_backoff=max(0.0, float(cfg.get("max_backoff", 60.0))),
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
