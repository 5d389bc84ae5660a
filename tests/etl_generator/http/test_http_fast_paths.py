"""The speed work on the HTTP page loop keeps behaviour: record splitting, body parsing,
page-sized batches, the shared SSL context, and strictly sequential requests."""

from __future__ import annotations

from contextlib import aclosing
from typing import Any

import certifi
import httpx
import pytest
from http_fake_api import FakeApi

from pycharter_gui.etl_generator.extractors import http_retry
from pycharter_gui.etl_generator.extractors.http import HTTPExtractor
from pycharter_gui.etl_generator.extractors.http_response import parse_body, split_records


def test_split_records_plain_page_is_returned_without_copy() -> None:
    page = [{"id": 1}, {"id": 2}]
    kept, others = split_records(page, None)
    assert kept is page and others == []
    kept, others = split_records(page, 2)
    assert kept is page and others == []
    assert split_records([], None) == ([], [])


def test_split_records_non_objects_and_the_limit() -> None:
    page: list[Any] = [{"id": 1}, 5, "text", {"id": 2}, None, {"id": 3}]
    assert split_records(page, None) == ([{"id": 1}, {"id": 2}, {"id": 3}], [5, "text", None])
    # The limit counts objects only; whatever follows the last kept object is not reported.
    assert split_records(page, 2) == ([{"id": 1}, {"id": 2}], [5, "text"])
    assert split_records(page, 0) == ([], [])
    assert split_records([{"id": 1}, {"id": 2}], 1) == ([{"id": 1}], [])

    class Row(dict):  # a dict subclass is still an object record
        pass

    row = Row(id=9)
    assert split_records([row, 3], None) == ([row], [3])


def test_parse_body_empty_whitespace_json_and_lines() -> None:
    assert parse_body(b"", "json") is None
    assert parse_body(b" \r\n\t", "json") is None
    assert parse_body(b' {"a": [1]} \n', "json") == {"a": [1]}
    assert parse_body(b'{"a": 1}\n\n{"a": 2}\n', "jsonl") == [{"a": 1}, {"a": 2}]
    assert parse_body(b"anything", "text") is None
    with pytest.raises(ValueError, match="line 2"):
        parse_body(b'{"a": 1}\n{"a": \n', "jsonl")


def test_ssl_context_built_once_per_ca_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    first = http_retry._ssl_context()
    assert http_retry._ssl_context() is first
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    other = http_retry._ssl_context()
    assert other is not first and http_retry._ssl_context() is other


async def test_clients_share_the_ssl_context() -> None:
    timeout = httpx.Timeout(5.0)
    async with http_retry.open_client(timeout, None, {}) as one, \
            http_retry.open_client(timeout, None, {}) as two:
        pools = [c._transport._pool for c in (one, two)]  # type: ignore[attr-defined]
        assert pools[0]._ssl_context is pools[1]._ssl_context


async def test_batch_size_equal_to_page_size_and_bigger(api: FakeApi) -> None:
    cfg = {"url": f"{api.url}/page", "params": {"limit": 5}, "response_path": "data",
           "pagination": {"enabled": True, "strategy": "page"}}
    for batch_size, sizes in ((5, [5, 5, 5, 5, 3]), (12, [12, 11]), (2, [2] * 11 + [1])):
        async with aclosing(HTTPExtractor().extract_streaming(
                cfg, None, None, batch_size=batch_size)) as stream:
            batches = [b async for b in stream]
        assert [len(b) for b in batches] == sizes, batch_size
        assert [r["id"] for b in batches for r in b] == list(range(1, 24))


async def test_max_records_inside_a_page_with_bad_records(api: FakeApi) -> None:
    ex = HTTPExtractor()
    bad: list[Any] = []
    ex.on_bad_record = lambda record, message: bad.append(record)
    async with aclosing(ex.extract_streaming({"url": f"{api.url}/mixed"}, None, None,
                                             max_records=1)) as stream:
        batches = [b async for b in stream]
    assert batches == [[{"id": 1}]] and bad == []


async def test_each_page_requested_only_when_the_consumer_asks(api: FakeApi) -> None:
    cfg = {"url": f"{api.url}/page", "params": {"limit": 5}, "response_path": "data",
           "pagination": {"enabled": True, "strategy": "page"}}
    async with aclosing(HTTPExtractor().extract_streaming(cfg, None, None,
                                                          batch_size=5)) as stream:
        seen = []
        async for _batch in stream:
            seen.append(len(api.requests))
    assert seen == [1, 2, 3, 4, 5]  # no page is fetched ahead of the consumer
