"""File destinations in a distributed run: one part file per partition, assembled atomically.

Each partition writes ``<dir>/.<name>.dask/<run_key>/part-<id>.<ext>`` through the engine's own
``FileLoadSession`` (so a partition's part is itself written atomically). When every partition
is done, the client joins the parts in partition order (after the existing content in append
mode) into a temp file beside the target and ``os.replace``s it: readers never see a partial
file, and a rerun after a failure rebuilds only the missing parts.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import shutil
import uuid
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import LoadError
from ..loaders.assemble import (
    ParquetOut,
    copy_with_newline,
    existing_json_body,
    remap_columns,
)
from ..loaders.file import assemble_target, replace_file
from ..loaders.serialize import conform, csv_text, unify_schemas

_ROW_GROUP = 131_072


class FileTarget:
    """Part files per partition, joined by ``commit`` (see the module docstring)."""

    kind = "file"

    def __init__(self, load: dict[str, Any], run_key: str) -> None:
        self.load = load
        self.path = Path(load["path"])
        self.format: str = load["format"]
        self.write_mode: str = load.get("write_mode") or "overwrite"
        opts = load.get("csv_options") or {}
        self.delimiter = opts.get("delimiter") or ","
        self.quotechar = opts.get("quote_char") or '"'
        self.encoding = opts.get("encoding") or "utf-8"
        self.include_header = opts.get("include_header", True) is not False
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", run_key) or "run"
        self.root = self.path.parent / f".{self.path.name}.dask"
        self.staging = self.root / safe

    def describe(self) -> str:
        return f"{self.path} ({self.format}, {self.write_mode})"

    def part_path(self, pid: int) -> Path:
        return self.staging / f"part-{pid:05d}.{self.format}"

    def partition_load(self, pid: int, dry_run: bool) -> dict[str, Any]:
        """The load config of partition ``pid`` (a dry run checks against the real target)."""
        cfg = {**self.load, "dead_letter_queue": {"enabled": False, "backend": "memory",
                                                  "path": None, "table": None, "url": None}}
        if dry_run:
            return cfg
        csv_options = {**(self.load.get("csv_options") or {}), "include_header": True}
        return {**cfg, "path": str(self.part_path(pid)), "write_mode": "overwrite",
                "csv_options": csv_options}

    def prepare(self, pending: list[int]) -> None:
        """Remove stale parts of the partitions about to run; create the staging folder."""
        self.staging.mkdir(parents=True, exist_ok=True)
        for pid in pending:
            self.part_path(pid).unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove every part of this run."""
        shutil.rmtree(self.staging, ignore_errors=True)
        with contextlib.suppress(OSError):
            self.root.rmdir()

    def commit(self, pids: list[int]) -> dict[str, Any]:
        """Join the parts of ``pids`` into the target atomically; then remove the parts."""
        parts = [self.part_path(p) for p in sorted(pids)]
        missing = [str(p) for p in parts if not p.is_file()]
        if missing:
            raise LoadError(f"Cannot assemble '{self.path}': part file(s) missing: "
                            + ", ".join(missing) + ". Run again without resume.",
                            target=str(self.path))
        existing = self.path if self.write_mode == "append" and self.path.is_file() else None
        tmp = self.path.parent / f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            assemble_target(tmp, self.format, parts, existing, csv_join=self._join_csv,
                            json_join=_join_json, parquet_join=_join_parquet)
            replace_file(tmp, self.path, fsync=True)
        except (OSError, ValueError, pa.ArrowException) as exc:
            tmp.unlink(missing_ok=True)
            raise LoadError(f"Cannot write '{self.path}': {exc}", target=str(self.path)) from exc
        self.discard()
        return {"path": str(self.path), "format": self.format, "parts": len(parts)}

    # -- CSV -----------------------------------------------------------------------------
    def _header(self, part: Path) -> tuple[list[str], int]:
        with open(part, "rb") as f:
            line = f.readline()
        if not line.strip():
            return [], len(line)
        row = next(csv.reader([line.decode(self.encoding)], delimiter=self.delimiter,
                              quotechar=self.quotechar), [])
        return row, len(line)

    def _join_csv(self, out: IO[bytes], parts: list[Path], existing: Path | None) -> None:
        heads = [self._header(p) for p in parts]
        header = list(dict.fromkeys(k for h, _ in heads for k in h))
        enc = self.encoding
        if existing is not None and existing.stat().st_size:
            if not self.include_header:
                copy_with_newline(existing, out)
            else:
                old, skip = self._header(existing)
                header = list(dict.fromkeys(old + header))
                if old == header:
                    copy_with_newline(existing, out)
                else:
                    out.write(csv_text([header], self.delimiter, self.quotechar).encode(enc))
                    self._remap(existing, skip, old, header, out)
        elif self.include_header and header:
            out.write(csv_text([header], self.delimiter, self.quotechar).encode(enc))
        for part, (head, skip) in zip(parts, heads, strict=True):
            if not head:
                continue
            if head == header:
                with open(part, "rb") as f:
                    f.seek(skip)
                    shutil.copyfileobj(f, out, 1 << 20)
            else:
                self._remap(part, skip, head, header, out)

    def _remap(self, src: Path, skip: int, old: list[str], new: list[str], out: IO[bytes]) -> None:
        """Copy the CSV rows of ``src`` after ``skip`` bytes from ``old`` to ``new`` columns."""
        with open(src, "rb") as f:
            f.seek(skip)
            rows = csv.reader(io.TextIOWrapper(f, encoding=self.encoding, newline=""),
                              delimiter=self.delimiter, quotechar=self.quotechar)
            text = remap_columns(rows, old, new, self.delimiter, self.quotechar)
        out.write(text.encode(self.encoding))


def _json_body(part: Path) -> tuple[int, int]:
    """(offset, length) of the items inside a part written as ``[\\n items \\n]``."""
    size = part.stat().st_size
    with open(part, "rb") as f:
        head = f.read(2)
    if head != b"[\n" or size < 4:
        return 0, 0
    return 2, size - 4


def _join_json(out: IO[bytes], parts: list[Path], existing: Path | None) -> None:
    body = existing_json_body(existing)
    chunks: list[bytes | tuple[Path, int, int]] = [body] if body else []
    for part in parts:
        offset, length = _json_body(part)
        if length > 0:
            chunks.append((part, offset, length))
    if not chunks:
        out.write(b"[]")
        return
    out.write(b"[\n")
    for i, chunk in enumerate(chunks):
        if i:
            out.write(b",\n")
        if isinstance(chunk, bytes):
            out.write(chunk)
            continue
        part, offset, length = chunk
        with open(part, "rb") as f:
            f.seek(offset)
            while length > 0:
                block = f.read(min(length, 1 << 20))
                if not block:
                    break
                out.write(block)
                length -= len(block)
    out.write(b"\n]")


def _join_parquet(tmp: Path, parts: list[Path], existing: Path | None) -> None:
    sources = ([existing] if existing is not None and existing.stat().st_size else []) + parts
    sources = [s for s in sources if s.stat().st_size]
    schemas = [pq.read_schema(s) for s in sources]
    schema = unify_schemas(schemas) if schemas else pa.schema([])
    out = ParquetOut(tmp, schema)
    try:
        for src in sources:
            with pq.ParquetFile(src) as pf:
                for batch in pf.iter_batches(batch_size=_ROW_GROUP):
                    out.write(conform(pa.Table.from_batches([batch]), schema))
    finally:
        out.close()
