"""Qt-free tasks the panels run on a pipeline: build its orchestrator (unsaved texts too),
sample its source, diff its transform step by step, evaluate JSONata, run it.

Everything here is a plain function or coroutine that knows nothing of widgets, so the panels
run it on the async loop through ``TaskHandle`` and tests can call it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import (
    ETLOrchestrator,
    get_extractor,
    load_pipeline_config,
    normalize_transform,
    parse_yaml_text,
    resolve_input_params,
    transform_batch,
    transform_steps,
)

from .column_profile import columns_of
from .workers.run_log import forward_run_log

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
Fate = tuple[str, str]  # ("filtered" | "rejected", what happened, in words)


@dataclass
class StepDiff:
    """One view of the before/after: a step's records in beside its records out, line by line.

    Aligned views have one line per record in (``before_rows == after_rows``, sample rows): a
    record the step filtered or rejected is an empty line with its ``fates`` entry. A view
    whose step reshapes the batch (JSONata aggregates) lists its output as it comes.
    """

    title: str
    before: list[Record]
    after: list[Record]
    before_rows: list[int | None]
    after_rows: list[int | None]
    count_in: int = 0
    count_out: int = 0
    aligned: bool = True
    fates: dict[int, Fate] = field(default_factory=dict)  # after line -> fate
    rejections: dict[int, Any] = field(default_factory=dict)  # after line -> RejectedRecord
    renamed: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)
    changed_cells: dict[tuple[int, str], str] = field(default_factory=dict)  # value changed
    retyped_cells: dict[tuple[int, str], str] = field(default_factory=dict)  # same value, new type
    warning_cells: dict[tuple[int, str], str] = field(default_factory=dict)
    after_columns: list[str] = field(default_factory=list)  # aligned with the source order


@dataclass
class TransformPreview(StepDiff):
    """The whole transform (and contract) over the cached sample, and each step of it."""

    steps: list[StepDiff] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)  # what would be loaded
    rejected: list[Any] = field(default_factory=list)  # RejectedRecord, contract breaks included
    filtered: int = 0
    warnings: list[Any] = field(default_factory=list)  # TransformWarning
    skipped_custom: str | None = None
    seconds: float = 0.0


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def value_change(old: Any, new: Any) -> str | None:
    """``"changed"`` when the value differs, ``"retyped"`` when only its type does (``"5"`` →
    ``5`` → ``5.0``, a date read from its text), None when nothing changed."""
    if type(old) is type(new) and old == new:
        return None
    if type(old) is not type(new):
        a, b = _number(old), _number(new)
        if a is not None and b is not None:
            return "retyped" if a == b else "changed"
        if str(old).strip().lower() == str(new).lower():
            return "retyped"
    return "changed"


def _type_name(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _renames(specs: list[dict[str, Any]]) -> dict[str, str]:
    """Original name -> final name over successive rename specs."""
    out: dict[str, str] = {}
    for spec in specs:
        for old, new in ((str(k), str(v)) for k, v in (spec or {}).items()):
            source = next((k for k, v in out.items() if v == old), old)
            out[source] = new
    return out


def _diff(title: str, rows_in: list[int | None], records_in: list[Record],
          rows_out: list[int | None], records_out: list[Record], *, aligned: bool,
          fates: dict[int, tuple[str, str, Any]], renamed: dict[str, str], converted: list[str],
          warnings: list[Any]) -> StepDiff:
    """Line up one step's output with its input by sample row and say what changed."""
    aligned = aligned and None not in rows_in
    before_cols, after_cols = columns_of(records_in), columns_of(records_out)
    renamed = {k: v for k, v in renamed.items() if k in before_cols}
    origin = {new: old for old, new in renamed.items()}
    diff = StepDiff(title, records_in, records_out, list(rows_in), list(rows_out),
                    count_in=len(records_in), count_out=len(records_out), aligned=aligned,
                    renamed=renamed, converted=[c for c in converted if c in after_cols])
    diff.added = [c for c in after_cols if origin.get(c, c) not in before_cols]
    diff.dropped = [c for c in before_cols
                    if c not in after_cols and renamed.get(c) not in after_cols]
    kept = [renamed.get(c, c) for c in before_cols if renamed.get(c, c) in after_cols]
    diff.after_columns = list(dict.fromkeys(kept + after_cols))
    if aligned:
        by_row = dict(zip(rows_out, records_out, strict=True))
        diff.after = [by_row.get(row, {}) for row in rows_in]
        diff.after_rows = list(rows_in)
        for line, row in enumerate(rows_in):
            if row not in by_row:
                kind, text, rejection = fates.get(row, ("filtered", "left out", None))
                diff.fates[line] = (kind, text)
                if rejection is not None:
                    diff.rejections[line] = rejection
    added = set(diff.added)
    for line, (row, after) in enumerate(zip(diff.after_rows, diff.after, strict=True)):
        if row is None or line in diff.fates:
            continue
        before = diff.before[line] if aligned else records_in[rows_in.index(row)]
        for col, value in after.items():
            if col in added:
                continue
            old = before.get(origin.get(col, col))
            change = value_change(old, value)
            if change == "changed":
                diff.changed_cells[(line, col)] = f"was {old!r}, now {value!r}"
            elif change == "retyped":
                diff.retyped_cells[(line, col)] = (
                    f"type {_type_name(old)} → {_type_name(value)}; the value is unchanged")
    line_of = {row: line for line, row in enumerate(diff.after_rows) if row is not None}
    for warn in warnings:
        line = line_of.get(warn.index) if warn.index is not None else None
        if line is not None and warn.field and line not in diff.fates:
            diff.warning_cells[(line, renamed.get(warn.field, warn.field))] = (
                f"{warn.step}: {warn.message}")
    return diff


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
    steps = [_diff(s.title, s.rows_in, s.records_in, s.rows_out, s.records_out,
                   aligned=s.aligned, fates=fates, warnings=s.warnings,
                   renamed=_renames([s.spec]) if s.name == "rename" else {},
                   converted=[str(k) for k in s.spec or {}] if s.name == "convert" else [])
             for s in run.steps]
    ops = [s for s in run.steps if s.name in ("rename", "convert")]
    whole = _diff("All steps", list(range(len(sample))), sample, run.rows, run.records,
                  aligned=all(s.aligned for s in run.steps), fates=fates, warnings=run.warnings,
                  renamed=_renames([s.spec for s in ops if s.name == "rename"]),
                  converted=[str(k) for s in ops if s.name == "convert" for k in s.spec or {}])
    return TransformPreview(
        **{f.name: getattr(whole, f.name) for f in fields(StepDiff)}, steps=steps,
        records=run.records, rejected=run.rejected, filtered=run.filtered,
        warnings=run.warnings, skipped_custom=skipped, seconds=time.monotonic() - started)


