"""File destinations: ``load_to_file`` (one call = one atomic write) and ``FileLoadSession``.

A session writes each batch as a numbered part file in a staging folder beside the target
(``<dir>/.<name>.parts/<run_key>/part-00001-<rows>.<ext>``): written under a temp name, then
renamed — that rename commits the batch. ``commit()`` assembles the parts (after the existing
content in append mode) into a temp file beside the target and ``os.replace``s it, so overwrite
happens once per run (pycharter 0.0.35 kept only the last batch, §12#2) and readers never see
a half-written file. In append mode a resumable run writes a commit marker (the assembled file's
inode) before that rename and keeps it until ``forget()`` (after the checkpoint is deleted): a
resume after a kill in between sees that its parts are already in the target and appends
nothing twice. A Parquet target of a run that cannot resume streams its batches into
one temp file instead of parts (``parquet_stream.py``). A dry run writes nothing anywhere.
Joining the parts into the target is ``assemble.py``'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..errors import ConfigError, ConfigProblem, LoadError
from ..formats import WRITE_FORMATS
from .assemble import assemble_csv, assemble_json, assemble_parquet, assemble_target
from .base import BatchLoadResult, RejectedRow
from .leftovers import SCRATCH, parts_root
from .parquet_stream import ParquetStream
from .serialize import (
    Rejects,
    csv_body,
    csv_part_of_columns,
    json_items,
    jsonl_body,
    records_to_table,
    union_keys,
)

_EXT = {"json": "json", "jsonl": "jsonl", "csv": "csv", "parquet": "arrow"}
_PART = re.compile(r"^part-(\d{5,})-(\d+)\.(?:csv|json|jsonl|arrow)$")
_MARKER = "COMMITTED"  # {"inode": ...} of the assembled file renamed onto the target


def _problem(key: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError([ConfigProblem(file="load.yaml", key=key, message=message, hint=hint)])


def canonical_file_load(load_config: dict[str, Any], contract_dir: Any = None,
                        config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """The canonical form of a file load config (via ``config.normalize_load`` when present)."""
    cfg = load_config
    if not cfg.get("__canonical__"):
        try:
            from ..config import normalize_load
        except ImportError:
            cfg = dict(cfg)
        else:
            cfg = normalize_load(cfg, base_dir=contract_dir, config_context=config_context)
    path = cfg.get("path") or cfg.get("file_path")
    if not path:
        raise _problem("path", "a file destination needs a path", "e.g. path: output/data.csv")
    base = cfg.get("base_dir") or contract_dir
    path = os.path.expanduser(str(path))
    if not os.path.isabs(path) and base:
        path = os.path.join(os.fspath(base), path)
    fmt = str(cfg.get("format") or "json").lower()
    if fmt not in WRITE_FORMATS:
        raise _problem("format", f"unknown format '{fmt}'", "use one of: " + ", ".join(WRITE_FORMATS))
    mode = str(cfg.get("write_mode") or "overwrite").lower()
    if mode not in ("overwrite", "append"):
        raise _problem("write_mode", f"unknown write_mode '{mode}'", "use overwrite or append")
    return {**cfg, "path": os.path.abspath(path), "format": fmt, "write_mode": mode}


def replace_file(tmp: Path, final: Path, *, fsync: bool) -> None:
    """Rename ``tmp`` over ``final``; ``fsync`` first for the final file (parts skip it:
    a killed process loses nothing already written, and per-part fsync costs ~4 ms each)."""
    if fsync:
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    os.replace(tmp, final)


class FileLoadSession:
    """One run's writes to a local file (see the module docstring and loaders/base.py)."""

    def __init__(self, load_config: dict[str, Any], *, dry_run: bool, run_key: str,
                 resumable: bool = True) -> None:
        cfg = canonical_file_load(load_config)
        self.path = Path(cfg["path"])
        self.format: str = cfg["format"]
        self.write_mode: str = cfg["write_mode"]
        opts = cfg.get("csv_options") or {}
        self.delimiter = opts.get("delimiter") or ","
        self.include_header = opts.get("include_header", True) is not False
        self.encoding = opts.get("encoding") or "utf-8"
        self.quotechar = opts.get("quote_char") or '"'
        self.dry_run = dry_run
        self._marks = self.write_mode == "append" and resumable  # see the module docstring
        safe_key = re.sub(r"[^A-Za-z0-9._-]+", "_", str(run_key)) or "run"
        self._parts_root = parts_root(self.path)
        self._resumable = resumable
        self.staging = self._parts_root / safe_key
        self._seq = 0
        self._rows = 0
        self._tmp: Path | None = None
        self._parts_started = False
        # Parquet without resume: batches stream into one file instead of parts (parquet_stream.py)
        self._stream: ParquetStream | None = None
        if self.format == "parquet" and not resumable and not dry_run:
            self._stream = ParquetStream(self.path.parent / f".{self.path.name}.{uuid.uuid4().hex[:8]}"
                                         ".stream.tmp")

    def describe(self) -> str:
        return f"{self.path.name} ({self.format}, {self.write_mode})"

    # -- open -----------------------------------------------------------------------------
    def _parts(self) -> list[tuple[int, int, Path]]:
        found = []
        if self.staging.is_dir():
            for entry in self.staging.iterdir():
                m = _PART.match(entry.name)
                if m:
                    found.append((int(m.group(1)), int(m.group(2)), entry))
        return sorted(found)

    def _open_sync(self, resume_batches: int) -> None:
        if self.path.is_dir():
            raise LoadError(f"The target '{self.path}' is a folder, not a file.",
                            target=str(self.path))
        self._seq, self._rows = resume_batches, 0
        if self.dry_run:
            return
        if resume_batches <= 0 and self.staging.exists():
            shutil.rmtree(self.staging)
        try:
            self.staging.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise LoadError(f"Cannot create the folder for '{self.path}': {exc}",
                            target=str(self.path)) from exc
        if self._already_appended():
            for entry in self.staging.iterdir():
                if _PART.match(entry.name):
                    entry.unlink()  # already in the target: append only what comes next
            return
        kept = 0
        for entry in list(self.staging.iterdir()):
            m = _PART.match(entry.name)
            if m and int(m.group(1)) <= resume_batches:
                if int(m.group(2)) and not entry.stat().st_size:
                    raise LoadError(f"Cannot resume writing '{self.path}': the part file "
                                    f"{entry} is damaged; run again without resume.",
                                    target=str(self.path))
                kept += 1
                self._rows += int(m.group(2))
            else:
                entry.unlink()
        if kept < resume_batches:
            raise LoadError(
                f"Cannot resume writing '{self.path}': {resume_batches} batches were committed "
                f"but only {kept} part files remain in {self.staging}; run again without resume.",
                target=str(self.path))
        if not self._resumable:
            (self.staging / SCRATCH).touch()  # nothing resumes it: a later run may remove it

    def _already_appended(self) -> bool:
        """True when the run we resume renamed its assembled file onto the target (its commit
        marker names the target's inode) but was killed before its checkpoint was deleted."""
        marker = self.staging / _MARKER
        try:
            inode = json.loads(marker.read_text(encoding="utf-8"))["inode"]
        except FileNotFoundError:
            return False
        except (OSError, ValueError, KeyError, TypeError):
            inode = None
        try:
            done = inode is not None and self.path.stat().st_ino == inode
        except FileNotFoundError:
            done = False
        if not done:
            marker.unlink()  # the rename never happened: the parts are assembled again
        return done

    async def open(self, resume_batches: int = 0) -> None:
        """Prepare the staging folder; keep the first ``resume_batches`` parts of a killed run."""
        await asyncio.to_thread(self._open_sync, int(resume_batches or 0))

    # -- write ----------------------------------------------------------------------------
    def _serialise(self, records: list[dict[str, Any]]) -> tuple[Any, Rejects]:
        if self.format == "jsonl":
            return jsonl_body(records)
        if self.format == "json":
            return json_items(records)
        if self.format == "csv":
            keys = union_keys(records)
            body, rejects = csv_body(records, keys, delimiter=self.delimiter,
                                     encoding=self.encoding, quotechar=self.quotechar)
            return json.dumps(keys).encode("ascii") + b"\n" + body, rejects
        return records_to_table(records)

    def _store_part(self, payload: Any, good: int, seq: int) -> None:
        """Write one part file (bytes or an Arrow table) under a temp name, then rename it; a
        Parquet run without checkpoints adds the table to its stream instead."""
        if self.dry_run:
            return
        if self._stream is not None and isinstance(payload, pa.Table):
            if not self._parts_started and self._stream.add(payload):
                return
            self._parts_started = True  # a batch of another schema: it and the rest as parts
        final = self.staging / f"part-{seq:05d}-{good}.{_EXT[self.format]}"
        tmp = final.with_name(final.name + ".tmp")
        if isinstance(payload, pa.Table):
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, payload.schema) as w:
                w.write_table(payload)
        else:
            tmp.write_bytes(payload)
        replace_file(tmp, final, fsync=False)

    def _write_sync(self, records: list[dict[str, Any]], seq: int) -> BatchLoadResult:
        payload, rejects = self._serialise(records)
        good = len(records) - len(rejects)
        self._store_part(payload, good, seq)
        self._rows += good
        rejected = [RejectedRow(index=i, record=records[i], message=msg,
                                error_type="SerializationError") for i, msg in sorted(rejects.items())]
        return BatchLoadResult(inserted=good, rejected=rejected)

    async def write_batch(self, records: list[dict[str, Any]], batch_index: int) -> BatchLoadResult:
        """Write one batch as a part file (dry run: only check every record serialises)."""
        self._seq += 1
        return await asyncio.to_thread(self._write_sync, records, self._seq)

    def _write_arrow_sync(self, table: pa.Table, seq: int) -> BatchLoadResult:
        payload: Any = None
        if self.format == "parquet":
            payload = table
        elif self.format == "csv":  # None when a value cannot be encoded: records find it
            payload = csv_part_of_columns(table, delimiter=self.delimiter,
                                          encoding=self.encoding, quotechar=self.quotechar)
        if payload is None:
            return self._write_sync(table.to_pylist(), seq)
        self._store_part(payload, table.num_rows, seq)
        self._rows += table.num_rows
        return BatchLoadResult(inserted=table.num_rows)

    async def write_arrow_batch(self, table: pa.Table, batch_index: int) -> BatchLoadResult:
        """``write_batch`` for an Arrow table of plain columns (int64, double, string, bool,
        null) as the columnar fast path makes them: the same part file and result as
        ``write_batch(table.to_pylist())``, without building the records."""
        self._seq += 1
        return await asyncio.to_thread(self._write_arrow_sync, table, self._seq)

    # -- commit / abort -------------------------------------------------------------------
    def _commit_sync(self) -> dict[str, Any]:
        result = {"path": str(self.path), "format": self.format, "write_mode": self.write_mode,
                  "written": self._rows, "total": self._rows, "dry_run": self.dry_run}
        if self.dry_run:
            return result
        parts = [p for _, _, p in self._parts()]
        existing = self.path if self.write_mode == "append" and self.path.is_file() else None
        stream = self._stream if self._stream is not None and self._stream.started else None
        whole = stream is not None and not parts and existing is None  # the stream is the output
        self._tmp = (stream.path if whole and stream is not None
                     else self.path.parent / f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            if stream is not None:
                stream.finish()
            if not whole:  # else nothing to assemble: the streamed file is renamed into place
                streamed = stream.path if stream else None
                csv_join = functools.partial(
                    assemble_csv, encoding=self.encoding, delimiter=self.delimiter,
                    quotechar=self.quotechar, include_header=self.include_header)
                assemble_target(self._tmp, self.format, parts, existing,
                                csv_join=csv_join, json_join=assemble_json,
                                parquet_join=functools.partial(assemble_parquet, streamed=streamed))
            if self._marks:
                (self.staging / _MARKER).write_text(
                    json.dumps({"inode": self._tmp.stat().st_ino}), encoding="utf-8")
            replace_file(self._tmp, self.path, fsync=True)
        except (OSError, ValueError, pa.ArrowException) as exc:
            self._remove_tmp()
            raise LoadError(f"Cannot write '{self.path}': {exc}", target=str(self.path)) from exc
        finally:
            if self._stream is not None:
                self._stream.discard()
        self._tmp = None
        if self._marks:
            for part in parts:
                part.unlink()
        else:
            self._remove_staging()
        return result

    async def commit(self) -> dict[str, Any]:
        """Assemble the parts into the target atomically; returns path, format and counts."""
        return await asyncio.to_thread(self._commit_sync)

    def _remove_tmp(self) -> None:
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
            self._tmp = None
        if self._stream is not None:
            self._stream.discard()  # a stream cannot be resumed from

    def _remove_staging(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):  # not empty (another run's parts) or gone
            self._parts_root.rmdir()

    def _abort_sync(self) -> None:
        if self.dry_run:
            return
        self._remove_tmp()
        self._remove_staging()

    async def abort(self) -> None:
        """Remove the staging folder and temp files; the target is left as it was."""
        await asyncio.to_thread(self._abort_sync)

    async def forget(self) -> None:
        """The run's checkpoint is gone: remove what an append's commit marker kept."""
        await asyncio.to_thread(self._remove_staging)

    async def suspend(self) -> None:
        """Stop without assembling, keeping committed parts so a checkpointed rerun resumes."""
        await asyncio.to_thread(self._remove_tmp)


def load_to_file(data: list[dict[str, Any]], load_config: dict[str, Any],
                 contract_dir: str | os.PathLike[str] | None = None,
                 config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``data`` to the file of ``load_config`` in one atomic write (pycharter's API).

    Overwrite replaces the file, append adds to it. Returns ``{written, total, path, format,
    rejected}``; records that cannot be serialised are counted in ``rejected`` (with messages
    in ``rejected_rows``) instead of failing the write.
    """
    cfg = canonical_file_load(load_config, contract_dir, config_context)
    session = FileLoadSession({**cfg, "__canonical__": True}, dry_run=False,
                              run_key=f"call-{uuid.uuid4().hex}")
    try:
        session._open_sync(0)
        res = session._write_sync(list(data), 1)
        out = session._commit_sync()
        session._remove_staging()  # nothing resumes a single write: no commit marker to keep
    except BaseException:
        session._abort_sync()
        raise
    return {"written": res.inserted, "total": len(data), "path": out["path"],
            "format": out["format"], "rejected": len(res.rejected), "rejected_rows": res.rejected}
