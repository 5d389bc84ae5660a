"""Retry timing, rate limiting, auth config, secret masking, describe() and test_connection()."""

from __future__ import annotations

import logging
from contextlib import aclosing
from email.utils import formatdate
from typing import Any

import httpx
import pytest
from http_fake_api import TOKEN, FakeApi

from pycharter_gui.etl_generator.errors import ConfigError
from pycharter_gui.etl_generator.extractors import http_retry
from pycharter_gui.etl_generator.extractors.auth import (
    APIKeyAuth,
    BearerAuth,
    SecretMasker,
    build_auth,
)
from pycharter_gui.etl_generator.extractors.http import (
    HTTPExtractor,
    atest_connection,
    build_request_spec,
    records_from_body,
)
from pycharter_gui.etl_generator.extractors.http import test_connection as http_test_connection
from pycharter_gui.etl_generator.extractors.http_retry import RetryPolicy, parse_retry_after


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits the retry/rate-limit code asks for, without waiting."""
    recorded: list[float] = []
    real_sleep = http_retry.asyncio.sleep

    async def fake_sleep(seconds: float) -> None:
        recorded.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr(http_retry.asyncio, "sleep", fake_sleep)
    return recorded


async def drain(cfg: dict[str, Any], ex: HTTPExtractor | None = None) -> list[dict[str, Any]]:
    async with aclosing((ex or HTTPExtractor()).extract_streaming(cfg, None, None)) as stream:
        return [r async for batch in stream for r in batch]


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("-3") == 0.0
    assert parse_retry_after(formatdate(1_000_030, usegmt=True), now=1_000_000) == 30.0
    assert parse_retry_after(formatdate(999_000, usegmt=True), now=1_000_000) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_with_jitter_and_cap() -> None:
    policy = RetryPolicy(backoff_factor=2.0, max_backoff=5.0)
    for _ in range(50):
        assert 1.0 <= policy.delay(1) <= 2.0
        assert 2.0 <= policy.delay(2) <= 4.0
        assert 2.5 <= policy.delay(5) <= 5.0
    limited = httpx.Response(429, headers={"Retry-After": "12"})
    assert policy.delay(1, limited) == 12.0


def test_retry_policy_from_canonical_config_with_nones() -> None:
    policy = RetryPolicy.from_config({"max_attempts": 5, "backoff_factor": None,
                                      "retry_on_status": [503], "max_backoff": None})
    assert (policy.max_attempts, policy.backoff_factor, policy.max_backoff) == (5, 2.0, 60.0)
    assert policy.is_retryable_status(503) and not policy.is_retryable_status(500)


async def test_retry_waits_exponential_backoff(api: FakeApi, sleeps: list[float]) -> None:
    records = await drain({"url": f"{api.url}/flaky", "retry": {"backoff_factor": 2.0}})
    assert [r["id"] for r in records] == [1, 2, 3]
    assert len(sleeps) == 2 and 1.0 <= sleeps[0] <= 2.0 and 2.0 <= sleeps[1] <= 4.0


async def test_retry_after_seconds_and_rate_limit_delay(api: FakeApi, sleeps: list[float]) -> None:
    # Retry-After: 1 from the server wins over backoff; then rate_limit_delay after success.
    await drain({"url": f"{api.url}/ratelimited", "rate_limit_delay": 0.25})
    assert sleeps == [1.0, 0.25]


async def test_retry_after_as_an_http_date_from_a_real_server(api: FakeApi, sleeps: list[float]) -> None:
    records = await drain({"url": f"{api.url}/ratelimited-date"})
    assert [r["id"] for r in records] == [1, 2]
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31  # the date, less the time since it was sent


async def test_page_delay_between_pages_only(api: FakeApi, monkeypatch, sleeps) -> None:
    from pycharter_gui.etl_generator.extractors import http as http_module

    monkeypatch.setattr(http_module.asyncio, "sleep", http_retry.asyncio.sleep)
    cfg = {"url": f"{api.url}/offset", "params": {"limit": 10},
           "pagination": {"enabled": True, "strategy": "offset", "page_delay": 0.5}}
    assert len(await drain(cfg)) == 23
    assert sleeps == [0.5, 0.5]  # 3 pages, 2 pauses


async def test_rate_limit_spaces_requests(api: FakeApi, sleeps: list[float]) -> None:
    cfg = {"url": f"{api.url}/offset", "params": {"limit": 10}, "rate_limit": 4,
           "pagination": {"enabled": True, "strategy": "offset"}}
    assert len(await drain(cfg)) == 23
    assert len(sleeps) == 2 and all(0 < s <= 0.25 for s in sleeps)


def test_build_auth_variants_and_problems() -> None:
    assert build_auth(None) is None and build_auth({"type": "none"}) is None
    assert isinstance(build_auth({"type": "bearer", "token": "t"}), BearerAuth)
    assert isinstance(build_auth({"type": "basic", "username": "u", "password": "p"}),
                      httpx.BasicAuth)
    key = build_auth({"type": "api_key", "name": "k", "value": "v", "in_": "query"})
    assert isinstance(key, APIKeyAuth) and key.location == "query"
    with pytest.raises(ConfigError) as info:
        build_auth({"type": "api_key", "in": "cookie"})
    keys = {p.key for p in info.value.problems}
    assert keys == {"auth.value", "auth.name", "auth.in"}
    with pytest.raises(ConfigError, match="unknown auth type 'oauth9'"):
        build_auth({"type": "oauth9"})


def test_masker_hides_tokens_headers_and_query_secrets() -> None:
    cfg = {"auth": {"type": "api_key", "name": "key", "value": "abcdef-secret"},
           "headers": {"Authorization": "Bearer tok-123456789", "Accept": "json"},
           "params": {"access_token": "qqq-secret", "page": 1}}
    m = SecretMasker.from_config(cfg)
    url = m.url("https://u:pw@h.test/x?key=abcdef-secret&access_token=qqq-secret&page=2")
    assert "abcdef-secret" not in url and "qqq-secret" not in url and "pw" not in url
    assert "page=2" in url and "key=***" in url
    assert m.text("failed with tok-123456789 and abcdef-secret") == "failed with *** and ***"
    assert m.headers(cfg["headers"]) == {"Authorization": "***", "Accept": "json"}


def test_describe_masks_secrets() -> None:
    cfg = {"url": "https://h.test/items?api_key=zz-top-secret&q=1", "method": "get"}
    assert HTTPExtractor().describe(cfg) == "GET https://h.test/items?api_key=***&q=1"


async def test_no_secret_in_logs_during_retries(api: FakeApi, caplog, sleeps) -> None:
    caplog.set_level(logging.DEBUG)
    cfg = {"url": f"{api.url}/flaky", "params": {"token": "tok-in-query-777"},
           "auth": {"type": "bearer", "token": TOKEN}}
    await drain(cfg)
    assert "retry 1 of 2" in caplog.text
    assert "tok-in-query-777" not in caplog.text and TOKEN not in caplog.text


def test_request_spec_problems_are_listed_together() -> None:
    with pytest.raises(ConfigError) as info:
        build_request_spec({"url": "ftp://x/{id}", "method": "FETCH",
                            "response_format": "xml", "timeout": {"read": "slow"}})
    keys = [p.key for p in info.value.problems]
    assert keys == ["method", "url", "api_endpoint", "response_format", "timeout.read"]


def test_request_spec_defaults_and_joining() -> None:
    spec = build_request_spec({"base_url": "https://h.test/api/", "endpoint": "/v1/items",
                               "timeout": 5, "params": {"a": 1, "b": None}})
    assert spec.url == "https://h.test/api/v1/items" and spec.method == "GET"
    assert spec.params == {"a": 1}
    assert spec.timeout == httpx.Timeout(5)
    assert spec.rate_limit_delay == 0 and spec.page_delay == 0  # DECISIONS.md


def test_input_params_defaults_and_mapping() -> None:
    cfg = {"url": "https://h.test/users/{uid}", "param_mapping": {"user": "uid", "day": "date"},
           "input_params": {"user": {"required": True}, "day": {"default": "2024-01-01"}}}
    spec = build_request_spec(cfg, {"user": 9})
    assert spec.url == "https://h.test/users/9" and spec.params == {"date": "2024-01-01"}


def test_records_from_body_rules() -> None:
    assert records_from_body([{"a": 1}], None) == [{"a": 1}]
    assert records_from_body({"meta": 1, "items": [{"a": 1}]}, None) == [{"a": 1}]
    assert records_from_body({"a": 1}, None) == [{"a": 1}]
    assert records_from_body({"r": [{"x": [{"a": 2}]}]}, "r.0.x") == [{"a": 2}]
    assert records_from_body({"r": {"a": 3}}, "r") == [{"a": 3}]
    assert records_from_body({"r": 3}, "r") == []
    assert records_from_body({"r": 3}, "missing") == []


def test_validate_config_accepts_placeholders_but_flags_errors() -> None:
    HTTPExtractor().validate_config({"url": "https://h.test/u/{uid}"})
    with pytest.raises(ConfigError) as info:
        HTTPExtractor().validate_config({"url": "https://h.test", "method": "nope",
                                         "pagination": {"strategy": "zigzag"},
                                         "auth": {"type": "bearer"}})
    assert [p.key for p in info.value.problems] == ["method", "pagination.strategy",
                                                     "auth.token"]


def test_test_connection_ok_and_failure(api: FakeApi) -> None:
    ok = http_test_connection({"type": "http", "url": f"{api.url}/secure",
                               "auth": {"type": "bearer", "token": TOKEN}})
    assert ok["ok"] is True and ok["details"]["status_code"] == 200
    assert ok["details"]["records"] == 2 and "HTTP 200" in ok["message"]
    bad = http_test_connection({"type": "http", "url": f"{api.url}/secure",
                                "auth": {"type": "bearer", "token": "nope-nope-nope"}})
    assert bad["ok"] is False and bad["details"]["status_code"] == 401
    assert "credentials" in bad["message"] and "nope-nope-nope" not in bad["message"]
    assert len(api.requests) == 2


async def test_test_connection_inside_a_running_loop(api: FakeApi) -> None:
    assert http_test_connection({"url": f"{api.url}/offset"})["ok"] is True
    result = await atest_connection({"url": f"{api.url}/always503", "retry": {"max_attempts": 5}})
    assert result["ok"] is False and len(api.paths("/always503")) == 1  # one request only
