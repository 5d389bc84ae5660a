"""``extract_with_pagination_streaming`` resolves ``${VAR}`` in its explicit ``params`` and
``headers`` with ``config_context`` and the environment, as pycharter does (issue 13)."""

from __future__ import annotations

import pytest
from http_fake_api import API_KEY, TOKEN

from pycharter_gui.etl_generator import ConfigError
from pycharter_gui.etl_generator.extractors import extract_with_pagination_streaming


async def _all(*args, **kwargs) -> list[dict]:
    return [r async for batch in extract_with_pagination_streaming(*args, **kwargs)
            for r in batch]


async def test_header_token_from_config_context(api):
    records = await _all({"type": "http", "base_url": api.url, "api_endpoint": "/secure"},
                         {}, {"Authorization": "Bearer ${API_TOKEN}"},
                         config_context={"API_TOKEN": TOKEN})
    assert [r["id"] for r in records] == [1, 2]
    assert api.requests[-1].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_query_param_from_the_environment(api, monkeypatch):
    monkeypatch.setenv("PYCHARTER_TEST_KEY", API_KEY)
    records = await _all({"type": "http", "url": f"{api.url}/apikey"},
                         {"api_key": "${PYCHARTER_TEST_KEY}"}, None)
    assert [r["id"] for r in records] == [1]


async def test_unset_variable_is_a_config_error_naming_it(api):
    with pytest.raises(ConfigError, match="NO_SUCH_TOKEN"):
        await _all({"type": "http", "base_url": api.url, "api_endpoint": "/secure"},
                   None, {"Authorization": "Bearer ${NO_SUCH_TOKEN}"}, config_context={})
    assert not api.requests  # nothing was sent with the literal text
