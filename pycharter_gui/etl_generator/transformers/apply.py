"""Transform entry points: compile a canonical transform config once, apply it per batch.

Stage order is fixed (config-format §4.1): simple ops → JSONata → custom function.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import compress
from operator import itemgetter
from typing import Any

from ..errors import InternalError, RecordError
from .custom import CustomFunctionStage
from .jsonata_stage import JsonataStage
from .results import RecordRejected, TransformResult
from .simple_ops import Step, compile_op

# ``on_step(name, records, indices, result)`` after each stage: the records it let through (owned
# by the transform: copy them to keep them) and their input positions (None: made batch-wide)
StepHook = Callable[[str, list[dict[str, Any]], list[Any], TransformResult], None]


def _canonical(transform_config: Any) -> dict[str, Any] | None:
    """The canonical dict for any accepted spelling (None/empty config = no transforms)."""
    if isinstance(transform_config, CompiledTransform):
        return transform_config.config
    if not transform_config:
        return None
    if isinstance(transform_config, dict) and transform_config.get("__canonical__"):
        return transform_config
    try:
        from ..config import normalize_transform
    except ImportError as exc:  # the config package is built in parallel
        raise InternalError(
            "pycharter_gui.etl_generator.config.normalize_transform is not available, so a "
            "raw transform config cannot be read; pass a canonical dict "
            "('__canonical__': True) or report this as a bug") from exc
    base_dir = transform_config.get("base_dir") if isinstance(transform_config, dict) else None
    return normalize_transform(transform_config, base_dir)


class CompiledTransform:
    """A transform config compiled once per run: op closures, JSONata, the custom callable."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        strict = bool(config.get("strict", False))
        dialect = config.get("dialect")
        ops = config.get("ops") or []
        self.step_names: list[str] = [str(op.get("op")) for op in ops]
        self.steps: list[Step] = [compile_op(op, strict=strict, dialect=dialect) for op in ops]
        jcfg = config.get("jsonata") or None
        self.jsonata: JsonataStage | None = None
        if jcfg and str(jcfg.get("expression") or "").strip():
            self.jsonata = JsonataStage(str(jcfg["expression"]), jcfg.get("mode") or "batch")
        ccfg = config.get("custom_function") or None
        self.custom: CustomFunctionStage | None = None
        if ccfg and (ccfg.get("callable") or ccfg.get("module") or ccfg.get("function")):
            self.custom = CustomFunctionStage(ccfg, config.get("base_dir"))

    @property
    def is_empty(self) -> bool:
        return not self.steps and self.jsonata is None and self.custom is None

    def apply(self, records: list[dict[str, Any]], *, on_step: StepHook | None = None,
              **kwargs: Any) -> TransformResult:
        """Transform one batch; failing records are rejected, never abort the batch.
        ``on_step`` (see ``StepHook``) watches each stage, e.g. for a step-by-step preview."""
        result = TransformResult()
        if not records:
            result.records = list(records)
            return result
        if self.is_empty:
            result.records = list(records)
            return result
        current, indices = self._apply_steps(records, result, on_step)
        if self.jsonata is not None and current:
            current, indices = self.jsonata.apply(current, indices, result)
            if on_step is not None:
                on_step("jsonata", current, indices, result)
        if self.custom is not None and current:
            current, indices = self.custom.apply(current, indices, result, kwargs)
            if on_step is not None:
                on_step("custom_function", current, indices, result)
        result.records = current
        return result

    def _apply_steps(self, records: list[dict[str, Any]], result: TransformResult,
                     on_step: StepHook | None = None) -> tuple[list[dict[str, Any]], list[int]]:
        """Run the simple ops step by step over the whole batch (one call per step, not per
        record). Warnings and rejections are then put back in record order, so the result is
        the same as running every step on one record after the other."""
        if not self.steps:
            return list(records), list(range(len(records)))
        warnings = result.warnings
        current: list[dict[str, Any]] = list(map(dict, records))
        indices = list(range(len(records)))
        rejected: list[tuple[int, RecordRejected]] = []
        for name, step in zip(self.step_names, self.steps, strict=True):
            if not current:
                break
            batch = getattr(step, "batch", None)
            if batch is not None:
                bad = batch(current, indices, warnings)
                if bad:
                    rejected += [(indices[pos], rej) for pos, rej in bad.items()]
                    keep = [pos not in bad for pos in range(len(current))]
                    current = list(compress(current, keep))
                    indices = list(compress(indices, keep))
            else:
                current, indices = self._per_record(step, current, indices, result, rejected)
            if on_step is not None:
                on_step(name, current, indices, result)
        if len(warnings) > 1:  # batch steps go field by field: back to record order
            warnings.sort(key=_warning_order)
        rejected.sort(key=itemgetter(0))
        result.rejected += [rej.to_rejected(i, records[i]) for i, rej in rejected]
        return current, indices

    @staticmethod
    def _per_record(step: Step, current: list[dict[str, Any]], indices: list[int],
                    result: TransformResult, rejected: list[tuple[int, RecordRejected]]
                    ) -> tuple[list[dict[str, Any]], list[int]]:
        warnings = result.warnings
        out: list[dict[str, Any]] = []
        out_idx: list[int] = []
        append, append_idx = out.append, out_idx.append
        filtered = 0
        for record, index in zip(current, indices, strict=True):
            try:
                record = step(record, index, warnings)
            except RecordRejected as rej:
                rejected.append((index, rej))
                continue
            if record is None:
                filtered += 1
            else:
                append(record)
                append_idx(index)
        result.filtered += filtered
        return out, out_idx


def _warning_order(warning: Any) -> int:
    return -1 if warning.index is None else warning.index


def compile_transform(cfg: Any) -> CompiledTransform:
    """Compile a transform config (raw or canonical) once; raises ConfigError if invalid."""
    canonical = _canonical(cfg)
    return CompiledTransform(canonical or {"__canonical__": True, "ops": []})


def transform_batch(data: list[dict[str, Any]], transform_config: Any,
                    **kwargs: Any) -> TransformResult:
    """Compile and apply in one go; ``kwargs`` reach the custom function (they win over its
    configured ``kwargs``). Prefer ``compile_transform`` once per run for many batches."""
    compiled = (transform_config if isinstance(transform_config, CompiledTransform)
                else compile_transform(transform_config))
    return compiled.apply(data, **kwargs)


def apply_transforms(data: list[dict[str, Any]], transform_config: Any,
                     **kwargs: Any) -> list[dict[str, Any]]:
    """Seed API: the transformed records. A record that fails raises ``RecordError`` (as
    pycharter raises), never a shorter list; ``transform_batch`` returns failures instead."""
    if not transform_config:
        return data
    result = transform_batch(data, transform_config, **kwargs)
    if result.rejected:
        first = result.rejected[0]
        where = "a batch-wide step" if first.index is None else f"record {first.index}"
        raise RecordError(
            f"Transform failed at {first.step} for {where}: {first.message} "
            f"({len(result.rejected)} of {len(data)} records failed; transform_batch returns "
            "failing records without raising)",
            reason=first.reason, stage="transform", record_index=first.index, field=first.field)
    return result.records


__all__ = ["CompiledTransform", "apply_transforms", "compile_transform", "transform_batch"]
