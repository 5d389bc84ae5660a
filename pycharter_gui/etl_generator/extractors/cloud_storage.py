"""Cloud object storage sources (S3 and S3-compatible, GCS, Azure Blob) and their connection test.

Objects are chosen by ``storage.path`` (one key; a prefix when it ends in ``/``; a glob when it
holds ``*``), ``storage.prefix`` and ``storage.pattern`` (see ``cloud.base.key_selection``), read
in key order with the shared format readers. CSV, JSON and JSON Lines are streamed from the
response body, so the first batch arrives before a large object is fully downloaded. Parquet
(which needs random access to its footer) and ``.zip`` objects are first downloaded to a
temporary file that is removed afterwards.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from typing import Any

from ..cloud.base import (
    CloudClient,
    CloudStorageError,
    ObjectInfo,
    StorageLocation,
    as_source_error,
    get_client,
    key_selection,
    storage_location,
)
from ..cloud.ranged import open_ranged
from ..errors import PycharterError
from ..readers import detect_format, iter_batches, reader_options
from .base import BaseExtractor, ExtractRequest
from .file import BadRecordCallback
from .file_batches import RecordBudget, without_bad_lines
from .read_ahead import ThreadedIter

logger = logging.getLogger(__name__)


def _has_ranged_reads(client: CloudClient) -> bool:
    return type(client).read_range is not CloudClient.read_range

class CloudStorageExtractor(BaseExtractor):
    """Reads records from objects in a bucket; see the module docstring.

    ``on_bad_record(record, message)`` receives JSON Lines lines that are not records (as for
    files); without it they are logged as warnings.
    """

    source_type = "cloud_storage"

    def __init__(self) -> None:
        self.on_bad_record: BadRecordCallback | None = None

    def validate_config(self, extract_config: dict[str, Any]) -> None:
        """Check provider and bucket, and the format when one object is named."""
        loc = storage_location(extract_config)
        sel = key_selection(loc)
        if sel.key is not None or extract_config.get("format"):
            self._format(extract_config, sel.key or "x")

    def describe(self, extract_config: dict[str, Any]) -> str:
        try:
            loc = storage_location(extract_config)
        except Exception:  # describing must never fail
            return "cloud storage"
        return loc.url(loc.path or loc.prefix or "")

    @staticmethod
    def _format(cfg: dict[str, Any], key: str) -> str:
        lines = (cfg.get("json_options") or {}).get("lines")
        return detect_format(key, cfg.get("format"), lines=lines)

    # -- listing -------------------------------------------------------------------------------
    @staticmethod
    def resolve_objects(client: CloudClient, loc: StorageLocation) -> list[ObjectInfo]:
        """The objects to read, sorted by key; none found is a ``CloudStorageError``."""
        sel = key_selection(loc)
        if sel.key is not None:
            return [client.head(sel.key)]
        found = [o for o in client.list_objects(sel.prefix) if sel.matches(o.key)]
        if not found:
            what = f"under the prefix '{sel.prefix}'" if sel.prefix else "in the bucket"
            if sel.regex is not None:
                what += f" matching '{loc.pattern or loc.path}'"
            raise CloudStorageError(
                f"No object {what} in bucket '{loc.bucket}'{loc.where()} (check storage.path, "
                "storage.prefix and storage.pattern)", kind="not_found", bucket=loc.bucket,
                key=sel.prefix)
        return found

    # -- reading one object ----------------------------------------------------------------------
    @staticmethod
    def _object_batches(client: CloudClient, key: str, fmt: str, options: dict[str, Any],
                        size: int, object_size: int | None = None) -> Iterator[list[Any]]:
        """Batches of one object: streamed; Parquet through ranged reads (footer, then row
        groups as they are needed); zip, or Parquet on a client without ranged reads, through
        a temp file."""
        lower = key.lower()
        if fmt != "parquet" and not lower.endswith(".zip"):
            stream = client.open_stream(key)
            try:
                yield from iter_batches(stream, fmt, options, size)
            finally:
                stream.close()
            return
        if fmt == "parquet" and not lower.endswith((".zip", ".gz")) and _has_ranged_reads(client):
            total = object_size if object_size is not None else client.head(key).size
            with open_ranged(client, key, total, client.location.url(key)) as ranged:
                yield from iter_batches(ranged, fmt, options, size)
            return
        folder = tempfile.mkdtemp(prefix="pycharter-cloud-")
        try:
            local = os.path.join(folder, os.path.basename(key) or "object")
            client.download_file(key, local)
            yield from iter_batches(local, fmt, options, size)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    async def _stream(self, request: ExtractRequest) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of at most ``batch_size`` records, at most ``max_records`` in all."""
        cfg = request.canonical_config()
        size = request.batch_size_for(cfg)
        budget = RecordBudget.of(request, cfg)
        loc = storage_location(cfg)
        client = await asyncio.to_thread(get_client, loc)
        source = loc.url(loc.path or loc.prefix or "")
        try:
            try:
                objects = await asyncio.to_thread(self.resolve_objects, client, loc)
            except CloudStorageError as exc:
                raise as_source_error(exc, source) from None
            formats = [self._format(cfg, o.key) for o in objects]
            options = reader_options(cfg)
            for obj, fmt in zip(objects, formats, strict=True):
                if budget.spent:
                    return
                url = loc.url(obj.key)
                pump = ThreadedIter(self._object_batches(client, obj.key, fmt, options, size,
                                                          obj.size or None))
                try:
                    while True:
                        try:
                            batch = await asyncio.to_thread(pump.step)
                        except CloudStorageError as exc:
                            raise as_source_error(exc, url) from None
                        if batch is None:
                            break
                        records = budget.take(
                            without_bad_lines(batch, url, url, self.report_bad_record), obj.key)
                        if records:
                            yield records
                        if budget.spent:
                            return
                finally:
                    pump.close()
        finally:
            with contextlib.suppress(Exception):
                client.close()


def test_connection(config: dict[str, Any]) -> dict[str, Any]:
    """List the bucket/prefix of an extract or load config: ``{ok, message, details}``.

    Never raises for provider problems; the message names bucket and prefix and says what to
    check, without credentials.
    """
    try:
        loc = storage_location(config)
    except Exception as exc:
        return {"ok": False, "message": str(exc), "details": {}}
    sel = key_selection(loc)
    prefix = sel.key if sel.key is not None else sel.prefix
    details: dict[str, Any] = {"provider": loc.provider, "bucket": loc.bucket, "prefix": prefix}
    try:
        client = get_client(loc)
        try:
            sample = getattr(client, "sample_keys", None)
            keys = sample(prefix) if sample else [o.key for o in client.list_objects(prefix)[:5]]
        finally:
            client.close()
    except CloudStorageError as exc:
        return {"ok": False, "message": str(exc), "details": {**details, "kind": exc.kind}}
    except PycharterError as exc:  # e.g. NotAvailableError: SDK not installed
        return {"ok": False, "message": str(exc), "details": details}
    details["sample_keys"] = keys
    where = f"'{prefix}' in " if prefix else ""
    found = f"found {len(keys)}{'+' if len(keys) >= 5 else ''} object(s)" if keys else \
        "no objects there yet"
    return {"ok": True, "message": f"Connected to {loc.url()}: {where}{found}.",
            "details": details}


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test
