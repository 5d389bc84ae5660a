"""One execution of a pipeline: the batch loop, accounting, checkpoints and clean-up.

The run's dead letters (their metadata and where they are stored) are ``run_dead_letters.py``'s;
``PipelineRun`` counts them and decides when they are stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from contextlib import aclosing
from typing import TYPE_CHECKING, Any

from .checkpoints import CheckpointManager, newer_state, resume_point, run_fingerprints
from .config.params import record_params
from .dead_letter import DeadLetterRecord, DeadLetterWriteError
from .errors import PycharterError, is_transient
from .extractors.factory import get_extractor
from .loaders.base import (
    BatchTransactionalSession,
    ForgettingSession,
    LoadSession,
    SuspendableSession,
    open_load_session,
)
from .loaders.run_lock import target_lock
from .progress import ProgressTracker
from .run_dead_letters import RunDeadLetters, open_dlq  # open_dlq: distributed/runner.py
from .run_stats import RunStats
from .secrets import mask_params
from .validation_blocks import QUARANTINE_REASON, ValidationBlock, validation_blocks

if TYPE_CHECKING:
    from .orchestrator import ETLOrchestrator

__all__ = ["PipelineRun", "open_dlq"]

logger = logging.getLogger(__name__)

_MIN_BATCHES_FOR_THRESHOLD = 3


def _memory_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 1_048_576


class PipelineRun:
    """State of one ``ETLOrchestrator.run`` call."""

    def __init__(self, orchestrator: ETLOrchestrator, **options: Any) -> None:
        self.orch = orchestrator
        self.run_id: str = options["run_id"]
        self.params: dict[str, Any] = options["params"]
        self.transform_kwargs: dict[str, Any] = options["transform_kwargs"]
        self.dry_run: bool = options["dry_run"]
        self.checkpoint_id: str = options["checkpoint_id"]
        self.resume: bool = options["resume"]
        self.batch_size: int = int(options["batch_size"])
        self.max_records: int | None = options["max_records"]
        self.max_retries: int = options["max_retries"]
        self.error_threshold: float | None = options["error_threshold"]
        self.session: Any = options.get("session")
        self.record_params = record_params(orchestrator.config.extract,
                                           orchestrator.config.transform, self.transform_kwargs)
        self.stats = RunStats()
        self.letters = RunDeadLetters(orchestrator, run_id=self.run_id, params=self.params,
                                      dry_run=self.dry_run, session=self.session)
        self.checkpoints = CheckpointManager(
            None if self.dry_run else orchestrator.checkpoint_dir
        )
        self.tracker = ProgressTracker(callback=orchestrator.progress_callback, verbose=orchestrator.verbose)
        self._pending_bad: list[tuple[dict[str, Any], str]] = []
        self._bad_records = 0  # extracted records that did not come from the source stream
        self._resume_records = 0  # source records consumed by the run this one resumes
        self._fingerprints: dict[str, str] = {}
        self.extractor: Any = None  # set by the strategy that reads; its watermark is saved
        self.blocks: dict[str, ValidationBlock] = {}

    # -- dead letters (built and stored by self.letters, counted here) -------------------------
    def rejected_letters(self, rows: Iterable[Any], *, stage: str, batch_index: int,
                         reason: str | None = None) -> list[DeadLetterRecord]:
        """Dead letters for rows a stage rejected (``record``, ``index``, ``message``,
        ``error_type``, ``field``, and ``reason`` unless given)."""
        return self.letters.rejected(rows, stage=stage, batch_index=batch_index, reason=reason)

    async def store_dead_letters(self, records: list[DeadLetterRecord], stored: bool = False) -> None:
        """Count and store dead letters (``stored``: only count, they are in the DLQ already);
        a failed write raises ``DeadLetterWriteError`` (the records are in the fallback file
        it names), which fails the run."""
        if not records:
            return
        self.stats.dead_lettered += len(records)
        for rec in records:
            self.stats.dlq_by_reason[rec.reason.value] += 1
        await self.letters.store(records, stored=stored)

    def _save_checkpoint(self, batches_done: int) -> None:
        self.checkpoints.save(self.checkpoint_id, "load", batches_done, self.stats.extracted,
                              mask_params(self.params), metadata=self._checkpoint_metadata(self.stats))

    def _checkpoint_metadata(self, stats: RunStats) -> dict[str, Any]:
        """What a resume needs besides the batch count: the counts, the run id, the source
        position (records of the stream consumed) and the inputs' fingerprints."""
        return {"stats": stats.to_checkpoint(), "run_id": self.run_id,
                "position": stats.extracted - self._bad_records, "fingerprints": self._fingerprints}

    # -- the loop ----------------------------------------------------------------------------
    async def execute(self, started: float) -> dict[str, Any]:
        """Run under the target's run lock (none for dry runs); a held lock fails the run."""
        try:
            lock = (contextlib.nullcontext() if self.dry_run else
                    target_lock(self.orch.config.load, run_id=self.run_id))
            with lock:
                return await self._execute(started)
        except PycharterError as exc:  # the lock or a refused resume; _execute reports the rest
            return self.stats.result(
                success=False, error=self.orch.mask(exc.user_message), run_id=self.run_id,
                pipeline=self.orch.pipeline_name, dry_run=self.dry_run,
                duration=time.monotonic() - started, dead_letters=self.letters.run_queue)

    async def _execute(self, started: float) -> dict[str, Any]:
        orch = self.orch
        if self.checkpoints.enabled:
            await asyncio.to_thread(self.checkpoints.ensure_writable)
            self._fingerprints = await asyncio.to_thread(run_fingerprints, orch, self.params)
        state = self.checkpoints.load(self.checkpoint_id) if self.resume else None
        if state is not None:
            from .database.progress import committed_progress

            state = newer_state(state, await asyncio.to_thread(
                committed_progress, self._load_config(), self.checkpoint_id))
        if not self.resume:
            self.checkpoints.delete(self.checkpoint_id)
        resume_batches = 0
        resumed = state is not None and bool(state.metadata) and "stats" in state.metadata
        if resumed:
            resume_batches, self._resume_records = resume_point(state, self._fingerprints)
            self.stats = RunStats.from_checkpoint(state.metadata["stats"])
            self._bad_records = self.stats.extracted - self._resume_records
            # The resumed run continues the killed one, under the same run id.
            self.run_id = self.letters.run_id = str(state.metadata.get("run_id") or self.run_id)
            logger.info("Resuming %s after %d committed batches", orch.pipeline_name, resume_batches)

        session: LoadSession | None = None
        committed: LoadSession | None = None
        error: str | None = None
        completed = False
        self.tracker.start()
        try:
            from .transformers import ContractValidator, compile_transform

            compiled = compile_transform(orch.config.transform)
            validator = ContractValidator(orch.config.contract) if orch.config.contract else None
            self.blocks = validation_blocks(orch.config.extract, orch.config.load)
            if resumed:
                # Batches the checkpoint does not cover are redone with their dead letters, so
                # the killed attempt's go first: each record is dead-lettered exactly once.
                await self.letters.discard_from_batch(resume_batches)
            else:
                self._save_checkpoint(0)  # a kill in the first batch resumes with this run id
            session = open_load_session(self._load_config(), dry_run=self.dry_run,
                                        run_key=self.checkpoint_id, resumable=self.checkpoints.enabled)
            if self.checkpoints.enabled and isinstance(session, BatchTransactionalSession):
                session.progress_hook = self._state_after
            if not self.dry_run and isinstance(session, BatchTransactionalSession):
                session.reject_hook = self.letters.store_before_commit  # before the commit
            await session.open(resume_batches=resume_batches)
            error = await self._loop(session, compiled, validator, resume_batches)
            summary = await session.commit()
            if isinstance(summary, dict):  # e.g. a create_table that found no columns
                self.stats.notes += [str(w) for w in summary.get("warnings") or []]
            committed, session = session, None
            completed = True
        except asyncio.CancelledError:
            await self._cleanup(session)
            raise
        except PycharterError as exc:
            error = orch.mask(exc.user_message)
            logger.error("Pipeline %s failed: %s", orch.pipeline_name, error)
        except Exception as exc:
            error = orch.mask(f"{type(exc).__name__}: {exc}")
            logger.error("Pipeline %s failed:\n%s", orch.pipeline_name, orch.mask(traceback.format_exc()))
        finally:
            if session is not None:
                await self._cleanup(session)
                if not self.dry_run and not isinstance(session, BatchTransactionalSession):
                    self.stats.discard_loads()  # staged batches never reached the target

        success = error is None and not self.stats.failed_batches
        if error is None and self.stats.failed_batches:
            error = self.stats.failed_batches[0]["error"]
        if completed:
            self.checkpoints.delete(self.checkpoint_id)
            if isinstance(committed, ForgettingSession):  # e.g. a file append's commit marker
                await committed.forget()
        if success:
            self._save_watermark()
        return self.stats.result(
            success=success,
            error=error,
            run_id=self.run_id,
            pipeline=orch.pipeline_name,
            dry_run=self.dry_run,
            duration=time.monotonic() - started,
            dead_letters=self.letters.run_queue,
        )

    async def _cleanup(self, session: LoadSession | None) -> None:
        """After a failure or cancel: keep committed parts when a rerun can resume, else undo."""
        if session is None:
            return
        can_resume = self.orch.checkpoint_dir is not None and not self.dry_run
        if can_resume and isinstance(session, SuspendableSession):
            await session.suspend()
        else:
            await session.abort()
            if not isinstance(session, BatchTransactionalSession):
                self.checkpoints.delete(self.checkpoint_id)  # nothing left to resume from
                await self.letters.supersede()

    def _load_config(self) -> dict[str, Any]:
        """The load config; a database target that may create its table gets the contract's
        JSON Schema, whose declared column types win over the ones inferred from records."""
        cfg = self.orch.config.load
        schema = (self.orch.config.contract or {}).get("schema")
        if cfg.get("type") == "database" and cfg.get("create_table") and isinstance(schema, dict):
            from .database.load import CONTRACT_SCHEMA_KEY

            cfg = {**cfg, CONTRACT_SCHEMA_KEY: schema}
        if self.session is not None:
            from .database.load import SESSION_KEY

            cfg = {**cfg, SESSION_KEY: self.session}
        return cfg

    def extract_config(self) -> dict[str, Any]:
        """The extract config, with the stored watermark for incremental database sources."""
        cfg = self.orch.config.extract
        inc = cfg.get("incremental")
        if not inc or self.orch.contract_dir is None:
            return cfg
        from .database.watermark import load_watermark, with_last_value

        last = load_watermark(self.orch.contract_dir, self.checkpoint_id, inc["column"])
        return with_last_value(cfg, last)

    def _save_watermark(self) -> None:
        inc = self.orch.config.extract.get("incremental")
        if not inc or self.dry_run or self.orch.contract_dir is None or self.extractor is None:
            return
        from .database.watermark import save_watermark

        save_watermark(self.orch.contract_dir, self.checkpoint_id, inc["column"],
                       getattr(self.extractor, "watermark", None))

    async def _loop(self, session: LoadSession, compiled: Any, validator: Any, resume_batches: int) -> str | None:
        from .columnar import run_columnar  # Arrow fast path when exact (columnar/plan.py)

        handled, outcome = (False, None) if self._resume_records or self.blocks else (
            await run_columnar(self, session, compiled, validator, resume_batches))
        if handled:
            return outcome
        orch = self.orch
        extract_cfg = self.extract_config()
        extractor = self.extractor = get_extractor(extract_cfg)
        extractor.validate_config(extract_cfg)
        if hasattr(extractor, "on_bad_record"):
            extractor.on_bad_record = lambda rec, msg: self._pending_bad.append((rec, msg))
        stream = extractor.extract_streaming(
            extract_cfg,
            self.params,
            orch.config.extract.get("headers"),
            orch.contract_dir,
            self.batch_size,
            self.max_records,
            orch.config_context,
        )
        batch_index = resume_batches - 1
        skip = self._resume_records
        async with aclosing(stream) as batches:
            async for batch in batches:
                if skip:  # consumed by the run we resume, whatever its batch size
                    if len(batch) <= skip:
                        skip -= len(batch)
                        self._pending_bad.clear()  # dead-lettered by the run we resume
                        continue
                    batch, skip = batch[skip:], 0
                batch_index += 1
                await self.process_batch(batch, batch_index, session, compiled, validator)
                if (stop := self.after_batch(batch_index)) is not None:
                    return stop
            # Bad lines after the last batch belong to no committed batch: number them after it.
            await self.flush_bad_records(batch_index + 1)
        return None

    # -- the batch interface of every run strategy (the dict loop above, columnar/runner.py):
    #    start_batch, then process_batch (dict path) or the strategy's own transform with
    #    store_dead_letters / write_with_retries / record_load, then after_batch.
    async def start_batch(self, batch_index: int, size: int) -> None:
        """Before a batch of ``size`` extracted records: records the extractor could not parse
        go to the DLQ first, then the batch is counted as extracted."""
        await self.flush_bad_records(batch_index)
        self.stats.extracted += size
        self.stats.extract_batches += 1

    def after_batch(self, batch_index: int) -> str | None:
        """After a batch: why the run stops at the error threshold, else None; raises when
        the run uses more memory than ``max_memory_mb``."""
        if self._over_error_threshold():
            return self.threshold_error()
        self._check_memory(batch_index)
        return None

    async def flush_bad_records(self, batch_index: int) -> None:
        """Records the extractor could not parse (bad JSON lines, non-objects) go to the DLQ."""
        if not self._pending_bad:
            return
        bad, self._pending_bad = self._pending_bad, []
        self._bad_records += len(bad)
        self.stats.extracted += len(bad)
        await self.store_dead_letters([
            self.letters.letter(rec, reason="extraction_error", stage="extract", message=msg,
                                error_type="ExtractionError", batch_index=max(batch_index, 0))
            for rec, msg in bad
        ])

    async def process_batch(
        self, batch: list[dict[str, Any]], batch_index: int, session: LoadSession, compiled: Any, validator: Any
    ) -> None:
        """The dict path for one extracted batch: transform, validate, load and account it."""
        stats = self.stats
        await self.start_batch(batch_index, len(batch))
        batch = await self._check_block("extract", batch, batch_index)
        if self.record_params:  # the 0.0.20 dialect writes run params into every record
            batch = [{**record, **self.record_params} for record in batch]

        result = await asyncio.to_thread(compiled.apply, batch, **self.transform_kwargs)
        stats.transform_batches += 1
        stats.filtered += result.filtered
        stats.added += result.added
        stats.warnings += len(result.warnings)
        records = result.records
        dead = [
            self.letters.letter(r.record, reason=r.reason, stage="transform", message=r.message,
                                error_type=r.error_type, batch_index=batch_index,
                                record_index=r.index, field=r.field, tb=r.traceback)
            for r in result.rejected
        ]
        if validator is not None and records:
            records, invalid = validator.validate(records)
            dead += self.rejected_letters(invalid, stage="validate", batch_index=batch_index)
        await self.store_dead_letters(dead)
        records = await self._check_block("load", records, batch_index)
        stats.transformed += len(records)

        load_result = await self.write_with_retries(
            lambda: session.write_batch(records, batch_index), batch_index, lambda: records)
        await self.record_load(load_result, batch_index)

    async def _check_block(self, stage: str, records: list[dict[str, Any]], batch_index: int
                           ) -> list[dict[str, Any]]:
        """Apply the extract.yaml/load.yaml ``validation:`` block of ``stage`` to a batch."""
        block = self.blocks.get(stage)
        if block is None or not records:
            return records
        outcome = await asyncio.to_thread(block.check, records, batch_index)
        self.stats.filtered += outcome.skipped
        self.stats.warnings += outcome.skipped + outcome.warned
        await self.store_dead_letters(self.rejected_letters(
            outcome.quarantined, stage="validate", batch_index=batch_index,
            reason=QUARANTINE_REASON))
        return outcome.records

    async def record_load(self, load_result: Any, batch_index: int) -> None:
        """Account a written batch: counts, its rejected rows to the DLQ, checkpoint, progress.

        ``load_result`` is None when the batch failed as a whole (already dead-lettered).
        """
        if load_result is None:
            return
        stats = self.stats
        stats.count_load(load_result)
        stored = self.letters.take_stored(batch_index)
        await self.store_dead_letters(stored if stored is not None else self.rejected_letters(
            load_result.rejected, stage="load", batch_index=batch_index, reason="load_error"),
            stored=stored is not None)
        self._save_checkpoint(batch_index + 1)
        self.tracker.report(
            "load", batch_index + 1, stats.extracted,
            memory_usage_mb=_memory_mb(), error_count=stats.dead_lettered,
        )

    def _state_after(self, load_result: Any, batch_index: int) -> dict[str, Any]:
        """The checkpoint ``record_load`` will save after this batch: a database target
        commits it with the batch (database/progress.py), so a kill in between replays nothing."""
        stats = RunStats.from_checkpoint(self.stats.to_checkpoint())
        stats.count_load(load_result)
        stats.dead_lettered += len(load_result.rejected)
        stats.dlq_by_reason["load_error"] += len(load_result.rejected)
        return {"batch_num": batch_index + 1, "records_processed": stats.extracted,
                "metadata": self._checkpoint_metadata(stats)}

    async def write_with_retries(self, write: Callable[[], Awaitable[Any]], batch_index: int,
                                 records: Callable[[], list[dict[str, Any]]]) -> Any:
        """``await write()``, retried on transient errors up to ``max_retries`` times; when it
        still fails, the batch is recorded as failed, ``records()`` are dead-lettered and None
        is returned. Every run strategy writes its batches through this."""
        attempt = 0
        while True:
            try:
                return await write()
            except (asyncio.CancelledError, DeadLetterWriteError):  # the DLQ fails the run
                raise
            except Exception as exc:
                attempt += 1
                retriable = is_transient(exc)
                if retriable and attempt <= self.max_retries:
                    await asyncio.sleep(min(2 ** (attempt - 1), 10))
                    continue
                message = self.orch.mask(getattr(exc, "user_message", None) or f"{type(exc).__name__}: {exc}")
                self.stats.failed_batches.append({"batch_index": batch_index, "stage": "load", "error": message})
                await self.store_dead_letters([
                    self.letters.letter(r, reason="connection_error" if retriable else "load_error",
                                        stage="load", message=message, error_type=type(exc).__name__,
                                        batch_index=batch_index, record_index=i)
                    for i, r in enumerate(records())
                ])
                return None

    def _over_error_threshold(self) -> bool:
        if self.error_threshold is None or self.stats.extract_batches < _MIN_BATCHES_FOR_THRESHOLD:
            return False
        return len(self.stats.failed_batches) / self.stats.extract_batches > self.error_threshold

    def threshold_error(self) -> str:
        """Why the run stopped at the error threshold, and where that threshold is set."""
        return (
            f"Aborted: {len(self.stats.failed_batches)} of {self.stats.extract_batches} batches "
            f"failed as a whole, more than error_threshold={self.error_threshold:g} (the share of "
            "failed batches that stops a run). It is not a pipeline file key: set it with "
            "ETLOrchestrator.run(error_threshold=...) or pycharter-etl run --error-threshold "
            "(default 0.1)."
        )

    def _check_memory(self, batch_index: int) -> None:
        limit = self.orch.max_memory_mb
        if not limit:
            return
        used = _memory_mb()
        if used > limit:
            gc.collect()
            used = _memory_mb()
        if used > limit:
            raise PycharterError(
                f"Memory limit exceeded: the run uses {used:.0f} MB (max_memory_mb={limit:g}) "
                f"after batch {batch_index + 1}. Lower batch_size or raise max_memory_mb."
            )
