"""Fixtures for the HTTP source tests: a real local API server per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from http_fake_api import FakeApi, serve_fake_api


@pytest.fixture
def api() -> Iterator[FakeApi]:
    """A fresh fake API on 127.0.0.1 with an ephemeral port."""
    with serve_fake_api() as state:
        yield state
