"""Cloud storage destinations: ``CloudLoadSession`` and ``load_to_cloud_storage``.

Two layouts, chosen by ``storage.path``:

* **one object per run** (a key such as ``out/orders.csv``): batches are staged as numbered parts
  by the file loader's ``FileLoadSession`` in a local folder, assembled by ``commit()`` and
  uploaded once (multipart above the provider's threshold). A failed upload is aborted, so the
  object is either complete or untouched; ``append`` downloads the existing object first.
* **partitioned objects** (a prefix ending in ``/``, or ``partition_by`` naming columns): each
  batch becomes ``<prefix>part-00001-<run>.<ext>`` (one per column-partition value, under
  ``col=value/``), uploaded when the batch is written. ``commit()`` in overwrite mode removes
  parts of earlier runs under the prefix; ``abort()`` removes this run's parts.

``partition_by`` entries holding ``{...}`` or ``%`` are date templates rendered with the run's
start time (UTC): ``year={year}/month={month}/day={day}`` or ``%Y/%m/%d``; other entries are
column names (Hive-style ``col=value/`` prefixes, the column is kept in the records).
A dry run serialises every batch (to find bad records) and uploads nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

from ..cloud.base import (
    CONTENT_TYPES,
    CloudClient,
    CloudStorageError,
    as_load_error,
    get_client,
    storage_location,
)
from ..errors import ConfigError, ConfigProblem
from ..formats import WRITE_FORMATS
from .base import BatchLoadResult, RejectedRow
from .file import FileLoadSession, load_to_file

_SAFE = re.compile(r"[^A-Za-z0-9._=-]+")


def _canonical(cfg: dict[str, Any], contract_dir: Any = None,
               config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    if cfg.get("__canonical__"):
        return cfg
    from ..config import normalize_load

    return normalize_load(cfg, base_dir=contract_dir, config_context=config_context)


def render_template(template: str, when: dt.datetime) -> str:
    """Fill ``{year}``/``{month}``/``{day}``/``{hour}``/``{minute}``/``{date}`` and ``%`` codes."""
    values = {"year": f"{when.year:04d}", "month": f"{when.month:02d}",
              "day": f"{when.day:02d}", "hour": f"{when.hour:02d}",
              "minute": f"{when.minute:02d}", "date": when.strftime("%Y-%m-%d")}
    try:
        text = template.format_map(values) if "{" in template else template
    except (KeyError, ValueError, IndexError) as exc:
        raise ConfigError([ConfigProblem(
            file="load.yaml", key="partition_by",
            message=f"cannot fill the template '{template}' ({exc})",
            hint="use {year}, {month}, {day}, {hour}, {minute} or {date}")]) from None
    return when.strftime(text) if "%" in text else text


def _value_text(value: Any) -> str:
    text = "__HIVE_DEFAULT_PARTITION__" if value in (None, "") else str(value)
    return _SAFE.sub("_", text)


class CloudLoadSession:
    """One run's writes to a bucket (see the module docstring and loaders/base.py)."""

    def __init__(self, load_config: dict[str, Any], *, dry_run: bool, run_key: str) -> None:
        cfg = _canonical(load_config)
        self.cfg = cfg
        self.location = storage_location(cfg, config_file="load.yaml")
        self.dry_run = dry_run
        self.run_key = str(run_key)
        self.write_mode = str(cfg.get("write_mode") or "overwrite").lower()
        self.started = dt.datetime.now(dt.UTC)
        parts = cfg.get("partition_by") or []
        parts = [parts] if isinstance(parts, str) else list(parts)
        self.templates = [p for p in parts if "{" in p or "%" in p]
        self.columns = [p for p in parts if p not in self.templates]
        path = render_template((self.location.path or "").lstrip("/"), self.started)
        self.partitioned = not path or path.endswith("/") or bool(self.columns)
        fmt = cfg.get("format")
        if not fmt:
            suffix = Path(path).suffix.lower().lstrip(".")
            fmt = suffix if suffix in WRITE_FORMATS else "json"
        self.format = str(fmt)
        tmpl = "/".join(render_template(t, self.started).strip("/") for t in self.templates)
        if self.partitioned:
            base = path if not path or path.endswith("/") else path[:path.rfind("/") + 1]
            self.prefix = base + (tmpl + "/" if tmpl else "")
            self.key = None
        else:
            head, _, name = path.rpartition("/")
            self.prefix = (head + "/" if head else "") + (tmpl + "/" if tmpl else "")
            self.key = self.prefix + name
        digest = hashlib.sha1(f"{self.run_key}|{self.location.url(path)}".encode()).hexdigest()
        self.token = digest[:10]
        self.client: CloudClient | None = None
        self._folder: Path | None = None
        self._files: FileLoadSession | None = None
        self._seq = 0
        self._rows = 0
        self._uploaded: list[str] = []

    def describe(self) -> str:
        return f"{self.location.url(self.key or self.prefix)} ({self.format}, {self.write_mode})"

    # -- helpers -------------------------------------------------------------------------------
    def _client(self) -> CloudClient:
        if self.client is None:
            self.client = get_client(self.location)
        return self.client

    def _target(self) -> str:
        return self.location.url(self.key or self.prefix)

    def _guard(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except CloudStorageError as exc:
            raise as_load_error(exc, self._target()) from None

    def _local_options(self) -> dict[str, Any]:
        return {k: self.cfg[k] for k in ("csv_options", "json_options") if self.cfg.get(k)}

    def _part_re(self) -> re.Pattern[str]:
        return re.compile(r"(?:^|/)part-(\d{5,})-([0-9a-f]{10})\." + re.escape(self.format) + r"$")

    # -- open ----------------------------------------------------------------------------------
    def _open_sync(self, resume_batches: int) -> None:
        self._seq, self._rows, self._uploaded = resume_batches, 0, []
        ensure = getattr(self._client(), "ensure_bucket", None) if not self.dry_run else None
        if ensure is not None:
            self._guard(ensure)  # fail before any work when the bucket is missing
        if self.partitioned:
            if not self.dry_run and resume_batches > 0:
                self._drop_parts(lambda seq, token: token == self.token and seq > resume_batches)
            return
        folder = Path(tempfile.gettempdir()) / "pycharter-cloud" / self.token
        if not self.dry_run:
            if resume_batches <= 0:
                shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True, exist_ok=True)
            self._folder = folder
        local = folder / (os.path.basename(self.key or "") or "object")
        mode = self.write_mode
        if mode == "append" and not self.dry_run and resume_batches <= 0:
            try:
                self._client().download_file(self.key or "", str(local))
            except CloudStorageError as exc:
                if exc.kind != "not_found":
                    raise as_load_error(exc, self._target()) from None
        self._files = FileLoadSession(
            {"__canonical__": True, "type": "file", "path": str(local), "format": self.format,
             "write_mode": mode, **self._local_options()},
            dry_run=self.dry_run, run_key=self.run_key)
        self._files._open_sync(resume_batches)

    async def open(self, resume_batches: int = 0) -> None:
        """Prepare staging; with ``resume_batches`` keep what a killed run committed."""
        await asyncio.to_thread(self._open_sync, int(resume_batches or 0))

    # -- write ---------------------------------------------------------------------------------
    def _groups(self, records: list[dict[str, Any]]) -> dict[str, list[int]]:
        groups: dict[str, list[int]] = {}
        for i, rec in enumerate(records):
            sub = "".join(f"{c}={_value_text(rec.get(c))}/" for c in self.columns)
            groups.setdefault(sub, []).append(i)
        return groups

    def _write_parts_sync(self, records: list[dict[str, Any]], seq: int) -> BatchLoadResult:
        folder = Path(tempfile.mkdtemp(prefix="pycharter-part-"))
        result = BatchLoadResult()
        try:
            for sub, indexes in self._groups(records).items():
                name = f"part-{seq:05d}-{self.token}.{self.format}"
                local = folder / name
                group = [records[i] for i in indexes]
                out = load_to_file(group, {"type": "file", "path": str(local),
                                           "format": self.format, **self._local_options()})
                for row in out["rejected_rows"]:
                    result.rejected.append(RejectedRow(
                        index=indexes[row.index], record=row.record, message=row.message,
                        error_type=row.error_type, field=row.field))
                result.inserted += out["written"]
                if self.dry_run or not out["written"]:
                    continue
                key = self.prefix + sub + name
                self._guard(self._client().upload_file, str(local), key,
                            CONTENT_TYPES[self.format])
                self._uploaded.append(key)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self._rows += result.inserted
        return result

    async def write_batch(self, records: list[dict[str, Any]], batch_index: int
                          ) -> BatchLoadResult:
        """Stage (one object) or upload (partitioned) one batch."""
        if self._files is not None:
            res = await self._files.write_batch(records, batch_index)
            self._rows += res.inserted
            return res
        self._seq += 1
        return await asyncio.to_thread(self._write_parts_sync, list(records), self._seq)

    # -- commit / abort ------------------------------------------------------------------------
    def _drop_parts(self, doomed: Any) -> list[str]:
        pattern = self._part_re()
        removed = []
        for obj in self._guard(self._client().list_objects, self.prefix):
            m = pattern.search(obj.key)
            if m and doomed(int(m.group(1)), m.group(2)):
                self._guard(self._client().delete, obj.key)
                removed.append(obj.key)
        return removed

    def _commit_sync(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "provider": self.location.provider, "bucket": self.location.bucket,
            "format": self.format, "write_mode": self.write_mode, "written": self._rows,
            "total": self._rows, "dry_run": self.dry_run, "path": self._target()}
        if self._files is not None:
            out = self._files._commit_sync()
            result["written"] = result["total"] = out.get("written", self._rows)
            if not self.dry_run:
                self._guard(self._client().upload_file, out["path"], self.key or "",
                            CONTENT_TYPES[self.format])
            self._cleanup()
            return result
        if not self.dry_run and self.write_mode == "overwrite":
            result["removed"] = self._drop_parts(lambda seq, token: token != self.token)
        result["objects"] = [self.location.url(k) for k in self._uploaded]
        self._close()
        return result

    async def commit(self) -> dict[str, Any]:
        """Upload the assembled object (or finish the partitioned run); returns details."""
        try:
            return await asyncio.to_thread(self._commit_sync)
        except BaseException:
            await self.abort()
            raise

    def _cleanup(self) -> None:
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self._close()

    def _close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

    def _abort_sync(self) -> None:
        if self._files is not None:
            self._files._abort_sync()
        elif not self.dry_run and self._uploaded:
            for key in self._uploaded:
                with contextlib.suppress(CloudStorageError):
                    self._client().delete(key)
            self._uploaded = []
        self._cleanup()

    async def abort(self) -> None:
        """Remove staged files and this run's uploaded parts. Idempotent."""
        await asyncio.to_thread(self._abort_sync)


def load_to_cloud_storage(data: list[dict[str, Any]], load_config: dict[str, Any],
                          contract_dir: Any = None,
                          config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``data`` to S3/GCS/Azure in one call; ``{written, total, path, format, provider}``.

    Records that cannot be serialised are counted in ``rejected`` instead of failing the call.
    """
    cfg = _canonical(load_config, contract_dir, config_context)
    session = CloudLoadSession(cfg, dry_run=False, run_key=f"call-{uuid.uuid4().hex}")
    data = list(data)
    try:
        session._open_sync(0)
        if session._files is not None:
            res = session._files._write_sync(data, 1)
            session._rows += res.inserted
        else:
            session._seq = 1
            res = session._write_parts_sync(data, 1)
        out = session._commit_sync()
    except BaseException:
        session._abort_sync()
        raise
    return {"written": out["written"], "total": len(data), "path": out["path"],
            "format": out["format"], "provider": out["provider"], "rejected": len(res.rejected)}
