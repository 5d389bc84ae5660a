"""A transform run step by step on a sample: each stage's records in and out, and its losses.

``transform_steps`` runs the compiled transform once (``CompiledTransform.apply`` with its
``on_step`` hook), then the contract check as a run does, and returns what every stage saw:
the records in and out with their sample rows, the rows it filtered, the records it rejected
(step, reason, field) and its warnings. Its totals are the counts a dry run reports for the
same records in one batch: ``len(records) + added == len(kept) + len(rejected) + filtered``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from .apply import compile_transform
from .contract import ContractValidator
from .results import RejectedRecord, TransformResult, TransformWarning

Record = dict[str, Any]


@dataclass
class StepRecords:
    """One stage of the transform (an op, ``jsonata``, ``custom_function`` or ``contract``).

    ``rows_in``/``rows_out`` are the sample rows (0-based) of ``records_in``/``records_out``;
    a row is ``None`` for a record a batch-wide stage made (``aligned`` is then False).
    ``rejected`` carries sample rows as ``index``.
    """

    position: int
    name: str
    spec: Any
    rows_in: list[int | None]
    records_in: list[Record]
    rows_out: list[int | None] = field(default_factory=list)
    records_out: list[Record] = field(default_factory=list)
    filtered: list[int | None] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    warnings: list[TransformWarning] = field(default_factory=list)
    added: int = 0
    aligned: bool = True

    @property
    def title(self) -> str:
        """``"2 · convert"``: the place and kind of the stage."""
        return f"{self.position} · {self.name}"


@dataclass
class TransformSteps:
    """Every stage of one sample's run and its totals (what a dry run would count)."""

    steps: list[StepRecords]
    records: list[Record]
    rows: list[int | None]
    rejected: list[RejectedRecord]
    warnings: list[TransformWarning]
    filtered: int = 0
    added: int = 0


class _Recorder:
    """The ``on_step`` hook: snapshots each stage's output (later stages change records)."""

    def __init__(self, stages: list[StepRecords]) -> None:
        self.stages = stages
        self.done = 0
        self._warnings = self._filtered = self._added = 0

    def __call__(self, name: str, records: list[Record], indices: list[Any],
                 result: TransformResult) -> None:
        stage = self.stages[self.done]
        stage.records_out = [dict(r) for r in records]
        stage.rows_out = list(indices)
        stage.warnings = result.warnings[self._warnings:]
        stage.added = result.added - self._added
        self._warnings, self._added = len(result.warnings), result.added
        stage.filtered = [None] * (result.filtered - self._filtered)  # rows known for aligned ones
        self._filtered = result.filtered
        self.done += 1
        if self.done < len(self.stages):
            self.stages[self.done].rows_in = stage.rows_out
            self.stages[self.done].records_in = stage.records_out


def _stages(compiled: Any, contract: dict[str, Any] | None) -> list[tuple[str, Any]]:
    ops = compiled.config.get("ops") or []
    out = [(str(op.get("op")), op.get("spec")) for op in ops]
    if compiled.jsonata is not None:
        out.append(("jsonata", compiled.config.get("jsonata")))
    if compiled.custom is not None:
        out.append(("custom_function", compiled.config.get("custom_function")))
    if contract:
        out.append(("contract", contract))
    return out


def _settle(stage: StepRecords, by_row: dict[int, RejectedRecord],
            rejected: list[RejectedRecord]) -> None:
    """Name the rows the stage lost (rejected or filtered); line up a batch-wide stage's output
    with its input when it kept one record per input in order."""
    if stage.name in ("jsonata", "custom_function"):
        stage.rejected = [r for r in rejected if r.step == stage.name]
    else:
        out = set(stage.rows_out)
        stage.rejected = [by_row[r] for r in stage.rows_in if r not in out and r in by_row]
    lost = {r.index for r in stage.rejected}
    if stage.rows_out and all(r is None for r in stage.rows_out):
        left = [r for r in stage.rows_in if r not in lost]
        if len(left) == len(stage.rows_out) and not stage.filtered and not stage.added:
            stage.rows_out = left
        else:
            stage.aligned = False
            return
    out = set(stage.rows_out)
    stage.filtered = [r for r in stage.rows_in if r not in out and r not in lost]


def transform_steps(records: list[Record], transform_config: Any, *,
                    contract: dict[str, Any] | None = None, **kwargs: Any) -> TransformSteps:
    """Run ``transform_config`` (raw, canonical or compiled) on ``records`` one stage at a time,
    then ``contract`` (``schema``, ``coercion_rules``, ``validation_rules``) as a run checks it;
    ``kwargs`` reach the custom function. Each stage's records in/out, filtered, rejected."""
    compiled = compile_transform(transform_config)
    rows: list[int | None] = list(range(len(records)))
    stages = [StepRecords(pos, name, spec, [], [])
              for pos, (name, spec) in enumerate(_stages(compiled, contract), 1)]
    if stages:
        stages[0].rows_in, stages[0].records_in = rows, list(records)
    recorder = _Recorder(stages)
    result = compiled.apply(records, on_step=recorder, **kwargs)
    transform_stages = [s for s in stages if s.name != "contract"]
    for stage in transform_stages[recorder.done:]:  # an emptied batch skips the rest
        stage.rows_out, stage.records_out = list(stage.rows_in), list(stage.records_in)
    by_row = {r.index: r for r in result.rejected if r.index is not None}
    for stage in transform_stages:
        _settle(stage, by_row, result.rejected)
    kept = result.records
    kept_rows = transform_stages[-1].rows_out if transform_stages else rows
    rejected = list(result.rejected)
    if contract:
        check = stages[-1]
        check.rows_in, check.records_in = kept_rows, [dict(r) for r in kept]
        if kept:
            kept, invalid = ContractValidator(contract).validate(kept)
            check.rejected = [dataclasses.replace(r, index=kept_rows[r.index]) for r in invalid]
            bad = {r.index for r in invalid}
            kept_rows = [row for pos, row in enumerate(kept_rows) if pos not in bad]
            rejected += check.rejected
        check.rows_out, check.records_out = kept_rows, [dict(r) for r in kept]
    return TransformSteps(steps=stages, records=kept, rows=kept_rows, rejected=rejected,
                          warnings=list(result.warnings), filtered=result.filtered,
                          added=result.added)


__all__ = ["StepRecords", "TransformSteps", "transform_steps"]
