"""A real HTTP API on 127.0.0.1 (ephemeral port) serving the shapes analysts meet, plus faults.

Kept out of conftest.py so tests can import its names unambiguously.
"""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "s3cret-token-value"
API_KEY = "k3y-abcdef123"
ITEMS = [{"id": i, "name": f"item {i}"} for i in range(1, 24)]  # 23 records


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class FakeApi:
    url: str = ""
    requests: list[Seen] = field(default_factory=list)
    hits: dict[str, int] = field(default_factory=dict)
    release: threading.Event = field(default_factory=threading.Event)

    def paths(self, path: str) -> list[Seen]:
        return [r for r in self.requests if r.path == path]


class _Handler(BaseHTTPRequestHandler):
    api: FakeApi
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per request

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, payload: Any = None, *, raw: bytes | None = None,
              headers: dict[str, str] | None = None) -> None:
        data = raw if raw is not None else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (cancel/timeout tests)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        api = self.api
        api.requests.append(Seen(self.command, parts.path, query, dict(self.headers), body,
                                 time.monotonic()))
        api.hits[parts.path] = hit = api.hits.get(parts.path, 0) + 1
        limit = int(query.get("limit", 10))
        host = f"http://{self.headers['Host']}"
        path = parts.path
        if path == "/page":  # ?page=N (0-based) -> {"data": [...]}
            n = int(query.get("page", 0))
            self._send(200, {"data": ITEMS[n * limit:(n + 1) * limit], "page": n})
        elif path == "/offset":  # ?offset=&limit= -> bare list
            off = int(query.get("offset", 0))
            self._send(200, ITEMS[off:off + limit])
        elif path == "/cursor":  # next_cursor always set; has_more says when to stop
            pos = int(query.get("cursor", "c0")[1:])
            chunk = ITEMS[pos:pos + limit]
            more = pos + limit < len(ITEMS)
            self._send(200, {"results": chunk, "meta": {"next": f"c{pos + limit}",
                                                         "has_more": more}})
        elif path == "/next":  # relative next URL in the body
            after = int(query.get("after", 0))
            chunk = ITEMS[after:after + limit]
            nxt = f"/next?after={after + limit}&limit={limit}" if after + limit < len(ITEMS) else None
            self._send(200, {"items": chunk, "links": {"next": nxt}})
        elif path == "/link":  # RFC 8288 Link header
            n = int(query.get("page", 1))
            chunk = ITEMS[(n - 1) * limit:n * limit]
            headers = {}
            if n * limit < len(ITEMS):
                headers["Link"] = (f'<{host}/link?page={n + 1}&limit={limit}>; rel="next", '
                                   f'<{host}/link?page=1&limit={limit}>; rel="first"')
            self._send(200, chunk, headers=headers)
        elif path == "/flaky":  # 503 twice, then the data
            if hit <= 2:
                self._send(503, {"error": "busy"})
            else:
                self._send(200, ITEMS[:3])
        elif path == "/ratelimited":  # 429 with Retry-After: 1, then the data
            if hit == 1:
                self._send(429, {"error": "slow down"}, headers={"Retry-After": "1"})
            else:
                self._send(200, ITEMS[:2])
        elif path == "/ratelimited-date":  # 429 with an HTTP-date Retry-After 30 s ahead
            if hit == 1:
                when = email.utils.formatdate(time.time() + 30, usegmt=True)
                self._send(429, {"error": "slow down"}, headers={"Retry-After": when})
            else:
                self._send(200, ITEMS[:2])
        elif path == "/always503":
            self._send(503, {"error": "down"})
        elif path == "/stall":  # hangs until the test ends (past any short read timeout)
            api.release.wait(10)
            self._send(200, ITEMS[:1])
        elif path == "/truncated":
            self._send(200, raw=b'{"data": [{"id": 1}, {"id": 2')
        elif path == "/secure":
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self._send(401, {"error": "invalid token", "detail": "x" * 500})
            else:
                self._send(200, {"data": ITEMS[:2]})
        elif path == "/apikey":
            if query.get("api_key") != API_KEY:
                self._send(403, {"error": "forbidden"})
            else:
                self._send(200, {"data": ITEMS[:1]})
        elif path == "/mixed":
            self._send(200, {"data": [{"id": 1}, 5, "text", {"id": 2}, None]})
        elif path == "/loop":  # the cursor never changes
            self._send(200, {"data": ITEMS[:2], "next_cursor": "same"})
        elif path.startswith("/users/"):
            user = path.split("/")[2]
            self._send(200, {"data": [{"id": 1, "user": user}]})
        elif path == "/echo":
            try:
                received = json.loads(body) if body else None
            except ValueError:
                received = None
            self._send(200, {"data": [{"id": 1, "method": self.command, "body": received,
                                       "raw": body.decode()}]})
        elif path == "/jsonl":
            self._send(200, raw=b"".join(json.dumps(r).encode() + b"\n" for r in ITEMS[:4]))
        elif path == "/endless":  # always a full page: for cancellation tests
            n = int(query.get("page", 0))
            self._send(200, [{"id": n * limit + i} for i in range(limit)])
        elif path == "/notfound":
            self._send(404, {"error": "no such thing"})
        else:
            self._send(404, {"error": f"unknown path {path}"})

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@contextmanager
def serve_fake_api() -> Iterator[FakeApi]:
    """Run the fake API in a background thread; yield its state; stop it afterwards."""
    state = FakeApi()
    handler = type("Handler", (_Handler,), {"api": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        state.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
