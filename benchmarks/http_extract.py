"""Paginated HTTP extract: the engine's HTTPExtractor vs a hand-written httpx loop, same run.

A local JSON API (its own process, so client and server do not share a GIL) serves
``GET /items?page=N&limit=500`` -> ``{"data": [...500 records...]}`` for pages 0..199 (bodies
prepared before timing) and an empty page after that. Both clients read every page until the
empty one (201 requests), sequentially, over one keep-alive connection:

* engine: ``extract_with_pagination_streaming`` with page-number pagination, ``batch_size``
  500 (one batch per page), counting records as batches arrive;
* baseline: a plain ``httpx.Client`` loop: ``get`` -> ``json()`` -> ``["data"]`` until empty;
* async baseline: the same loop with ``httpx.AsyncClient`` (what the engine is built on), so the
  cost of httpx's async stack can be told apart from the engine's own.

Reports records/s and requests/s (best and median of ``--repeat``, rotating who goes first), and, for
the engine's first run, when the first batch reached the consumer vs when the server received
the request for the second page (both on the system-wide monotonic clock).

    .venv/bin/python benchmarks/http_extract.py [--pages 200] [--per-page 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


# ---- server (child process) ----------------------------------------------------------------
def serve(pages: int, per_page: int) -> None:
    """Run the API on an ephemeral port; print the port; log (page, monotonic time) per request."""
    bodies = [json.dumps({"data": [
        {"id": p * per_page + i, "name": f"customer {p * per_page + i}",
         "email": f"c{p * per_page + i}@example.com", "amount": (p * per_page + i) * 0.25,
         "active": i % 3 == 0, "created": "2024-01-01T00:00:00Z"}
        for i in range(per_page)]}).encode() for p in range(pages)]
    empty = b'{"data": []}'
    log: list[tuple[int, float]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            received = time.monotonic()
            parts = urlsplit(self.path)
            if parts.path == "/log":
                body = json.dumps(log).encode()
                log.clear()
            else:
                page = int(parse_qs(parts.query).get("page", ["0"])[0])
                log.append((page, received))
                body = bodies[page] if 0 <= page < pages else empty
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# ---- clients -------------------------------------------------------------------------------
async def engine(url: str, per_page: int) -> dict[str, Any]:
    from pycharter_gui.etl_generator.extractors.factory import extract_with_pagination_streaming

    cfg = {"type": "http", "base_url": url, "api_endpoint": "/items",
           "params": {"limit": per_page}, "response_path": "data",
           "pagination": {"enabled": True, "strategy": "page"}}
    records, first_at = 0, None
    start = time.monotonic()
    async for batch in extract_with_pagination_streaming(cfg, batch_size=per_page):
        if first_at is None:
            first_at = time.monotonic()
        records += len(batch)
    return {"records": records, "seconds": time.monotonic() - start, "start": start,
            "first_batch_at": first_at}


def baseline(url: str, per_page: int) -> dict[str, Any]:
    records, page = 0, 0
    start = time.monotonic()
    with httpx.Client(base_url=url, timeout=30) as client:
        while True:
            resp = client.get("/items", params={"page": page, "limit": per_page})
            resp.raise_for_status()
            data = resp.json()["data"]
            if not data:
                break
            records += len(data)
            page += 1
    return {"records": records, "seconds": time.monotonic() - start, "start": start}


async def baseline_async(url: str, per_page: int) -> dict[str, Any]:
    records, page = 0, 0
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while True:
            resp = await client.get("/items", params={"page": page, "limit": per_page})
            resp.raise_for_status()
            data = resp.json()["data"]
            if not data:
                break
            records += len(data)
            page += 1
    return {"records": records, "seconds": time.monotonic() - start, "start": start}


def run(who: str, url: str, per_page: int) -> dict[str, Any]:
    if who == "engine":
        return asyncio.run(engine(url, per_page))
    if who == "async baseline":
        return asyncio.run(baseline_async(url, per_page))
    return baseline(url, per_page)


def server_log(url: str) -> list[tuple[int, float]]:
    return [tuple(x) for x in httpx.get(f"{url}/log").json()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--per-page", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(args.pages, args.per_page)
        return
    proc = subprocess.Popen([sys.executable, __file__, "--serve", "--pages", str(args.pages),
                             "--per-page", str(args.per_page)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        url = f"http://127.0.0.1:{port}"
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass
        expected = args.pages * args.per_page
        clients = ["engine", "baseline", "async baseline"]
        runs: dict[str, list[dict[str, Any]]] = {who: [] for who in clients}
        timeline: dict[str, Any] = {}
        server_log(url)
        for i in range(args.repeat):
            for who in clients[i % 3:] + clients[:i % 3]:  # rotate who goes first
                out = run(who, url, args.per_page)
                log = server_log(url)
                assert out["records"] == expected, (who, out["records"])
                out["requests"] = len(log)
                runs[who].append(out)
                if who == "engine" and not timeline:
                    timeline = {"start": out["start"], "first": out["first_batch_at"],
                                "req": {page: t for page, t in log[:3]}}
    finally:
        proc.terminate()
        proc.wait()
    print(f"pages={args.pages} per_page={args.per_page} records={expected:,} "
          f"repeat={args.repeat} python={sys.version.split()[0]} httpx={httpx.__version__}")
    print("| client | best s | median s | records/s | requests/s | requests |")
    print("|---|---|---|---|---|---|")
    best = {}
    for who, outs in runs.items():
        secs = sorted(o["seconds"] for o in outs)
        best[who] = secs[0]
        print(f"| {who} | {secs[0]:.3f} | {secs[len(secs) // 2]:.3f} | "
              f"{expected / secs[0]:,.0f} | {outs[0]['requests'] / secs[0]:,.0f} | "
              f"{outs[0]['requests']} |")
    print(f"engine/baseline time (best): {best['engine'] / best['baseline']:.2f}x; "
          f"engine/async baseline: {best['engine'] / best['async baseline']:.2f}x; "
          f"async baseline/baseline: {best['async baseline'] / best['baseline']:.2f}x")
    t0, req = timeline["start"], timeline["req"]
    first = timeline["first"]
    print("engine first run, ms after the extract call: "
          f"page 0 requested {1000 * (req[0] - t0):.1f}, first batch at the consumer "
          f"{1000 * (first - t0):.1f}, page 1 requested {1000 * (req[1] - t0):.1f} -> first page "
          f"delivered {'BEFORE' if first < req[1] else 'AFTER'} the second was requested")


if __name__ == "__main__":
    main()
