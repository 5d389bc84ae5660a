"""Replay dead letters through a pipeline's transform, contract check and load.

Records that failed before loading (stages extract, transform, validate) go through the
transform, the contract validation and the load again; records that failed at load were
already transformed and are loaded as they are. Each record's ``outcome`` is ``loaded``,
``filtered`` (the transform drops it on purpose: nothing reaches the target) or
``dead_lettered`` (it fails again). The function never writes the dead-letter queue: the
caller decides what to do with each outcome (``mark_replay_outcomes`` does what the designer
does: only ``loaded`` becomes resolved, docs/decisions.md "Nothing silent").

Each record is transformed on its own so every outcome belongs to exactly one dead letter;
batch-wide JSONata or custom functions therefore see one record at a time during a replay.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from .config import load_pipeline_config
from .dead_letter import DeadLetterQueue, DeadLetterRecord, DLQStatus
from .errors import PycharterError
from .loaders.base import open_load_session
from .loaders.run_lock import target_lock
from .transformers import ContractValidator, compile_transform

#: Stages whose records were never transformed successfully, so they are transformed again.
PRE_LOAD_STAGES = frozenset({"extract", "transform", "validate"})


LOADED, FILTERED, DEAD_LETTERED = "loaded", "filtered", "dead_lettered"


def _outcome(outcome: str, reason: str | None = None, message: str = "", *,
             stage: str | None = None, error_type: str | None = None, field: str | None = None,
             traceback: str | None = None, loaded: int = 0) -> dict[str, Any]:
    """One record's replay outcome; ``ok`` is true only when it was (or would be) loaded."""
    return {"outcome": outcome, "ok": outcome == LOADED, "reason": reason, "message": message,
            "stage": stage, "error_type": error_type, "field": field, "traceback": traceback,
            "loaded": loaded}


