"""The corpus of pipelines in pycharter's published formats, copied per test, and a local API."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture
def corpus(tmp_path: Path) -> Callable[[str], Path]:
    """Copy one corpus pipeline folder into tmp_path and return the copy."""

    def copy(name: str) -> Path:
        return Path(shutil.copytree(CORPUS / name, tmp_path / name))

    return copy


@dataclass
class Api:
    """What the local API serves, and the queries it received."""

    url: str = ""
    users: list[dict[str, Any]] = field(default_factory=list)
    ticks: list[dict[str, Any]] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    api: Api

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        self.api.queries.append(query)
        if parts.path == "/users":  # records updated after ?updated_since=
            since = query.get("updated_since", "")
            body: Any = {"data": [u for u in self.api.users if u["updated_at"] > since]}
        elif parts.path == "/ticks":  # cursor pages of ?limit= records
            start, limit = int(query.get("cursor") or 0), int(query.get("limit") or 2)
            page = self.api.ticks[start:start + limit]
            more = start + limit < len(self.api.ticks)
            body = {"data": {"ticks": page}, "next_cursor": str(start + limit) if more else None}
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def api() -> Iterator[Api]:
    """A JSON API on 127.0.0.1 (ephemeral port): /users?updated_since=, /ticks?cursor=."""
    state = Api()
    handler = type("Handler", (_Handler,), {"api": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
