"""Azure Blob Storage through azure-storage-blob (optional: ``pycharter-gui[azure]``).

Credentials: ``credentials.connection_string``, else ``account_name`` + ``account_key`` (or
``sas_token``), else ``AZURE_STORAGE_CONNECTION_STRING``. ``endpoint_url`` overrides the
account URL (Azurite). Reads fetch ``READ_CHUNK`` ranges one after another, so the first batch
of a large blob arrives after one chunk. Uploads above ``max_single_put_size`` stage blocks and
commit the block list last, so a failed upload leaves no blob (uncommitted blocks expire on
their own). SDK retries are bounded by ``RETRY_TOTAL`` (the engine retries retriable errors).
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

from .base import CloudClient, CloudStorageError, ObjectInfo, StorageLocation, mask_url, require_sdk

MIB = 1024 * 1024


class _ChunksRaw(io.RawIOBase):
    """A raw stream over an iterator of byte chunks."""

    def __init__(self, chunks: Iterator[bytes], name: str,
                 on_error: Callable[[Exception], Exception]) -> None:
        super().__init__()
        self._chunks = chunks
        self._on_error = on_error
        self._buf = b""
        self.name = name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._buf:
            try:
                nxt = next(self._chunks, None)
            except Exception as exc:  # a dropped connection mid-blob, a deleted blob...
                raise self._on_error(exc) from None
            if nxt is None:
                return 0
            self._buf = nxt
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._buf))
        view[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _first_line(exc: Exception) -> str:
    """The provider's message without the XML body and request ids the SDK appends."""
    text = str(exc)
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return first.removeprefix("Operation returned an invalid status ").strip("'")


class AzureBlobClient(CloudClient):
    """One Azure Blob container."""

    provider = "azure"
    BUCKET_WORD = "container"
    KEY_WORD = "blob"
    READ_CHUNK = 4 * MIB
    SINGLE_PUT = 64 * MIB  # larger files are uploaded as staged blocks + one commit
    BLOCK_SIZE = 8 * MIB
    RETRY_TOTAL = 3
    CONNECT_TIMEOUT = 10
    READ_TIMEOUT = 120

    def __init__(self, location: StorageLocation) -> None:
        super().__init__(location)
        blob = require_sdk("azure.storage.blob", "azure", "Azure Blob Storage")
        creds = location.credentials
        conn = creds.get("connection_string") or os.environ.get("AZURE_STORAGE_CONNECTION_STRING")
        options = {
            "retry_policy": blob.ExponentialRetry(initial_backoff=1, increment_base=2,
                                                  retry_total=self.RETRY_TOTAL,
                                                  random_jitter_range=1),
            "connection_timeout": self.CONNECT_TIMEOUT, "read_timeout": self.READ_TIMEOUT,
            "max_single_get_size": self.READ_CHUNK, "max_chunk_get_size": self.READ_CHUNK,
            "max_single_put_size": self.SINGLE_PUT, "max_block_size": self.BLOCK_SIZE,
        }
        try:
            if conn:
                service = blob.BlobServiceClient.from_connection_string(conn, **options)
            else:
                account = creds.get("account_name")
                url = location.endpoint_url or f"https://{account}.blob.core.windows.net"
                cred = creds.get("account_key") or creds.get("sas_token")
                if account and creds.get("account_key"):
                    cred = {"account_name": account, "account_key": creds["account_key"]}
                service = blob.BlobServiceClient(account_url=url, credential=cred, **options)
        except Exception as exc:
            raise self._translate(exc, None, "connect") from None
        self.service = service
        self._endpoint = mask_url(service.url).rstrip("/") or self._endpoint
        self.container = service.get_container_client(location.bucket)

    def _translate(self, exc: Exception, key: str | None, action: str) -> CloudStorageError:
        raw_code = getattr(exc, "error_code", None)
        code = str(getattr(raw_code, "value", raw_code) or "")
        status = getattr(exc, "status_code", None)
        kind, retriable, hint = "other", False, ""
        if code == "ContainerNotFound":
            kind, hint = "no_bucket", "check storage.container (or storage.bucket)"
        elif code == "BlobNotFound" or status == 404:
            kind, hint = "not_found", "check storage.path"
        elif status in (401, 403) or "Authentication" in code:
            kind = "denied"
            hint = ("check credentials.connection_string / account_key or "
                    "AZURE_STORAGE_CONNECTION_STRING")
        elif type(exc).__name__ in ("ServiceRequestError", "ServiceResponseError") or \
                status in (408, 429, 500, 502, 503, 504):
            kind, retriable = "unreachable", True
            hint = "check the account URL (connection string BlobEndpoint) and the network"
        message = f"Azure {action} failed for {self._subject(key)}: {type(exc).__name__}: {_first_line(exc)}"
        if code and code not in message:
            message += f" [{code}]"
        return self._error(message, key, kind=kind, retriable=retriable, hint=hint)

    def ensure_bucket(self) -> None:
        """Fail early, with the usual message, when the container is missing or not ours."""
        self._call("access", None, self.container.get_container_properties)

    def sample_keys(self, prefix: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` keys under ``prefix`` (one request), for connection tests."""
        def run() -> list[str]:
            pages = self.container.list_blobs(name_starts_with=prefix or None,
                                              results_per_page=limit).by_page()
            return [b.name for b in next(pages, [])][:limit]

        return self._call("listing", prefix or None, run)

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        def run() -> list[ObjectInfo]:
            blobs = self.container.list_blobs(name_starts_with=prefix or None)
            return sorted((ObjectInfo(b.name, int(b.size or 0)) for b in blobs),
                          key=lambda o: o.key)

        return self._call("listing", prefix or None, run)

    def head(self, key: str) -> ObjectInfo:
        props = self._call("read", key, self.container.get_blob_client(key).get_blob_properties)
        return ObjectInfo(key, int(props.size or 0))

    def open_stream(self, key: str) -> IO[bytes]:
        downloader = self._call("read", key, self.container.download_blob, key)
        raw = _ChunksRaw(iter(downloader.chunks()), self.location.url(key),
                         lambda exc: self._translate(exc, key, "read"))
        return io.BufferedReader(raw, buffer_size=MIB)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        return self._call("read", key, lambda: self.container.download_blob(
            key, offset=start, length=length).readall())

    def download_file(self, key: str, local_path: str) -> None:
        def run() -> None:
            with open(local_path, "wb") as f:
                self.container.download_blob(key, max_concurrency=4).readinto(f)

        self._call("download", key, run)

    def upload_file(self, local_path: str, key: str, content_type: str) -> None:
        from azure.storage.blob import ContentSettings

        def run() -> None:
            with open(local_path, "rb") as f:
                self.container.upload_blob(key, f, overwrite=True, max_concurrency=4,
                                           content_settings=ContentSettings(
                                               content_type=content_type))

        self._call("upload", key, run)

    def delete(self, key: str) -> None:
        try:
            self.container.delete_blob(key)
        except Exception as exc:
            err = self._translate(exc, key, "delete")
            if err.kind != "not_found":
                raise err from None

    def close(self) -> None:
        self.service.close()
