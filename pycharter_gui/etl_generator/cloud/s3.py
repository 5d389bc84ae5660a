"""Amazon S3 and S3-compatible stores (MinIO, SeaweedFS, Ceph...) through boto3.

Credentials: ``storage.credentials`` (``aws_access_key_id``, ``aws_secret_access_key``,
``aws_session_token``), else a named ``profile``, else boto3's default chain (the standard
``AWS_*`` environment variables, ``~/.aws``, instance roles). With an ``endpoint_url`` the client
uses path-style addressing (``credentials.addressing_style`` overrides). Reads are streamed from
the response body (resuming with a ranged GET if the connection drops); uploads go through
boto3's managed transfer, multipart above ``MULTIPART_THRESHOLD``, and a failed multipart upload
is aborted so no partial object or orphan parts remain.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from typing import IO, Any

from .base import CloudClient, CloudStorageError, ObjectInfo, ResponseStream, StorageLocation

logger = logging.getLogger(__name__)

MIB = 1024 * 1024
_DENIED = {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "403",
           "AllAccessDisabled", "InvalidToken", "ExpiredToken", "Forbidden"}
_RETRIABLE = {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout", "500", "502",
              "503", "504", "Throttling", "RequestTimeTooSkewed"}


class _BodyRaw(ResponseStream):
    """A raw stream over an S3 GetObject body that resumes with a Range GET after a drop."""

    def __init__(self, client: S3Client, key: str) -> None:
        super().__init__(client.get_body(key), client.location.url(key))
        self._client = client
        self._key = key
        self._pos = 0

    def _read(self, size: int) -> bytes:
        for attempt in range(4):
            try:
                data = self._body.read(size)
                break
            except Exception as exc:  # connection drop: resume where we were
                if attempt == 3 or not _is_stream_error(exc):
                    raise
                logger.warning("Reconnecting to %s at byte %d after: %s", self.name, self._pos,
                               type(exc).__name__)
                self._body = self._client.get_body(self._key, start=self._pos)
        self._pos += len(data)
        return data


def _is_stream_error(exc: Exception) -> bool:
    from botocore.exceptions import ReadTimeoutError, ResponseStreamingError

    return isinstance(exc, (ReadTimeoutError, ResponseStreamingError, ConnectionError))


class S3Client(CloudClient):
    """One S3 bucket (see the module docstring)."""

    provider = "s3"
    MULTIPART_THRESHOLD = 16 * MIB
    PART_SIZE = 8 * MIB

    def __init__(self, location: StorageLocation) -> None:
        super().__init__(location)
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        creds = location.credentials
        style = creds.get("addressing_style") or ("path" if location.endpoint_url else "auto")
        kwargs: dict[str, Any] = {
            "aws_access_key_id": creds.get("aws_access_key_id") or creds.get("access_key"),
            "aws_secret_access_key": creds.get("aws_secret_access_key")
            or creds.get("secret_key"),
            "aws_session_token": creds.get("aws_session_token") or creds.get("session_token"),
            "region_name": location.region,
            "profile_name": location.profile,
        }
        try:
            session = boto3.session.Session(**{k: v for k, v in kwargs.items() if v})
            self.s3 = session.client(
                "s3", endpoint_url=location.endpoint_url,
                region_name=session.region_name or "us-east-1",
                config=Config(s3={"addressing_style": style},
                              retries={"max_attempts": 3, "mode": "standard"},
                              connect_timeout=10, read_timeout=60))
        except BotoCoreError as exc:
            raise self._translate(exc, None, "connect") from None

    # -- errors ------------------------------------------------------------------------------
    def _translate(self, exc: Exception, key: str | None, action: str) -> CloudStorageError:
        from botocore.exceptions import (
            ClientError,
            ConnectTimeoutError,
            EndpointConnectionError,
            NoCredentialsError,
            PartialCredentialsError,
            ProfileNotFound,
        )

        kind, retriable, hint = "other", False, ""
        if isinstance(exc, ClientError):
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            provider_msg = f"{code}: {err.get('Message') or exc}"
            if code == "NoSuchBucket":
                kind, hint = "no_bucket", "check storage.bucket, and the region or endpoint_url"
            elif code in ("NoSuchKey", "404", "NotFound"):
                kind = "not_found"
                hint = ("check storage.path (end it with '/' to read every object under a "
                        "prefix)")
            elif code in _DENIED:
                kind = "denied"
                hint = ("check the credentials (storage.credentials, AWS_ACCESS_KEY_ID/"
                        "AWS_SECRET_ACCESS_KEY or AWS_PROFILE) and the bucket policy")
            elif code in _RETRIABLE:
                retriable, hint = True, "the service is busy or failing; it will be retried"
        elif isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
            kind, retriable = "unreachable", True
            provider_msg = str(exc)
            hint = ("check storage.endpoint_url (or credentials.endpoint_url), the region and "
                    "the network")
        elif isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            kind, provider_msg = "denied", str(exc)
            hint = ("set storage.credentials (aws_access_key_id, aws_secret_access_key), the "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY variables or a profile")
        elif isinstance(exc, ProfileNotFound):
            kind, provider_msg = "denied", str(exc)
            hint = "check storage.profile and ~/.aws/config"
        else:
            provider_msg = f"{type(exc).__name__}: {exc}"
        return self._error(f"S3 {action} failed for {self._subject(key)}: {provider_msg}", key,
                           kind=kind, retriable=retriable, hint=hint)

    def _provider_error(self, exc: Exception) -> Exception | None:
        """botocore's errors are worded (the one boto3's upload error wraps, too); any other
        error is raised as it is."""
        from boto3.exceptions import S3UploadFailedError
        from botocore.exceptions import BotoCoreError, ClientError

        if isinstance(exc, S3UploadFailedError) and isinstance(exc.__context__, Exception):
            exc = exc.__context__  # boto3 wraps the provider's error; report that one
        return exc if isinstance(exc, (BotoCoreError, ClientError)) else None

    def _not_found(self, exc: CloudStorageError, key: str, action: str) -> CloudStorageError:
        """Tell a missing key from a missing bucket (HEAD answers both with a bare 404)."""
        if exc.kind != "not_found":
            return exc
        try:
            self.s3.head_bucket(Bucket=self.location.bucket)
        except Exception as bucket_exc:
            return self._translate(_as_no_bucket(bucket_exc), key, action)
        return exc

    def ensure_bucket(self) -> None:
        """Fail early, with the usual message, when the bucket is missing or not ours."""
        try:
            self._call("access", None, self.s3.head_bucket, Bucket=self.location.bucket)
        except CloudStorageError as exc:
            if exc.kind != "not_found":
                raise
            raise self._translate(_as_no_bucket(_client_404()), None, "access") from None

    # -- CloudClient -------------------------------------------------------------------------
    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        def run() -> list[ObjectInfo]:
            found = []
            pages = self.s3.get_paginator("list_objects_v2").paginate(
                Bucket=self.location.bucket, Prefix=prefix)
            for page in pages:
                for obj in page.get("Contents", []):
                    if obj["Key"].endswith("/") and not obj.get("Size"):
                        continue
                    found.append(ObjectInfo(obj["Key"], int(obj.get("Size") or 0)))
            return sorted(found, key=lambda o: o.key)

        return self._call("listing", prefix or None, run)

    def sample_keys(self, prefix: str, limit: int = 5) -> list[str]:
        """Up to ``limit`` keys under ``prefix`` (one request), for connection tests."""
        page = self._call("listing", prefix or None, self.s3.list_objects_v2,
                          Bucket=self.location.bucket, Prefix=prefix, MaxKeys=limit)
        return [o["Key"] for o in page.get("Contents", [])]

    def head(self, key: str) -> ObjectInfo:
        try:
            resp = self._call("read", key, self.s3.head_object, Bucket=self.location.bucket,
                              Key=key)
        except CloudStorageError as exc:
            raise self._not_found(exc, key, "read") from None
        return ObjectInfo(key, int(resp.get("ContentLength") or 0))

    def get_body(self, key: str, start: int = 0) -> Any:
        extra = {"Range": f"bytes={start}-"} if start else {}
        resp = self._call("read", key, self.s3.get_object, Bucket=self.location.bucket,
                          Key=key, **extra)
        return resp["Body"]

    def open_stream(self, key: str) -> IO[bytes]:
        return io.BufferedReader(_BodyRaw(self, key), buffer_size=MIB)

    def read_range(self, key: str, start: int, length: int) -> bytes:
        resp = self._call("read", key, self.s3.get_object, Bucket=self.location.bucket, Key=key,
                          Range=f"bytes={start}-{start + length - 1}")
        return self._call("read", key, resp["Body"].read)

    def transfer_config(self) -> Any:
        from boto3.s3.transfer import TransferConfig

        return TransferConfig(multipart_threshold=self.MULTIPART_THRESHOLD,
                              multipart_chunksize=self.PART_SIZE, max_concurrency=4)

    def download_file(self, key: str, local_path: str) -> None:
        self._call("download", key, self.s3.download_file, self.location.bucket, key,
                   local_path, Config=self.transfer_config())

    def upload_file(self, local_path: str, key: str, content_type: str) -> None:
        started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
        try:
            self._call("upload", key, self.s3.upload_file, local_path, self.location.bucket,
                       key, ExtraArgs={"ContentType": content_type},
                       Config=self.transfer_config())
        except BaseException:
            self._abort_uploads(key, started)
            raise

    def _abort_uploads(self, key: str, since: dt.datetime) -> None:
        """Abort multipart uploads of ``key`` begun by this upload (boto3 usually has)."""
        try:
            resp = self.s3.list_multipart_uploads(Bucket=self.location.bucket, Prefix=key)
            for up in resp.get("Uploads", []):
                initiated = up.get("Initiated")
                if up.get("Key") != key or (isinstance(initiated, dt.datetime)
                                            and initiated.tzinfo and initiated < since):
                    continue
                self.s3.abort_multipart_upload(Bucket=self.location.bucket, Key=key,
                                               UploadId=up["UploadId"])
                logger.info("Aborted unfinished multipart upload of %s",
                            self.location.url(key))
        except Exception as exc:  # best effort: the original error matters more
            logger.warning("Could not check for unfinished uploads of %s: %s",
                           self.location.url(key), type(exc).__name__)

    def delete(self, key: str) -> None:
        self._call("delete", key, self.s3.delete_object, Bucket=self.location.bucket, Key=key)

    def close(self) -> None:
        self.s3.close()


def _as_no_bucket(exc: Exception) -> Exception:
    """HEAD bucket answers a bare 404; name it NoSuchBucket for the message."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError) and str(exc.response.get("Error", {}).get("Code")) in (
            "404", "NotFound"):
        return ClientError({"Error": {"Code": "NoSuchBucket",
                                      "Message": "The specified bucket does not exist"}},
                           "HeadBucket")
    return exc


def _client_404() -> Exception:
    from botocore.exceptions import ClientError

    return ClientError({"Error": {"Code": "404", "Message": "Not Found"}}, "HeadBucket")
