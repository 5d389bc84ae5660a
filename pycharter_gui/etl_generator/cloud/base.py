"""What every object-store client offers, the storage location, and key matching.

Providers (``s3``, ``gcs``, ``azure``) implement :class:`CloudClient`; SDKs are imported only
when a client is created, so a missing optional SDK affects only its own provider. Provider
failures become :class:`CloudStorageError`, which names bucket, key and the provider's message
and says what to check; extractors and loaders turn it into ``SourceError``/``LoadError``.
Credentials are never put into a message or a log line.
"""

from __future__ import annotations

import importlib
import io
import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import IO, Any

from .. import secrets
from ..errors import (
    ConfigError,
    ConfigProblem,
    FatalSourceError,
    LoadError,
    NotAvailableError,
    PycharterError,
    RetriableSourceError,
    SourceError,
    TransientLoadError,
)
from ..registry import Registry

CLOUD_PROVIDERS: Registry[Any] = Registry("cloud provider")
CLOUD_PROVIDERS.register("s3", "pycharter_gui.etl_generator.cloud.s3:S3Client", aliases=("aws",))
CLOUD_PROVIDERS.register("gcs", "pycharter_gui.etl_generator.cloud.gcs:GCSClient",
                         aliases=("google", "gs"))
CLOUD_PROVIDERS.register("azure", "pycharter_gui.etl_generator.cloud.azure:AzureBlobClient",
                         aliases=("azure_blob", "blob"))
_WILDCARDS = ("*", "?", "[")


@dataclass(frozen=True)
class StorageLocation:
    """Where objects live: provider, bucket (Azure container), key/prefix/pattern, credentials."""

    provider: str
    bucket: str
    path: str | None = None
    prefix: str | None = None
    pattern: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    profile: str | None = None
    credentials: dict[str, Any] = field(default_factory=dict, repr=False)

    def url(self, key: str | None = None) -> str:
        """``s3://bucket/key`` style address for messages (never credentials)."""
        scheme = {"s3": "s3", "gcs": "gs", "azure": "azure"}.get(self.provider, self.provider)
        return f"{scheme}://{self.bucket}/{key or ''}"

    def where(self) -> str:
        """The endpoint the client talks to, for messages."""
        return f" at {mask_url(self.endpoint_url)}" if self.endpoint_url else ""


@dataclass(frozen=True)
class ObjectInfo:
    """One listed object."""

    key: str
    size: int


