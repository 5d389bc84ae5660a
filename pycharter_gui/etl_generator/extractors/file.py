"""Local files: CSV/TSV, JSON, JSON Lines and Parquet (also gzipped), one file or a glob.

Each file is read from its start (pycharter 0.0.35 skipped rows of later glob files, §12#1);
batches never span two files; ``**`` recurses. Reading runs in a worker thread one batch ahead
of the caller (so parsing overlaps transform and load), so cancelling the task is prompt and
memory stays bounded by two batches.
"""

from __future__ import annotations

import asyncio
import glob
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ConfigProblem, FatalSourceError
from ..readers import detect_format, iter_batches, reader_options
from .base import BaseExtractor, ExtractRequest, canonical_extract
from .file_batches import RecordBudget, without_bad_lines
from .read_ahead import ThreadedIter, drop_read_ahead, read_ahead

logger = logging.getLogger(__name__)

_WILDCARDS = ("*", "?", "[")
BadRecordCallback = Callable[[dict[str, Any], str], Any]


def _has_wildcard(text: str) -> bool:
    return any(ch in text for ch in _WILDCARDS)


def _glob_root(pattern: str) -> str:
    """The folder before the first path component that holds a wildcard."""
    parts = Path(pattern).parts
    fixed: list[str] = []
    for part in parts:
        if _has_wildcard(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else "."


class FileExtractor(BaseExtractor):
    """Reads records from local files; see the module docstring.

    ``on_bad_record(record, message)`` may be set by the orchestrator to dead-letter JSON Lines
    lines that are not records; without it they are logged as warnings (never dropped silently).
    """

    source_type = "file"

    def __init__(self) -> None:
        self.on_bad_record: BadRecordCallback | None = None

    # -- config -------------------------------------------------------------------------
    @staticmethod
    def canonical(cfg: dict[str, Any], contract_dir: Any, config_context: Any) -> dict[str, Any]:
        """``cfg`` as the canonical extract dict (unchanged when it already is one)."""
        return canonical_extract(cfg, contract_dir, config_context)

    @staticmethod
    def _path_text(cfg: dict[str, Any]) -> str:
        path = cfg.get("path") or cfg.get("file_path")
        if not path:
            raise ConfigError([ConfigProblem(file="extract.yaml", key="path",
                                             message="a file source needs a path",
                                             hint="e.g. path: data/orders.csv")])
        return str(path)

    def format_for(self, cfg: dict[str, Any], path: str) -> str:
        """The format ``path`` is read as: the config's ``format``, else by its extension."""
        lines = (cfg.get("json_options") or {}).get("lines")
        return detect_format(path, cfg.get("format"), lines=lines)

    def validate_config(self, extract_config: dict[str, Any]) -> None:
        """Check that the path is set and the format is known (from the key or extension)."""
        path = self._path_text(extract_config)
        if extract_config.get("format") or not _has_wildcard(os.path.basename(path)):
            self.format_for(extract_config, path)

    def describe(self, extract_config: dict[str, Any]) -> str:
        path = str(extract_config.get("path") or extract_config.get("file_path") or "?")
        fmt = extract_config.get("format")
        if not fmt:
            try:
                fmt = self.format_for(extract_config, path)
            except Exception:  # describing must never fail
                fmt = "auto"
        return f"{os.path.basename(path)} ({fmt})"

    # -- files --------------------------------------------------------------------------
    def resolve_files(self, cfg: dict[str, Any], contract_dir: Any = None
                      ) -> tuple[list[str], str]:
        """Absolute paths to read (sorted) and the folder source names are relative to.

        A glob without match is a ``FatalSourceError`` unless ``fail_on_empty`` is false.
        """
        raw = self._path_text(cfg)
        base = cfg.get("base_dir") or contract_dir
        path = os.path.expanduser(raw)
        if not os.path.isabs(path) and base:
            path = os.path.join(os.fspath(base), path)
        where = ""
        if base:
            base_text = os.fspath(base)
            where = f" (in the pipeline folder {base_text})"
            if os.path.isabs(raw) and Path(raw).is_relative_to(base_text):
                raw = Path(os.path.relpath(raw, base_text)).as_posix()
        if _has_wildcard(path):
            files = [p for p in glob.glob(path, recursive=True) if os.path.isfile(p)]
            if cfg.get("sort_files", True) is not False:
                files.sort()
            if not files and cfg.get("fail_on_empty", True) is not False:
                raise FatalSourceError(
                    f"No file matches '{raw}'{where}. (Set fail_on_empty: false to allow an "
                    "empty folder.)", source=path)
            return files, _glob_root(path)
        if not os.path.isfile(path):
            what = "is a folder, not a file" if os.path.isdir(path) else "does not exist"
            raise FatalSourceError(f"The file '{raw}' {what}{where}.", source=path)
        return [path], os.path.dirname(path)

    def source_fingerprint(self, extract_config: dict[str, Any],
                           contract_dir: str | Path | None = None) -> Any:
        """Each file's path, size and modification time (nothing when none resolves)."""
        try:
            files, _ = self.resolve_files(extract_config, contract_dir)
            return [[f, (st := os.stat(f)).st_size, st.st_mtime_ns] for f in files]
        except (OSError, FatalSourceError):
            return None

    # -- reading ------------------------------------------------------------------------
    async def _stream(self, request: ExtractRequest) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of at most ``batch_size`` records, at most ``max_records`` in all."""
        cfg = request.canonical_config()
        size = request.batch_size_for(cfg)
        budget = RecordBudget.of(request, cfg)
        files, root = await asyncio.to_thread(self.resolve_files, cfg, request.contract_dir)
        formats = [self.format_for(cfg, f) for f in files]
        options = reader_options(cfg)
        for path, fmt in zip(files, formats, strict=True):
            if budget.spent:
                return
            label = Path(os.path.relpath(path, root)).as_posix()
            pump = ThreadedIter(iter_batches(path, fmt, options, size))
            pending: asyncio.Future[list[Any] | None] | None = read_ahead(pump)
            try:
                while pending is not None and (batch := await pending) is not None:
                    pending = None
                    records = batch
                    if fmt == "jsonl":  # only JSON Lines readers yield BadLine markers
                        records = without_bad_lines(batch, path, os.path.basename(path),
                                                    self.report_bad_record)
                    records = budget.take(records, label)
                    if not budget.spent:  # read the next batch while this one is processed
                        pending = read_ahead(pump)
                    if records:
                        yield records
                    if budget.spent:
                        return
            finally:
                await drop_read_ahead(pending)
                pump.close()
