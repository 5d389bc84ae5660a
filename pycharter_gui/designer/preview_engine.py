"""Qt-free preview work: sample a source, diff a transform, summarise columns, run JSONata.

Everything here is a plain function or coroutine that knows nothing of widgets, so the panels
run it on the engine loop through ``TaskHandle`` and tests can call it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import (
    ETLOrchestrator,
    get_extractor,
    normalize_transform,
    parse_yaml_text,
    resolve_input_params,
    transform_batch,
)

from .column_profile import ROW_KEY, columns_of

KINDS = ("extract", "transform", "load")
Record = dict[str, Any]


# -- building the orchestrator -------------------------------------------------------------
def parse_unsaved(kind: str, text: str, folder: Path) -> Any:
    """An unsaved YAML text as data, read as the run reads the saved file (the engine's
    parser); a syntax error is a located ``ConfigError``. Empty text is None."""
    return parse_yaml_text(text, file=str(folder / f"{kind}.yaml"))[0] if text.strip() else None


def build_orchestrator(folder: Path, texts: dict[str, str] | None = None) -> ETLOrchestrator:
    """The pipeline in ``folder``, with unsaved ``texts`` (kind -> YAML) laid over its files."""
    kwargs: dict[str, Any] = {}
    for kind, text in (texts or {}).items():
        if kind in KINDS and text is not None:
            data = parse_unsaved(kind, text, folder)
            if kind == "transform" and data is None:
                data = {}
            kwargs[f"{kind}_config"] = data
    return ETLOrchestrator(contract_dir=folder, verbose=False, **kwargs)


def without_custom_function(transform_cfg: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """A copy of a canonical transform without its custom function, and what was skipped."""
    custom = transform_cfg.get("custom_function")
    if not custom:
        return transform_cfg, None
    name = custom.get("callable") if isinstance(custom.get("callable"), str) else None
    name = name or f"{custom.get('module')}.{custom.get('function')}"
    stripped = dict(transform_cfg)
    stripped["custom_function"] = None
    return stripped, name


def normalized_transform(cfg_or_text: Any, folder: Path | None) -> dict[str, Any]:
    """Canonical transform dict from YAML text, a raw dict or a canonical dict."""
    raw = parse_unsaved("transform", cfg_or_text, folder or Path(".")) if isinstance(
        cfg_or_text, str) else cfg_or_text
    return normalize_transform(raw if raw is not None else {}, str(folder) if folder else None)


# -- sampling the source -----------------------------------------------------------------
class SampleStream:
    """The first N records of a source, kept open so "Load more" continues the same stream.

    Lives on the engine loop: ``take`` is awaited by successive tasks; a cancelled ``take``
    closes the source at once (no further pages, reads or queries) and marks the stream done.
    """

    def __init__(self, orchestrator: ETLOrchestrator, batch_size: int = 100,
                 params: dict[str, Any] | None = None) -> None:
        self.orch = orchestrator
        cfg = orchestrator.config.extract
        self.extractor = get_extractor(cfg)
        self.extractor.validate_config(cfg)
        params, _extra = resolve_input_params(cfg, dict(params or {}))
        self._stream = self.extractor.extract_streaming(
            cfg, params, cfg.get("headers"), orchestrator.contract_dir,
            max(1, min(batch_size, int(cfg.get("batch_size") or 1000))), cfg.get("max_records"),
            orchestrator.config_context)
        self._buffer: list[Record] = []
        self.is_exhausted = False
        self.rows_taken = 0
        self.first_row_seconds: float | None = None

    def describe(self) -> str:
        """Source details for the status line (file and format, URL and pages, query)."""
        try:
            return self.orch.mask(self.extractor.describe(self.orch.config.extract))
        except Exception:  # a description must never break a preview
            return str(self.orch.config.extract.get("type", "source"))

    async def take(self, n: int, on_batch: Callable[[list[Record]], None] | None = None) -> list[Record]:
        """Up to ``n`` more records; ``on_batch`` sees each chunk as it arrives."""
        started = time.monotonic()
        out: list[Record] = []
        try:
            while len(out) < n:
                if not self._buffer:
                    if self.is_exhausted:
                        break
                    try:
                        self._buffer = list(await self._stream.__anext__())
                    except StopAsyncIteration:
                        self.is_exhausted = True
                        break
                chunk, self._buffer = self._buffer[: n - len(out)], self._buffer[n - len(out):]
                if self.first_row_seconds is None and chunk:
                    self.first_row_seconds = time.monotonic() - started
                out.extend(chunk)
                self.rows_taken += len(chunk)
                if on_batch is not None and chunk:
                    on_batch(chunk)
        except BaseException:
            self.is_exhausted = True
            await self.aclose()
            raise
        return out

    async def aclose(self) -> None:
        """Close the source (idempotent)."""
        self.is_exhausted = True
        with contextlib.suppress(RuntimeError, StopAsyncIteration):  # closed, or closing elsewhere
            await self._stream.aclose()


# -- transform preview -----------------------------------------------------------------------
@dataclass
class TransformPreview:
    """Before/after of one transform over the cached sample, with what changed and why."""

    before: list[Record]
    after: list[Record]
    source_rows: list[int | None]  # after row -> before row (None when unknown)
    renamed: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    changed_cells: set[tuple[int, str]] = field(default_factory=set)
    warnings: list[Any] = field(default_factory=list)  # TransformWarning
    warning_cells: dict[tuple[int, str], str] = field(default_factory=dict)
    rejected: list[Any] = field(default_factory=list)  # RejectedRecord
    filtered: int = 0
    skipped_custom: str | None = None
    seconds: float = 0.0
    after_columns: list[str] = field(default_factory=list)  # aligned with the source order


def _ops(cfg: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [op.get("spec") or {} for op in cfg.get("ops") or [] if op.get("op") == name]



def compute_transform_preview(sample: list[Record], transform_cfg: dict[str, Any], *,
                              trusted: bool = True) -> TransformPreview:
    """Apply the (canonical) transform to ``sample`` and diff it; pure CPU work."""
    started = time.monotonic()
    skipped = None
    if not trusted:
        transform_cfg, skipped = without_custom_function(transform_cfg)
    tagged = [{**rec, ROW_KEY: i} if isinstance(rec, dict) else rec for i, rec in enumerate(sample)]
    result = transform_batch(tagged, transform_cfg)
    after: list[Record] = []
    rows: list[int | None] = []
    for rec in result.records:
        row = rec.pop(ROW_KEY, None) if isinstance(rec, dict) else None
        after.append(rec)
        rows.append(row if isinstance(row, int) else None)
    if all(r is None for r in rows) and len(after) == len(sample) - len(result.rejected) and not result.filtered:
        rejected_idx = {r.index for r in result.rejected}
        rows = [i for i in range(len(sample)) if i not in rejected_idx]  # positions line up
    for rej in result.rejected:
        if isinstance(rej.record, dict):
            rej.record.pop(ROW_KEY, None)
    renamed: dict[str, str] = {}
    for spec in _ops(transform_cfg, "rename"):
        renamed.update({str(k): str(v) for k, v in spec.items()})
    converted = [str(k) for spec in _ops(transform_cfg, "convert") for k in spec]
    before_cols, after_cols = columns_of(sample), columns_of(after)
    origin = {new: old for old, new in renamed.items()}
    added = [c for c in after_cols if origin.get(c, c) not in before_cols]
    dropped = [c for c in before_cols if c not in after_cols and renamed.get(c) not in after_cols]
    preview = TransformPreview(
        before=sample, after=after, source_rows=rows, renamed={k: v for k, v in renamed.items()
                                                                if k in before_cols},
        added=added, dropped=dropped, converted=[c for c in converted if c in after_cols],
        warnings=list(result.warnings), rejected=list(result.rejected),
        filtered=result.filtered, skipped_custom=skipped)
    aligned = [renamed.get(c, c) for c in before_cols if renamed.get(c, c) in after_cols]
    preview.after_columns = list(dict.fromkeys(aligned + after_cols))
    added_set = set(added)
    for row, src in enumerate(rows):
        if src is None or src >= len(sample) or not isinstance(after[row], dict):
            continue
        before = sample[src]
        for col, value in after[row].items():
            if col in added_set:
                continue
            old = before.get(origin.get(col, col))
            if old != value or type(old) is not type(value):
                preview.changed_cells.add((row, col))
    by_source = {src: row for row, src in enumerate(rows) if src is not None}
    for warn in result.warnings:
        row = by_source.get(warn.index) if warn.index is not None else None
        if row is not None and warn.field:
            col = renamed.get(warn.field, warn.field)
            preview.warning_cells[(row, col)] = f"{warn.step}: {warn.message}"
    preview.seconds = time.monotonic() - started
    return preview


# -- JSONata console -------------------------------------------------------------------------
@dataclass
class JsonataOutcome:
    """Result of a live JSONata evaluation: output, or an error with its position."""

    output: Any = None
    error: str | None = None
    position: int | None = None
    seconds: float = 0.0


def evaluate_jsonata(expression: str, sample: list[Record], mode: str = "batch") -> JsonataOutcome:
    """Evaluate ``expression`` against the sample (whole list, or the first record)."""
    import jsonata

    started = time.monotonic()
    data: Any = sample if mode == "batch" else (sample[0] if sample else {})
    try:
        output = jsonata.Jsonata(expression).evaluate(copy.deepcopy(data))
    except Exception as exc:  # any evaluation error is shown, never raised
        location = getattr(exc, "location", None)
        code = getattr(exc, "error", None)
        text = f"{code}: {exc}" if code else str(exc)
        return JsonataOutcome(error=text, position=location if isinstance(location, int) else None,
                              seconds=time.monotonic() - started)
    return JsonataOutcome(output=output, seconds=time.monotonic() - started)


# -- whole runs --------------------------------------------------------------------------------
class _LogForwarder(logging.Handler):
    """Forwards engine log lines of one run to the GUI (masked by the orchestrator)."""

    def __init__(self, emit_line: Callable[[str], None], mask: Callable[[str], str]) -> None:
        super().__init__(logging.INFO)
        self._emit_line, self._mask = emit_line, mask

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):  # a log display must never break a run
            self._emit_line(f"{record.levelname.lower()}: {self._mask(record.getMessage())}")


async def run_pipeline(orch: ETLOrchestrator, *, dry_run: bool, trusted: bool,
                       on_progress: Callable[[Any], None], on_log: Callable[[str], None],
                       **run_kwargs: Any) -> dict[str, Any]:
    """``orch.run`` with progress and log lines forwarded; skips an untrusted custom function."""
    stripped, skipped = (orch.config.transform, None) if trusted else without_custom_function(
        orch.config.transform)
    if skipped:
        orch.config.transform = stripped
        on_log(f"warning: custom function {skipped} skipped: this workspace is not trusted")
    orch.progress_callback = on_progress
    handler = _LogForwarder(on_log, orch.mask)
    engine_logger = logging.getLogger("pycharter_gui.etl_generator")
    engine_logger.addHandler(handler)
    old_level = engine_logger.level
    if engine_logger.getEffectiveLevel() > logging.INFO:
        engine_logger.setLevel(logging.INFO)
    try:
        result = await orch.run(dry_run=dry_run, **run_kwargs)
    finally:
        engine_logger.removeHandler(handler)
        engine_logger.setLevel(old_level)
    result["skipped_custom_function"] = skipped
    await asyncio.sleep(0)
    return result