class CloudStorageError(PycharterError):
    """A provider call failed; ``kind`` is not_found | no_bucket | denied | unreachable | other."""

    def __init__(self, message: str, *, kind: str = "other", retriable: bool = False,
                 bucket: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retriable = retriable
        self.bucket = bucket
        self.key = key


def as_source_error(exc: CloudStorageError, source: str) -> SourceError:
    """The extract-side error for a provider failure (retriable ones are retried)."""
    cls = RetriableSourceError if exc.retriable else FatalSourceError
    return cls(str(exc), source=source)


def as_load_error(exc: CloudStorageError, target: str) -> LoadError:
    """The load-side error for a provider failure, naming the object being written
    (a ``TransientLoadError`` when the provider failure is retriable)."""
    cls = TransientLoadError if exc.retriable else LoadError
    return cls(f"Cannot write {target}: {exc}", target=target)


class ResponseStream(io.RawIOBase):
    """A readable raw stream over a provider's response body (``read(n)``, ``close()``);
    closing the stream closes the body. Providers override ``_read`` to resume a dropped
    connection or to word the SDK's errors."""

    def __init__(self, body: Any, name: str) -> None:
        super().__init__()
        self._body = body
        self.name = name

    def readable(self) -> bool:
        return True

    def _read(self, size: int) -> bytes:
        """Up to ``size`` bytes of the body (b"" at its end)."""
        return self._body.read(size)

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._read(len(view))
        n = len(data)
        view[:n] = data
        return n

    def close(self) -> None:
        if not self.closed:
            try:
                self._body.close()
            finally:
                super().close()


class CloudClient(ABC):
    """A connection to one bucket of one provider; every method may raise CloudStorageError.

    Messages name the bucket as ``BUCKET_WORD`` and an object as ``KEY_WORD`` (Azure says
    container and blob) and the endpoint ``_endpoint`` the client talks to, when not the
    provider's default."""

    provider = ""
    BUCKET_WORD = "bucket"
    KEY_WORD = "key"

    def __init__(self, location: StorageLocation) -> None:
        self.location = location
        self._endpoint: str | None = location.endpoint_url

    @abstractmethod
    def _translate(self, exc: Exception, key: str | None, action: str) -> CloudStorageError:
        """The provider's error ``exc`` of ``action`` on ``key``, in words an analyst can act on."""

    def _provider_error(self, exc: Exception) -> Exception | None:
        """The error of ``exc`` that ``_translate`` words, or None to raise ``exc`` as it is
        (every error, by default)."""
        return exc

    def _call(self, action: str, key: str | None, fn: Any, *args: Any, **kw: Any) -> Any:
        """``fn(*args, **kw)``, a provider error raised as ``_translate`` words it."""
        try:
            return fn(*args, **kw)
        except CloudStorageError:
            raise
        except Exception as exc:
            provider_exc = self._provider_error(exc)
            if provider_exc is None:
                raise
            raise self._translate(provider_exc, key, action) from None

    def _where(self) -> str:
        """`` at <endpoint>`` (credentials masked) when the client has an endpoint, for messages."""
        return f" at {mask_url(self._endpoint)}" if self._endpoint else ""

    def _subject(self, key: str | None) -> str:
        """What a failed call was about: the bucket, the key if any, and the endpoint."""
        about = f"{self.BUCKET_WORD} '{self.location.bucket}'"
        return about + (f", {self.KEY_WORD} '{key}'" if key else "") + self._where()

    def _error(self, message: str, key: str | None, *, kind: str = "other",
               retriable: bool = False, hint: str = "") -> CloudStorageError:
        """``message`` with ``hint`` in brackets as a CloudStorageError of this bucket, every
        credential of the location masked."""
        if hint:
            message += f" ({hint})"
        return CloudStorageError(mask_text(message, self.location), kind=kind, retriable=retriable,
                                 bucket=self.location.bucket, key=key)

    @abstractmethod
    def list_objects(self, prefix: str) -> list[ObjectInfo]:
        """Objects whose key starts with ``prefix``, sorted by key (folder markers skipped)."""

    @abstractmethod
    def head(self, key: str) -> ObjectInfo:
        """Size of one object; ``kind='not_found'`` when it does not exist."""

    @abstractmethod
    def open_stream(self, key: str) -> IO[bytes]:
        """A readable binary stream of the object, fetched incrementally (not seekable)."""

    @abstractmethod
    def download_file(self, key: str, local_path: str) -> None:
        """Copy the object into ``local_path``."""

    def read_range(self, key: str, start: int, length: int) -> bytes:
        """``length`` bytes of the object from offset ``start`` (a ranged GET), so a Parquet
        object is read footer first and row group by row group instead of downloaded whole.
        A client that does not override this has no ranged reads: its Parquet objects are
        downloaded to a temp file first."""
        raise NotImplementedError

    @abstractmethod
    def upload_file(self, local_path: str, key: str, content_type: str) -> None:
        """Upload ``local_path`` as ``key``: either the whole object appears or nothing does."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove one object (missing is fine)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


def _pick(mapping: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = mapping.get(name)
        if value not in (None, ""):
            return value
    return None


def storage_location(cfg: dict[str, Any], *, config_file: str = "extract.yaml"
                     ) -> StorageLocation:
    """Read the location from a canonical (or raw) cloud extract/load config.

    Top-level ``provider``/``bucket``/``container``/``path``/``credentials`` fill gaps in
    ``storage``; ``endpoint_url``, ``region`` and ``profile`` may sit in ``storage`` or in
    ``storage.credentials``. Missing provider or bucket raise ``ConfigError``.
    """
    storage = dict(cfg.get("storage") or {})
    for key in ("provider", "bucket", "container", "path", "prefix", "pattern", "credentials",
                "endpoint_url", "region", "profile"):
        if storage.get(key) in (None, "") and cfg.get(key) not in (None, ""):
            storage[key] = cfg[key]
    creds = dict(storage.get("credentials") or {})
    provider = CLOUD_PROVIDERS.canonical(str(storage.get("provider") or ""))
    problems = []
    if provider not in CLOUD_PROVIDERS:
        problems.append(ConfigProblem(
            file=config_file, key="storage.provider",
            message=f"missing or unknown cloud provider '{storage.get('provider') or ''}'",
            hint="use s3, gcs or azure"))
    bucket = _pick(storage, "bucket", "container")
    if not bucket:
        problems.append(ConfigProblem(file=config_file, key="storage.bucket",
                                      message="no bucket (or Azure container) given",
                                      hint="e.g. storage: {provider: s3, bucket: my-data}"))
    if problems:
        raise ConfigError(problems)
    return StorageLocation(
        provider=provider, bucket=str(bucket),
        path=_pick(storage, "path", "key"), prefix=storage.get("prefix"),
        pattern=storage.get("pattern"),
        region=_pick(storage, "region") or _pick(creds, "region", "region_name"),
        endpoint_url=_pick(storage, "endpoint_url") or _pick(creds, "endpoint_url", "endpoint"),
        profile=_pick(storage, "profile") or _pick(creds, "profile", "profile_name"),
        credentials=creds,
    )


def get_client(location: StorageLocation) -> CloudClient:
    """Create the provider's client; a missing SDK raises ``NotAvailableError``."""
    return CLOUD_PROVIDERS.load(location.provider)(location)


def require_sdk(module: str, extra: str, provider: str) -> Any:
    """Import an optional SDK or explain which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise NotAvailableError(
            f"{provider} support needs the '{module}' package: "
            f"install pycharter-gui[{extra}] (pip install 'pycharter-gui[{extra}]').") from exc


def mask_url(url: str | None) -> str:
    """An endpoint URL without any user:password part or query string."""
    if not url:
        return ""
    text = re.sub(r"//[^/]*@", "//", secrets.mask_text(url))
    return text.split("?", 1)[0]


def mask_text(text: str, location: StorageLocation) -> str:
    """Remove every credential value of ``location`` (and every known secret) from ``text``."""
    return secrets.mask_text(text, [value for name, value in location.credentials.items()
                                    if isinstance(value, str) and len(value) >= 4
                                    and secrets.is_secret_name(name)])


# -- key selection ---------------------------------------------------------------------------
def has_wildcard(text: str) -> bool:
    return any(ch in text for ch in _WILDCARDS)


def glob_to_regex(pattern: str) -> re.Pattern[str]:
    """A glob on object keys: ``*`` and ``?`` stay within one ``/`` segment, ``**`` spans."""
    out = []
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(ch))
            else:
                body = pattern[i + 1:end]
                out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
                i = end
        else:
            out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z")


@dataclass(frozen=True)
class KeySelection:
    """How to find the objects to read: one key, or a listing prefix plus an optional glob."""

    key: str | None = None
    prefix: str = ""
    regex: re.Pattern[str] | None = None
    match_name_only: bool = False

    def matches(self, key: str) -> bool:
        if self.regex is None:
            return True
        target = key.rsplit("/", 1)[-1] if self.match_name_only else key
        return bool(self.regex.match(target))


def key_selection(location: StorageLocation) -> KeySelection:
    """Turn path/prefix/pattern into a :class:`KeySelection` (config-format §3.7, engine rules).

    ``path`` with a wildcard: listing prefix = text before the first wildcard, glob on the full
    key. ``path`` ending in ``/`` or ``prefix``: every object under it, filtered by ``pattern``
    (a pattern without ``/`` matches the key's last segment, e.g. ``*.csv``). Otherwise ``path``
    is one key. Neither path nor prefix: the whole bucket.
    """
    path = (location.path or "").lstrip("/")
    pattern = location.pattern
    if path and has_wildcard(path):
        cut = min(path.index(ch) for ch in _WILDCARDS if ch in path)
        return KeySelection(prefix=path[:cut], regex=glob_to_regex(path))
    prefix = location.prefix
    if prefix is None and (not path or path.endswith("/")):
        prefix = path
    if prefix is None:
        return KeySelection(key=path)
    prefix = prefix.lstrip("/")
    if not pattern:
        return KeySelection(prefix=prefix)
    if "/" in pattern:
        full = pattern if pattern.startswith(prefix) else prefix + pattern.lstrip("/")
        return KeySelection(prefix=prefix, regex=glob_to_regex(full))
    return KeySelection(prefix=prefix, regex=glob_to_regex(pattern), match_name_only=True)


CONTENT_TYPES = {"json": "application/json", "jsonl": "application/x-ndjson",
                 "csv": "text/csv", "parquet": "application/octet-stream"}
