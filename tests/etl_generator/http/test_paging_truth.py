"""HTTP paging never ends early in silence (issue 14 #4): the unconfigured page cap, a page
that reports an error or lost its records, and a server that trickles its answer are failures
the run result reports, naming the config key to change."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator

BAD_PAGES = {"error": {"error": "quota exceeded", "data": None}, "null": {"data": None}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # no 40 ms delayed-ACK stall per page
    stop: threading.Event

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        page = int(parse_qs(parts.query).get("page", ["0"])[-1])
        kind = parts.path.strip("/")
        if kind == "endless":  # one record per page, forever
            self._json({"data": [{"id": page}]})
        elif kind in BAD_PAGES:  # pages 0 and 1 fine, page 2 (the third) broken
            self._json(BAD_PAGES[kind] if page == 2 else {"data": [{"id": page}]})
        elif kind == "trickle":  # one byte every 2 s
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "1000")
            self.end_headers()
            try:
                while not self.stop.wait(2.0):
                    self.wfile.write(b" ")
                    self.wfile.flush()
            except OSError:
                pass
            self.close_connection = True


@pytest.fixture
def server() -> Iterator[str]:
    stop = threading.Event()
    handler = type("Handler", (_Handler,), {"stop": stop})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    stop.set()
    httpd.shutdown()
    httpd.server_close()


Run = Callable[..., dict[str, Any]]


@pytest.fixture
def run(write_pipeline: Callable[..., Path], tmp_path: Path) -> Run:
    async def go(url: str, extra: str = "", path: str | None = "data", attempts: int = 1
                 ) -> dict[str, Any]:
        folder = write_pipeline(
            extract=f"type: http\nurl: {url}\nbatch_size: 100\n"
                    f"retry: {{max_attempts: {attempts}, backoff_factor: 0}}\n"
                    + (f"response_path: {path}\n" if path else "") + extra,
            transform="", load=f"type: file\npath: {tmp_path}/out.jsonl\nformat: jsonl\n")
        return await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    return go


def _lines(tmp_path: Path) -> int:
    out = tmp_path / "out.jsonl"
    return len(out.read_text().splitlines()) if out.exists() else 0


async def test_the_safety_page_cap_fails_naming_pagination_max_pages(server, run) -> None:
    result = await run(f"{server}/endless", "pagination: {strategy: page}\n")
    assert result["success"] is False and result["status"] == "failed"
    assert "pagination.max_pages" in result["error"] and "1000" in result["error"]


async def test_a_configured_page_cap_is_a_chosen_stop(server, run, tmp_path) -> None:
    result = await run(f"{server}/endless", "pagination: {strategy: page, max_pages: 3}\n")
    assert (result["success"], result["extraction"]["total_records"]) == (True, 3)
    assert _lines(tmp_path) == 3


@pytest.mark.parametrize("kind", sorted(BAD_PAGES))
@pytest.mark.parametrize("path", ["data", None])
async def test_a_broken_third_page_fails_the_run(server, run, kind, path) -> None:
    # path None: page 1 has its records under the default key 'data'
    result = await run(f"{server}/{kind}", "pagination: {strategy: page}\n", path)
    assert result["success"] is False, result
    assert "Page 3" in result["error"]
    assert ("error instead of records" in result["error"] if kind == "error"
            else ("response_path" in result["error"] or "another shape" in result["error"]))


async def test_a_trickling_server_ends_at_the_request_deadline(server, run) -> None:
    started = time.monotonic()
    result = await run(f"{server}/trickle", "timeout: {request: 1}\n")
    assert time.monotonic() - started < 10
    assert result["success"] is False and "timeout.request" in result["error"]


async def test_the_overall_deadline_ends_the_extraction(server, run) -> None:
    started = time.monotonic()
    result = await run(f"{server}/trickle", "timeout: {total: 1.5}\n", attempts=5)
    assert time.monotonic() - started < 10
    assert result["success"] is False and "timeout.total" in result["error"]


def test_the_deadline_keys_are_documented() -> None:
    reference = (Path(__file__).parents[3] / "docs" / "config-reference.md").read_text()
    assert "| `timeout.request` |" in reference and "| `timeout.total` |" in reference