# -- JSONata console -------------------------------------------------------------------------
@dataclass
class JsonataOutcome:
    """Result of a live JSONata evaluation: output, or an error in words with its position."""

    output: Any = None
    error: str | None = None
    position: int | None = None  # 0-based character the error points at
    seconds: float = 0.0


def jsonata_input(sample: list[Record], transform_cfg: dict[str, Any]) -> list[Record]:
    """The records the (canonical) transform's JSONata stage sees: ``sample`` after the simple
    ops (rename, convert, filter, ...), its rejected and filtered records left out."""
    return transform_batch(sample, {**transform_cfg, "jsonata": None,
                                    "custom_function": None}).records


_JSONATA_WORDS: tuple[tuple[str, str], ...] = (
    (r"Argument (\d+) of Object (\w+) must be an array of n",
     r"$\2 needs numbers, but argument \1 holds something else (text?): convert the field "
     r"to a number first (a convert step, or $number())"),
    (r"Argument (\d+) of Object (\w+) does not match Object signature",
     r"argument \1 of $\2 is of a type $\2 does not accept (e.g. text where a number is "
     "expected, or a list where one value is)"),
    (r"The (left|right) side of the (\S+) operator must evaluate to a number",
     r"the \1 side of \2 is not a number (a field holding text, or in batch mode a list of "
     "every record's values?)"),
    (r"Attempted to invoke a non-function", "this is not a function JSONata knows"),
    (r"Expected (\S+) before end of expression",
     r"'\1' is missing before the end: a bracket is not closed"),
    (r"Unexpected end of expression", "the expression ends too early"),
    (r"String literal must be terminated by a matching quote", "a quoted text is not closed"),
    (r"could not convert string to float: (.*)", r"\1 is not a number"),
    (r"float division by zero|division by zero", "division by zero"),
)


def jsonata_error_words(exc: BaseException, expression: str) -> tuple[str, int | None]:
    """A JSONata (or Python) evaluation error as a sentence, and the 0-based character it
    points at (an operator the library leaves unplaced is found in the text when unique)."""
    text = str(exc)
    for pattern, words in _JSONATA_WORDS:
        if re.search(pattern, text):
            text = re.sub(pattern, words, text)
            break
    location = getattr(exc, "location", None)
    position = location - 1 if isinstance(location, int) and location > 0 else None
    operator = re.search(r"side of (\S+) is not a number", text)
    if position is None and operator and expression.count(operator.group(1)) == 1:
        position = expression.index(operator.group(1))
    if position is not None:
        position = min(position, max(0, len(expression) - 1))
        name = re.search(r"\$\w+\s*$", expression[:position + 1].rstrip("("))
        if getattr(exc, "error", None) == "T1006" and name:
            text = f"{name.group().strip()} is not a function JSONata knows"
    code = getattr(exc, "error", None)
    return (f"{text[:1].upper()}{text[1:]}" + (f" [{code}]" if code else ""), position)


def evaluate_jsonata(expression: str, sample: list[Record], mode: str = "batch") -> JsonataOutcome:
    """Evaluate ``expression`` against the records (whole list, or the first record)."""
    import jsonata

    started = time.monotonic()
    data: Any = sample if mode == "batch" else (sample[0] if sample else {})
    try:
        output = jsonata.Jsonata(expression).evaluate(copy.deepcopy(data))
    except Exception as exc:  # any evaluation error is shown, never raised
        text, position = jsonata_error_words(exc, expression)
        return JsonataOutcome(error=text, position=position, seconds=time.monotonic() - started)
    return JsonataOutcome(output=output, seconds=time.monotonic() - started)


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
