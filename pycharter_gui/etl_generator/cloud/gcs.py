"""Google Cloud Storage through google-cloud-storage (optional: ``pycharter-gui[gcs]``).

Credentials: ``credentials.service_account_file`` (or ``service_account_info`` / the whole
service-account dict), else Application Default Credentials. ``STORAGE_EMULATOR_HOST`` (or
``endpoint_url``) points the client at an emulator, with anonymous credentials. Uploads are
single resumable sessions: the object appears only when the last chunk is accepted.
"""

from __future__ import annotations

import os
from typing import IO, Any

from .base import CloudClient, CloudStorageError, ObjectInfo, StorageLocation, mask_text, require_sdk


class GCSClient(CloudClient):
    """One GCS bucket."""

    provider = "gcs"

    def __init__(self, location: StorageLocation) -> None:
        super().__init__(location)
        storage = require_sdk("google.cloud.storage", "gcs", "Google Cloud Storage")
        creds = dict(location.credentials)
        project = creds.pop("project", None) or creds.pop("project_id", None)
        endpoint = location.endpoint_url or os.environ.get("STORAGE_EMULATOR_HOST")
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

    def _translate(self, exc: Exception, key: str | None, action: str) -> CloudStorageError:
        code = getattr(exc, "code", None)
        loc = self.location
        what = f"bucket '{loc.bucket}'" + (f", key '{key}'" if key else "") + loc.where()
        kind, retriable, hint = "other", False, ""
        text = str(exc)
        if code == 404:
            kind = "no_bucket" if "bucket" in text.lower() and "object" not in text.lower() \
                else "not_found"
            hint = "check storage.bucket and storage.path"
        elif code in (401, 403):
            kind = "denied"
            hint = ("check credentials.service_account_file or GOOGLE_APPLICATION_CREDENTIALS "
                    "and the bucket's permissions")
        elif code in (429, 500, 502, 503, 504) or isinstance(exc, (ConnectionError, OSError)):
            kind, retriable = "unreachable", True
            hint = "check the network or endpoint_url; it will be retried"
        message = f"GCS {action} failed for {what}: {type(exc).__name__}: {text}"
        if hint:
            message += f" ({hint})"
        return CloudStorageError(mask_text(message, loc), kind=kind, retriable=retriable,
                                 bucket=loc.bucket, key=key)

    def _call(self, action: str, key: str | None, fn: Any, *args: Any, **kw: Any) -> Any:
        try:
            return fn(*args, **kw)
        except CloudStorageError:
            raise
        except Exception as exc:
            raise self._translate(exc, key, action) from None

    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        def run() -> list[ObjectInfo]:
            blobs = self.gcs.list_blobs(self.location.bucket, prefix=prefix or None)
            return sorted((ObjectInfo(b.name, int(b.size or 0)) for b in blobs
                           if not (b.name.endswith("/") and not b.size)), key=lambda o: o.key)

        return self._call("listing", prefix or None, run)

    def head(self, key: str) -> ObjectInfo:
        blob = self._call("read", key, self.bucket.get_blob, key)
        if blob is None:
            raise CloudStorageError(
                f"GCS object '{key}' not found in bucket '{self.location.bucket}' (check "
                "storage.path)", kind="not_found", bucket=self.location.bucket, key=key)
        return ObjectInfo(key, int(blob.size or 0))

    def open_stream(self, key: str) -> IO[bytes]:
        return self._call("read", key, self.bucket.blob(key).open, "rb")

    def download_file(self, key: str, local_path: str) -> None:
        self._call("download", key, self.bucket.blob(key).download_to_filename, local_path)

    def upload_file(self, local_path: str, key: str, content_type: str) -> None:
        self._call("upload", key, self.bucket.blob(key).upload_from_filename, local_path,
                   content_type=content_type)

    def delete(self, key: str) -> None:
        try:
            self.bucket.blob(key).delete()
        except Exception as exc:
            err = self._translate(exc, key, "delete")
            if err.kind != "not_found":
                raise err from None

    def close(self) -> None:
        close = getattr(self.gcs, "close", None)
        if callable(close):
            close()
