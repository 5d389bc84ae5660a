"""What the pipeline makes of a test's input: transform, contract and a dry load, each record
tagged with the input row it came from; nothing is written."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

from ..config import load_pipeline_config
from .model import Entry, PipelineOutput, plain

_ROW = "__pycharter_test_row__"  # hidden tag: which input row a transformed record came from


def _entry(row: int | None, record: Any, **dead: Any) -> Entry:
    return {"row": row, **dead, "record": plain(record)}


def _dead(row: int | None, stage: str, reason: str, field_: str | None, message: str,
          record: Any) -> Entry:
    return _entry(row, record, stage=stage, reason=reason, field=field_, message=message)


async def pipeline_output(pipeline_dir: str | Path, records: list[dict[str, Any]], *,
                          dry_load: bool = True) -> PipelineOutput:
    """Transform ``records`` as the pipeline would, check its contract, dry-load; nothing written."""
    from ..transformers import ContractValidator, transform_batch

    config = await asyncio.to_thread(load_pipeline_config, pipeline_dir)
    tagged = [{**rec, _ROW: i} if isinstance(rec, dict) else rec for i, rec in enumerate(records, 1)]
    result = await asyncio.to_thread(transform_batch, tagged, config.transform)
    kept = result.records
    rows: list[int | None] = [rec.pop(_ROW, None) if isinstance(rec, dict) else None for rec in kept]
    for rej in result.rejected:
        if isinstance(rej.record, dict):
            rej.record.pop(_ROW, None)
    if all(r is None for r in rows) and not result.filtered and not result.added:
        rejected = {r.index for r in result.rejected}  # a step dropped the tag: positions line up
        rows = [i for i in range(1, len(records) + 1) if i - 1 not in rejected][:len(kept)]
    out = PipelineOutput(dead_letters=[
        _dead(None if r.index is None else r.index + 1, "transform", r.reason, r.field, r.message,
              r.record) for r in result.rejected])
    if config.contract and kept:
        kept_rows = rows
        kept, invalid = ContractValidator(config.contract).validate(kept)
        out.dead_letters += [_dead(kept_rows[r.index], "validate", r.reason, r.field, r.message,
                                   r.record) for r in invalid]
        bad = {r.index for r in invalid}
        rows = [row for i, row in enumerate(kept_rows) if i not in bad]
    if dry_load and kept:
        kept, rows = await _dry_load(config.load, kept, rows, out)
    out.loaded = [_entry(row, rec) for row, rec in zip(rows, kept, strict=True)]
    out.dead_letters.sort(key=lambda e: (e["row"] is None, e["row"] or 0))
    return out


async def _dry_load(load_cfg: dict[str, Any], records: list[dict[str, Any]],
                    rows: list[int | None], out: PipelineOutput
                    ) -> tuple[list[dict[str, Any]], list[int | None]]:
    """Write ``records`` in a dry run (the target checks them, keeps nothing); rejected rows
    become load dead letters as in a run."""
    from ..errors import PycharterError
    from ..loaders.base import open_load_session

    session = open_load_session(load_cfg, dry_run=True, run_key=f"test-{uuid.uuid4().hex}",
                                resumable=False)
    await session.open()
    try:
        try:
            result = await session.write_batch(records, 0)
        except PycharterError as exc:  # the batch failed as a whole: all of it dead-lettered
            out.dead_letters += [_dead(row, "load", "load_error", None, exc.user_message, rec)
                                 for row, rec in zip(rows, records, strict=True)]
            return [], []
        await session.commit()
    finally:
        await session.abort()
    bad = {r.index for r in result.rejected}
    out.dead_letters += [_dead(rows[r.index], "load", "load_error", r.field, r.message, r.record)
                         for r in result.rejected]
    return ([rec for i, rec in enumerate(records) if i not in bad],
            [row for i, row in enumerate(rows) if i not in bad])
