"""Qt-free tasks the panels run on a pipeline: build its orchestrator (unsaved texts too),
sample its source, preview its transform on the sample, run it.

Everything here is a plain function or coroutine that knows nothing of widgets, so the panels
run it on the async loop through ``TaskHandle`` and tests can call it directly. How a step's
records differ is ``transform_diff``'s job, JSONata evaluation ``jsonata_eval``'s; their
public names are re-exported here, where the panels have always found them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import (
    ETLOrchestrator,
    get_extractor,
    load_pipeline_config,
    normalize_transform,
    parse_yaml_text,
    resolve_input_params,
    transform_steps,
)

from .jsonata_eval import JsonataOutcome, evaluate_jsonata, jsonata_error_words, jsonata_input
from .transform_diff import Fate, StepDiff, TransformPreview, diff_step, final_names, value_change
from .workers.run_log import forward_run_log

__all__ = [
    "KINDS", "Fate", "JsonataOutcome", "Record", "SampleStream", "StepDiff", "TransformPreview",
    "build_orchestrator", "compute_transform_preview", "evaluate_jsonata", "jsonata_error_words",
    "jsonata_input", "normalized_transform", "parse_unsaved", "run_pipeline", "value_change",
    "without_custom_function",
]

KINDS = ("extract", "transform", "load")
Record = dict[str, Any]


# -- building the orchestrator -------------------------------------------------------------
def parse_unsaved(kind: str, text: str, folder: Path) -> Any:
    """An unsaved YAML text as data, read as the run reads the saved file (the engine's
    parser); a syntax error is a located ``ConfigError``. Empty text is None."""
    return parse_yaml_text(text, file=str(folder / f"{kind}.yaml"))[0] if text.strip() else None


def build_orchestrator(folder: Path, texts: dict[str, str] | None = None) -> ETLOrchestrator:
    """The pipeline in ``folder``, with unsaved ``texts`` (kind -> YAML) laid over its files;
    ``texts["pipeline"]`` is the unsaved text of a single-file pipeline (pipeline.yaml, ...)."""
    if texts and texts.get("pipeline") is not None:
        config = load_pipeline_config(folder, texts={"pipeline": texts["pipeline"]})
        return ETLOrchestrator.from_config(config, verbose=False)
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

    Lives on the async loop: ``take`` is awaited by successive tasks; a cancelled ``take``
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
def compute_transform_preview(sample: list[Record], transform_cfg: dict[str, Any], *,
                              contract: dict[str, Any] | None = None,
                              trusted: bool = True) -> TransformPreview:
    """Run the (canonical) transform and ``contract`` on ``sample`` step by step
    (``transform_steps``) and diff every step and the whole; pure CPU work."""
    started = time.monotonic()
    skipped = None
    if not trusted:
        transform_cfg, skipped = without_custom_function(transform_cfg)
    run = transform_steps(sample, transform_cfg, contract=contract or None)
    fates: dict[int, tuple[str, str, Any]] = {}
    for step in run.steps:
        for row in step.filtered:
            if row is not None:
                fates[row] = ("filtered", f"filtered out by {step.title}", None)
        for rej in step.rejected:
            if rej.index is not None:
                fates[rej.index] = ("rejected", f"rejected by {step.title}: {rej.reason}", rej)
    steps = [diff_step(s.title, s.rows_in, s.records_in, s.rows_out, s.records_out,
                       aligned=s.aligned, fates=fates, warnings=s.warnings,
                       renamed=final_names([s.spec]) if s.name == "rename" else {},
                       converted=[str(k) for k in s.spec or {}] if s.name == "convert" else [])
             for s in run.steps]
    ops = [s for s in run.steps if s.name in ("rename", "convert")]
    whole = diff_step("All steps", list(range(len(sample))), sample, run.rows, run.records,
                      aligned=all(s.aligned for s in run.steps), fates=fates,
                      warnings=run.warnings,
                      renamed=final_names([s.spec for s in ops if s.name == "rename"]),
                      converted=[str(k) for s in ops if s.name == "convert"
                                 for k in s.spec or {}])
    return TransformPreview(
        **{f.name: getattr(whole, f.name) for f in fields(StepDiff)}, steps=steps,
        records=run.records, rejected=run.rejected, filtered=run.filtered,
        warnings=run.warnings, skipped_custom=skipped, seconds=time.monotonic() - started)


# -- whole runs --------------------------------------------------------------------------------
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
    with forward_run_log(on_log, orch.mask):  # this run's lines only, not a preview's
        result = await orch.run(dry_run=dry_run, **run_kwargs)
    result["skipped_custom_function"] = skipped
    await asyncio.sleep(0)
    return result
