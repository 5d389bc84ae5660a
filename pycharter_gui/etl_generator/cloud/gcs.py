"""Google Cloud Storage through google-cloud-storage (optional: ``pycharter-gui[gcs]``).

Credentials: ``credentials.service_account_file`` (or ``service_account_info`` / the whole
service-account dict), else Application Default Credentials. ``endpoint_url`` (or
``STORAGE_EMULATOR_HOST``) points the client at an emulator, with anonymous credentials.
Reads go through ``BlobReader`` in ``READ_CHUNK`` ranged requests, so the first batch of a large
object arrives after one chunk. Uploads are one multipart request (up to 8 MiB) or one resumable
session in ``UPLOAD_CHUNK`` pieces: the object appears only when the last chunk is accepted, so a
failed upload leaves the previous object (or none) in place. SDK retries are bounded by
``RETRY_SECONDS`` (the engine retries retriable errors itself).
"""

from __future__ import annotations

import io
import os
from typing import IO, Any

from .base import CloudClient, CloudStorageError, ObjectInfo, ResponseStream, StorageLocation, require_sdk

MIB = 1024 * 1024
_RETRIABLE_CODES = (408, 429, 500, 502, 503, 504)


def _is_connection_error(exc: BaseException | None) -> bool:
    """True when ``exc`` (or what it wraps: RetryError.cause, __cause__) is a network failure."""
    seen = 0
    while exc is not None and seen < 6:
        if isinstance(exc, (ConnectionError, TimeoutError, OSError)):
            return True
        name = type(exc).__name__
        if name in ("ConnectionError", "ConnectTimeout", "ReadTimeout", "Timeout",
                    "NewConnectionError", "MaxRetryError"):
            return True
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
        seen += 1
    return False


class _ReaderRaw(ResponseStream):
    """A raw stream over a ``BlobReader`` that turns SDK errors into CloudStorageError."""

    def __init__(self, client: GCSClient, key: str, reader: Any) -> None:
        super().__init__(reader, client.location.url(key))
        self._client = client
        self._key = key

    def _read(self, size: int) -> bytes:
        return self._client._call("read", self._key, self._body.read, size)