def _replay_load_config(load: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The load config for a replay: never empty the target to write a handful of records."""
    cfg = dict(load)
    notes: list[str] = []
    if cfg.get("write_method") == "truncate_and_load":
        cfg["write_method"] = "insert"
        notes.append("write_method truncate_and_load replays as insert (the table is kept)")
    if cfg.get("type") in ("file", "cloud_storage") and cfg.get("write_mode", "overwrite") == "overwrite":
        cfg["write_mode"] = "append"
        notes.append("write_mode overwrite replays as append (the existing output is kept)")
    return cfg, notes


async def replay_dead_letters(
    contract_dir: str | os.PathLike[str],
    records: Sequence[DeadLetterRecord],
    *,
    edited: Mapping[str, dict[str, Any]] | None = None,
    dry_run: bool = True,
    config_context: Mapping[str, Any] | None = None,
    include_superseded: bool = False,
) -> dict[str, Any]:
    """Replay ``records`` (``edited`` maps an id to the record data to use instead).

    Returns ``{"outcomes": {id: {outcome, ok, reason, message, stage, error_type, field,
    traceback, loaded}}, "total", "succeeded", "filtered", "failed", "loaded_rows", "dry_run",
    "target", "notes"}``: ``succeeded`` counts records loaded (every record they produced
    loaded; ``ok``), ``filtered`` those the transform drops, ``failed`` those dead-lettered
    again. Raises ``ConfigError`` when the pipeline config is invalid and ``LoadError`` when
    the target cannot be opened or, for a real replay, another run holds its run lock;
    record-level failures never raise. ``superseded`` dead letters (of a failed run whose
    target was rolled back) raise ``ValueError`` unless ``include_superseded`` is true.
    """
    superseded = [r.id for r in records if r.status == DLQStatus.SUPERSEDED]
    if superseded and not include_superseded:
        raise ValueError(
            f"{len(superseded)} of these dead letters are superseded: their run failed and its "
            "target was rolled back, so rerunning the pipeline processes those records again "
            "and replaying them too would load them twice. Leave them out, or pass "
            "include_superseded=True to replay them anyway.")
    edited = dict(edited or {})
    config = await asyncio.to_thread(
        load_pipeline_config, contract_dir=contract_dir, config_context=dict(config_context or {})
    )
    compiled = compile_transform(config.transform)
    validator = ContractValidator(config.contract) if config.contract else None
    load_cfg, notes = _replay_load_config(config.load)

    outcomes: dict[str, dict[str, Any]] = {}
    to_load: list[dict[str, Any]] = []
    owners: list[str] = []
    for rec in records:
        data = edited.get(rec.id, rec.record_data)
        if not isinstance(data, dict):
            outcomes[rec.id] = _outcome(DEAD_LETTERED, "transformation_error",
                                        f"Record {rec.id} is not a JSON object", stage="transform",
                                        error_type="TypeError")
            continue
        if rec.stage not in PRE_LOAD_STAGES:
            to_load.append(dict(data))
            owners.append(rec.id)
            continue
        result = await asyncio.to_thread(compiled.apply, [dict(data)])
        if result.rejected:
            r = result.rejected[0]
            outcomes[rec.id] = _outcome(DEAD_LETTERED, r.reason, r.message, stage="transform",
                                        error_type=r.error_type, field=r.field,
                                        traceback=r.traceback)
            continue
        kept = result.records
        if validator is not None and kept:
            kept, invalid = validator.validate(kept)
            if invalid:
                r = invalid[0]
                outcomes[rec.id] = _outcome(DEAD_LETTERED, r.reason, r.message, stage="validate",
                                            error_type=r.error_type, field=r.field)
                continue
        if not kept:
            outcomes[rec.id] = _outcome(
                FILTERED, message="The transform filters this record out; nothing was loaded",
                stage="transform")
            continue
        for item in kept:
            to_load.append(item)
            owners.append(rec.id)

    loaded_rows = 0
    target = ""
    if to_load:
        run_key = f"replay-{uuid.uuid4().hex[:12]}"
        # A real replay writes under the target's run lock, like a run: never beside a live one.
        with contextlib.nullcontext() if dry_run else target_lock(load_cfg, run_id=run_key):
            session = open_load_session(load_cfg, dry_run=dry_run, run_key=run_key)
            target = session.describe()
            failures: dict[str, dict[str, Any]] = {}
            try:
                await session.open()
                try:
                    res = await session.write_batch(to_load, 0)
                except (PycharterError, OSError, ConnectionError) as exc:
                    message = getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}"
                    reason = "connection_error" if isinstance(exc, ConnectionError) else "load_error"
                    for owner in owners:
                        failures.setdefault(owner, _outcome(DEAD_LETTERED, reason, message,
                                                            stage="load", error_type=type(exc).__name__))
                    await session.abort()
                else:
                    for row in res.rejected:
                        owner = owners[row.index]
                        failures.setdefault(owner, _outcome(DEAD_LETTERED, "load_error", row.message,
                                                            stage="load", error_type=row.error_type,
                                                            field=row.field))
                    await session.commit()
                    loaded_rows = res.loaded
            except BaseException:
                await session.abort()
                raise
        produced: dict[str, int] = {}
        for owner in owners:
            produced[owner] = produced.get(owner, 0) + 1
        for owner, n in produced.items():
            outcomes[owner] = failures.get(owner) or _outcome(
                LOADED, None, "Would load" if dry_run else "Loaded", stage="load", loaded=n)

    kinds = Counter(o["outcome"] for o in outcomes.values())
    return {"outcomes": outcomes, "total": len(outcomes), "succeeded": kinds[LOADED],
            "filtered": kinds[FILTERED], "failed": kinds[DEAD_LETTERED],
            "loaded_rows": loaded_rows, "dry_run": dry_run, "target": target, "notes": notes}


def mark_replay_outcomes(
    queue: DeadLetterQueue,
    records: Sequence[DeadLetterRecord],
    result: Mapping[str, Any],
    edited: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Record a real replay in the DLQ: only ``loaded`` becomes resolved.

    A record dead-lettered again is stored as a new entry with the new error; one the
    transform filters out stays pending as it was (nothing reached the target). A record
    whose data was edited is always stored as a new entry (``retry_count`` + 1,
    ``metadata.replay_of`` = the old id, ``metadata.original_record_data`` /
    ``original_error_message``) and the old entry is removed only once the new one is stored,
    so no data is ever lost. Blocking: call it from a worker thread. Returns
    ``{"resolved": n, "filtered": n, "failed": n}``.
    """
    if result.get("dry_run"):
        raise ValueError("A dry replay changes nothing; replay for real before marking outcomes")
    edited = dict(edited or {})
    outcomes = result.get("outcomes") or {}
    plain_resolved: list[str] = []
    replacements: list[tuple[str, DeadLetterRecord]] = []
    counts = {"resolved": 0, "filtered": 0, "failed": 0}
    for rec in records:
        out = outcomes.get(rec.id)
        if out is None:
            continue
        kind = out["outcome"]
        counts[{LOADED: "resolved", FILTERED: "filtered"}.get(kind, "failed")] += 1
        if rec.id not in edited and kind != DEAD_LETTERED:
            if kind == LOADED:
                plain_resolved.append(rec.id)
            continue  # filtered and unedited: left pending as it was
        metadata = {**rec.metadata, "replay_of": rec.id}
        if rec.id in edited:  # the audit trail keeps what the record was before the edit
            metadata["original_record_data"] = rec.record_data
            metadata.setdefault("original_error_message", rec.error_message)
        failed = kind == DEAD_LETTERED
        if failed:
            for key in ("field", "traceback"):
                metadata.pop(key, None)
                if out.get(key):
                    metadata[key] = out[key]
        new = DeadLetterRecord(
            pipeline_name=rec.pipeline_name,
            record_data=edited.get(rec.id, rec.record_data),
            reason=(out.get("reason") or "unknown") if failed else rec.reason,
            error_message=out.get("message", "") if failed else rec.error_message,
            error_type=(out.get("error_type") or "") if failed else rec.error_type,
            stage=(out.get("stage") or rec.stage) if failed else rec.stage,
            metadata=metadata,
            retry_count=rec.retry_count + 1,
            status=DLQStatus.RESOLVED if kind == LOADED else DLQStatus.PENDING,
        )
        replacements.append((rec.id, new))
    if plain_resolved:
        queue.set_status(plain_resolved, DLQStatus.RESOLVED)
    if replacements:
        queue.add_records([new for _old, new in replacements])  # raises if it cannot store them
        queue.delete([old for old, _new in replacements])
    return counts


__all__ = ["mark_replay_outcomes", "replay_dead_letters"]
