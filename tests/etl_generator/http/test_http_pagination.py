"""Paginators are I/O-free: drive them with fabricated httpx.Response objects."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from pycharter_gui.etl_generator.errors import ConfigError, PaginationLoopError
from pycharter_gui.etl_generator.extractors.pagination import (
    BasePaginator,
    CursorPaginator,
    LinkHeaderPaginator,
    NextUrlPaginator,
    OffsetPaginator,
    PageNumberPaginator,
    PageRequest,
    get_path,
)
from pycharter_gui.etl_generator.extractors.pagination_config import build_paginator

BASE = PageRequest("https://api.test/items", {"limit": 2, "q": "x"})


def resp(body: Any = None, *, headers: dict[str, str] | None = None,
         url: str = "https://api.test/items") -> httpx.Response:
    content = json.dumps(body).encode() if body is not None else b""
    return httpx.Response(200, content=content, headers=headers,
                          request=httpx.Request("GET", url))


def test_get_path_dotted_and_indexed() -> None:
    body = {"results": [{"rows": [1, 2]}, {"rows": [3]}], "meta": {"next": None}}
    assert get_path(body, "results.0.rows") == [1, 2]
    assert get_path(body, "results.-1.rows") == [3]
    assert get_path(body, "results.5.rows", "missing") == "missing"
    assert get_path(body, "meta.next", "missing") is None
    assert get_path(body, "meta.nope.deeper", "missing") == "missing"


def test_no_pagination_reads_one_page() -> None:
    p = build_paginator(None)
    assert type(p) is BasePaginator
    assert p.update_request(BASE) == BASE
    p.advance(resp([{"id": 1}] * 5), [{"id": 1}] * 5)
    assert not p.has_next


def test_page_number_defaults_and_fewer_records_stop() -> None:
    p = build_paginator({"enabled": True, "strategy": "page"}, BASE.params)
    assert isinstance(p, PageNumberPaginator)
    assert p.update_request(BASE).params == {"limit": 2, "q": "x", "page": 0}
    p.advance(resp([{"id": 1}, {"id": 2}]), [{"id": 1}, {"id": 2}])
    assert p.has_next
    assert p.update_request(BASE).params["page"] == 1
    p.advance(resp([{"id": 3}]), [{"id": 3}])
    assert not p.has_next
    assert "fewer records" in (p.stop_reason or "")


def test_page_number_custom_start_increment_and_max_pages() -> None:
    p = build_paginator({"enabled": True, "strategy": "page",
                         "page": {"param_name": "p", "start": 1, "increment": 2},
                         "stop_conditions": [{"type": "max_pages", "value": 2}]})
    seen = []
    while p.has_next:
        req = p.update_request(BASE)
        seen.append(req.params["p"])
        p.advance(resp([{"id": len(seen)}]), [{"id": len(seen)}])
    assert seen == [1, 3]
    assert p.stop_reason == "max_pages 2 reached"


def test_page_without_limit_stops_on_empty_page_only() -> None:
    # Without a known page size we never guess one (that would drop pages shorter than 100).
    p = build_paginator({"enabled": True}, {})
    for n in range(3):
        p.advance(resp([{"id": n}]), [{"id": n}])
        assert p.has_next
    p.advance(resp([]), [])
    assert not p.has_next and p.stop_reason == "empty page"


def test_page_number_detects_api_ignoring_the_parameter() -> None:
    p = build_paginator({"enabled": True, "strategy": "page"}, {})
    p.advance(resp([{"id": 1}]), [{"id": 1}])
    with pytest.raises(PaginationLoopError, match="'page' parameter"):
        p.advance(resp([{"id": 1}]), [{"id": 1}])


def test_offset_increments_by_limit_or_page_length() -> None:
    p = build_paginator({"enabled": True, "strategy": "offset"}, {"limit": 2})
    assert isinstance(p, OffsetPaginator)
    offsets = []
    for page in ([1, 2], [3, 4], [5]):
        offsets.append(p.update_request(BASE).params["offset"])
        p.advance(resp(page), page)
    assert offsets == [0, 2, 4] and not p.has_next

    q = build_paginator({"enabled": True, "strategy": "offset",
                         "offset": {"param_name": "skip", "start": 10}}, {})
    q.advance(resp([1, 2, 3]), [1, 2, 3])
    assert q.update_request(BASE).params["skip"] == 13


def test_cursor_from_body_until_missing() -> None:
    p = build_paginator({"enabled": True, "strategy": "cursor",
                         "cursor": {"param_name": "after", "response_path": "meta.next"}})
    assert isinstance(p, CursorPaginator)
    assert "after" not in p.update_request(BASE).params
    p.advance(resp({"meta": {"next": "abc"}}), [1])
    assert p.update_request(BASE).params["after"] == "abc"
    p.advance(resp({"meta": {"next": ""}}), [2])
    assert not p.has_next and "no cursor" in (p.stop_reason or "")


def test_cursor_has_more_false_stops_even_with_a_cursor() -> None:
    p = build_paginator({"enabled": True, "strategy": "cursor",
                         "cursor": {"response_path": "next", "has_more_path": "has_more"}})
    p.advance(resp({"next": "c1", "has_more": True}), [1])
    assert p.has_next
    p.advance(resp({"next": "c2", "has_more": False}), [2])
    assert not p.has_next


def test_cursor_repeat_is_a_loop() -> None:
    p = CursorPaginator(response_path="next")
    p.advance(resp({"next": "a"}), [1])
    p.advance(resp({"next": "b"}), [2])
    with pytest.raises(PaginationLoopError, match="'a'"):
        p.advance(resp({"next": "a"}), [3])


def test_next_url_relative_joined_and_query_wins() -> None:
    p = build_paginator({"enabled": True, "strategy": "next_url",
                         "next_url": {"response_path": "links.next"}})
    assert isinstance(p, NextUrlPaginator)
    p.advance(resp({"links": {"next": "/items?after=5&limit=9"}}), [1])
    req = p.update_request(BASE)
    assert req.url == "https://api.test/items"
    assert req.params == {"limit": "9", "q": "x", "after": "5"}
    p.advance(resp({"links": {"next": None}}, url="https://api.test/items?after=5"), [2])
    assert not p.has_next


def test_next_url_back_to_first_page_is_a_loop() -> None:
    p = NextUrlPaginator(response_path="next")
    p.advance(resp({"next": "https://api.test/items?page=2"}), [1])
    with pytest.raises(PaginationLoopError, match="already requested"):
        p.advance(resp({"next": "https://api.test/items?page=2"},
                       url="https://api.test/items?page=2"), [2])


def test_link_header() -> None:
    p = build_paginator({"enabled": True, "strategy": "link"})  # flat spelling of link_header
    assert isinstance(p, LinkHeaderPaginator)
    link = '<https://api.test/items?page=2>; rel="next", <https://api.test/items?page=9>; rel="last"'
    p.advance(resp([1], headers={"Link": link}), [1])
    assert p.update_request(BASE).params["page"] == "2"
    p.advance(resp([2], headers={"Link": '<https://api.test/items?page=1>; rel="first"'}), [2])
    assert not p.has_next and "Link header" in (p.stop_reason or "")


def test_stop_conditions_custom_has_more_max_records() -> None:
    p = build_paginator({"enabled": True, "strategy": "page", "stop_conditions": [
        {"type": "custom", "response_path": "meta.done", "value": True}]})
    p.advance(resp({"meta": {"done": False}}), [1])
    assert p.has_next
    p.advance(resp({"meta": {"done": True}}), [2])
    assert not p.has_next

    p = build_paginator({"enabled": True, "stop_conditions": [
        {"type": "has_more", "response_path": "more"}]})
    p.advance(resp({"more": False}), [1])
    assert not p.has_next

    p = build_paginator({"enabled": True, "stop_conditions": [
        {"type": "max_records", "value": 3}]})
    p.advance(resp([1, 2]), [1, 2])
    assert p.has_next
    p.advance(resp([3, 4]), [3, 4])
    assert not p.has_next


def test_flat_form_maps_to_nested() -> None:
    p = build_paginator({"enabled": True, "strategy": "cursor", "cursor_param": "token",
                         "cursor_path": "paging.token", "page_size": 50, "max_pages": 4})
    assert isinstance(p, CursorPaginator)
    assert (p.param_name, p.response_path, p.stop.max_pages) == ("token", "paging.token", 4)
    assert p.update_request(BASE).params["limit"] == 50
    q = build_paginator({"enabled": True, "strategy": "page", "page_param": "pg",
                         "limit_param": "per_page", "page_size": 3})
    assert q.update_request(BASE).params == {"limit": 2, "q": "x", "per_page": 3, "pg": 0}
    q.advance(resp([1, 2]), [1, 2])
    assert not q.has_next  # 2 < page_size 3


def test_disabled_pagination_is_single_page() -> None:
    p = build_paginator({"enabled": False, "strategy": "cursor"})
    p.advance(resp({"next_cursor": "x"}), [1])
    assert not p.has_next


def test_bad_pagination_config_lists_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        build_paginator({"enabled": True, "strategy": "sideways",
                         "stop_conditions": [{"type": "max_pages", "value": "lots"},
                                             {"type": "weird"}]})
    keys = [p.key for p in info.value.problems]
    assert "pagination.strategy" in keys
    assert "pagination.stop_conditions.0.value" in keys
    assert "pagination.stop_conditions.1.type" in keys