class GCSClient(CloudClient):
    """One GCS bucket."""

    provider = "gcs"
    READ_CHUNK = 8 * MIB
    UPLOAD_CHUNK = 32 * MIB  # resumable uploads (files over 8 MiB) send chunks of this size
    RETRY_SECONDS = 30.0
    TIMEOUT = (10.0, 120.0)  # connect, read (seconds)

    def __init__(self, location: StorageLocation) -> None:
        super().__init__(location)
        storage = require_sdk("google.cloud.storage", "gcs", "Google Cloud Storage")
        from google.cloud.storage.retry import DEFAULT_RETRY

        self._retry = DEFAULT_RETRY.with_timeout(self.RETRY_SECONDS)
        creds = dict(location.credentials)
        project = creds.pop("project", None) or creds.pop("project_id", None)
        endpoint = location.endpoint_url or os.environ.get("STORAGE_EMULATOR_HOST")
        if endpoint and "://" not in endpoint:
            endpoint = "http://" + endpoint
        self._endpoint = endpoint
        try:
            if creds.get("service_account_file"):
                client = storage.Client.from_service_account_json(
                    creds["service_account_file"], project=project)
            elif creds.get("service_account_info") or creds.get("private_key"):
                info = creds.get("service_account_info") or creds
                client = storage.Client.from_service_account_info(info, project=project)
            elif endpoint:
                from google.auth.credentials import AnonymousCredentials

                client = storage.Client(project=project or "local", credentials=(
                    AnonymousCredentials()), client_options={"api_endpoint": endpoint})
            else:
                client = storage.Client(project=project)
        except Exception as exc:
            raise self._translate(exc, None, "connect") from None
        self.gcs = client
        self.bucket = client.bucket(location.bucket)

    # -- errors --------------------------------------------------------------------------------
    def _bucket_missing(self) -> bool:
        """After a 404: is it the bucket that is missing (one extra request)?"""
        try:
            return self.gcs.lookup_bucket(self.location.bucket, timeout=self.TIMEOUT,
                                          retry=None) is None
        except Exception:  # cannot tell: report the object as missing
            return False

    def _translate(self, exc: Exception, key: str | None, action: str) -> CloudStorageError:
        code = getattr(exc, "code", None)
        kind, retriable, hint = "other", False, ""
        text = getattr(exc, "message", None) or str(exc)
        text = str(text).splitlines()[0] if str(text).strip() else type(exc).__name__
        cause = getattr(exc, "cause", None)
        if type(exc).__name__ == "RetryError" and cause is not None:
            text += f"; last error: {type(cause).__name__}: {str(cause)[:300]}"
        if code == 404:
            if hasattr(self, "gcs") and self._bucket_missing():
                kind, hint = "no_bucket", "check storage.bucket: the bucket does not exist"
            else:
                kind, hint = "not_found", "check storage.path"
        elif code in (401, 403):
            kind = "denied"
            hint = ("check credentials.service_account_file or GOOGLE_APPLICATION_CREDENTIALS "
                    "and the bucket's permissions")
        elif code in _RETRIABLE_CODES or _is_connection_error(exc) or \
                type(exc).__name__ == "RetryError":
            kind, retriable = "unreachable", True
            hint = "check the network or endpoint_url; it will be retried"
        return self._error(f"GCS {action} failed for {self._subject(key)}: {type(exc).__name__}: {text}",
                           key, kind=kind, retriable=retriable, hint=hint)

    # -- CloudClient ---------------------------------------------------------------------------
    def ensure_bucket(self) -> None:
        """Fail early, with the usual message, when the bucket is missing or not ours."""
        found = self._call("access", None, self.gcs.lookup_bucket, self.location.bucket,
                           timeout=self.TIMEOUT, retry=self._retry)
        if found is None:
            raise CloudStorageError(
                f"GCS bucket '{self.location.bucket}' does not exist{self._where()} (check "
                "storage.bucket)", kind="no_bucket", bucket=self.location.bucket)

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        def run() -> list[ObjectInfo]:
            blobs = self.gcs.list_blobs(self.location.bucket, prefix=prefix or None,
                                        timeout=self.TIMEOUT, retry=self._retry)
            return sorted((ObjectInfo(b.name, int(b.size or 0)) for b in blobs
                           if not (b.name.endswith("/") and not b.size)), key=lambda o: o.key)

        return self._call("listing", prefix or None, run)

    def sample_keys(self, prefix: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` keys under ``prefix`` (one request), for connection tests."""
        def run() -> list[str]:
            blobs = self.gcs.list_blobs(self.location.bucket, prefix=prefix or None,
                                        max_results=limit, timeout=self.TIMEOUT,
                                        retry=self._retry)
            return [b.name for b in blobs]

        return self._call("listing", prefix or None, run)

    def head(self, key: str) -> ObjectInfo:
        blob = self._call("read", key, self.bucket.get_blob, key, timeout=self.TIMEOUT,
                          retry=self._retry)
        if blob is None:
            if self._bucket_missing():
                raise CloudStorageError(
                    f"GCS bucket '{self.location.bucket}' does not exist{self._where()} "
                    f"(reading key '{key}'; check storage.bucket)", kind="no_bucket",
                    bucket=self.location.bucket, key=key)
            raise CloudStorageError(
                f"GCS object '{key}' not found in bucket '{self.location.bucket}'"
                f"{self._where()} (check storage.path)", kind="not_found",
                bucket=self.location.bucket, key=key)
        return ObjectInfo(key, int(blob.size or 0))

    def open_stream(self, key: str) -> IO[bytes]:
        reader = self._call("read", key, self.bucket.blob(key).open, "rb",
                            chunk_size=self.READ_CHUNK, retry=self._retry,
                            timeout=self.TIMEOUT)
        return io.BufferedReader(_ReaderRaw(self, key, reader), buffer_size=MIB)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        return self._call("read", key, self.bucket.blob(key).download_as_bytes,
                          start=start, end=start + length - 1, timeout=self.TIMEOUT,
                          retry=self._retry)

    def download_file(self, key: str, local_path: str) -> None:
        self._call("download", key, self.bucket.blob(key).download_to_filename, local_path,
                   timeout=self.TIMEOUT, retry=self._retry)

    def upload_file(self, local_path: str, key: str, content_type: str) -> None:
        blob = self.bucket.blob(key, chunk_size=self.UPLOAD_CHUNK)
        self._call("upload", key, blob.upload_from_filename, local_path,
                   content_type=content_type, timeout=self.TIMEOUT, retry=self._retry)

    def delete(self, key: str) -> None:
        try:
            self.bucket.blob(key).delete(timeout=self.TIMEOUT, retry=self._retry)
        except Exception as exc:
            err = self._translate(exc, key, "delete")
            if err.kind != "not_found":
                raise err from None

    def close(self) -> None:
        close = getattr(self.gcs, "close", None)
        if callable(close):
            close()
