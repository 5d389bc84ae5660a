"""The batch loop of ``run_loop.PipelineRun`` for Arrow batches (the columnar fast path).

It mirrors the file extractor (files in the same order, batches never spanning two files,
``max_records``, ``source_file_column``, one batch read ahead in a worker thread) and the run
loop (resume skip, counts, checkpoints, progress, error threshold, memory check). A batch is
transformed (and prepared for the session) while the one before it is written; every effect
(counts, dead letters, the write, checkpoints) still happens in batch order. A batch whose
table or ops cannot be reproduced exactly goes through ``PipelineRun.process_batch`` with the
dict path's own records, so results never differ; only the cost does. It uses only
``PipelineRun``'s public batch interface (``start_batch`` ... ``after_batch``).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from ..extractors.factory import get_extractor
from ..extractors.file import FileExtractor
from ..extractors.read_ahead import ThreadedIter, drop_read_ahead, read_ahead
from ..loaders.base import ArrowBatchWriter, PreparingArrowWriter
from ..readers import reader_options
from .arrow_ops import apply_ops, merge_fields, to_records
from .plan import SOURCE_FORMATS, ColumnarPlan
from .reader import ArrowBatch, iter_arrow_batches
from .values import for_parquet

if TYPE_CHECKING:
    from ..loaders.base import LoadSession
    from ..run_loop import PipelineRun

logger = logging.getLogger(__name__)

# a transformed batch: (valid table, what the session writes, contract rejects, rows transformed)
_Done = tuple[pa.Table, Any, list[Any], int]


@dataclass
class _Ahead:
    """A batch whose transform was started (``transformed`` is None: dict path)."""

    batch: ArrowBatch
    batch_index: int
    transformed: asyncio.Future[_Done | None] | None


def _with_label(batch: ArrowBatch, column: str, label: str) -> ArrowBatch:
    """``rec[column] = label`` for every record, as the file extractor does."""
    table = batch.table
    if table is not None:
        values = pa.repeat(label, table.num_rows)
        if column in table.column_names:
            table = table.set_column(table.column_names.index(column), column, values)
        else:
            table = table.append_column(column, values)
    make = batch.records

    def records() -> list[dict[str, Any]]:
        recs = make()
        for rec in recs:
            rec[column] = label
        return recs
    return ArrowBatch(table, records, batch.num_rows)


class ColumnarRunner:
    """Runs one pipeline's batches through Arrow; see the module docstring."""

    def __init__(self, run: PipelineRun, plan: ColumnarPlan) -> None:
        self.run = run
        self.plan = plan
        self.fast_batches = 0
        self.fallback_batches = 0
        load = run.orch.config.load or {}
        self._parquet = plan.target == "file" and str(load.get("format")).lower() == "parquet"

    async def _files(self) -> tuple[FileExtractor, dict[str, Any], list[tuple[str, str]], str] | None:
        run = self.run
        extract_cfg = run.extract_config()
        extractor = get_extractor(extract_cfg)
        if not isinstance(extractor, FileExtractor) or type(extractor) is not FileExtractor:
            return None
        try:
            extractor.validate_config(extract_cfg)
            cfg = extractor.canonical(extract_cfg, run.orch.contract_dir, run.orch.config_context)
            files, root = await asyncio.to_thread(extractor.resolve_files, cfg, run.orch.contract_dir)
            formats = [extractor.format_for(cfg, f) for f in files]
        except Exception:  # the dict path raises the same problem with its own wording
            return None
        if any(fmt not in SOURCE_FORMATS for fmt in formats):
            return None
        return extractor, cfg, list(zip(files, formats, strict=True)), root

    async def run_loop(self, session: LoadSession, compiled: Any, validator: Any,
                       resume_batches: int) -> tuple[bool, str | None]:
        """``(False, None)`` when the dict loop must run instead (nothing was done yet);
        else ``(True, error_or_None)`` exactly as ``_loop`` returns."""
        found = await self._files()
        if found is None:
            return False, None
        run = self.run
        extractor, cfg, files, root = found
        run.extractor = extractor
        size = int(run.batch_size or cfg["batch_size"])
        limit = run.max_records if run.max_records is not None else cfg.get("max_records")
        remaining = None if limit is None else max(0, int(limit))
        options = reader_options(cfg)
        source_col = cfg.get("source_file_column")
        batch_index = -1
        for path, fmt in files:
            if remaining == 0:
                break
            label = Path(os.path.relpath(path, root)).as_posix()
            pump = ThreadedIter(iter_arrow_batches(path, fmt, options, size))
            pending: asyncio.Future[Any] | None = read_ahead(pump)
            started: list[_Ahead] = []  # transformed, not yet written (oldest first)
            try:
                while pending is not None:
                    try:
                        batch = await pending
                    except Exception:
                        # the batch read before is written first, as on the dict path
                        if started and (stop := await self._finish_oldest(
                                started, session, compiled, validator)) is not None:
                            return True, stop
                        raise
                    if batch is None:
                        break
                    pending = None
                    if remaining is not None:
                        batch = batch.head(remaining)
                        remaining -= batch.num_rows
                    if source_col:
                        batch = _with_label(batch, source_col, label)
                    if remaining != 0:
                        pending = read_ahead(pump)
                    if batch.num_rows:
                        batch_index += 1
                        if batch_index >= resume_batches:
                            started.append(self._start(batch, batch_index, session, validator))
                            if len(started) > 1 and (stop := await self._finish_oldest(
                                    started, session, compiled, validator)) is not None:
                                return True, stop
                    if remaining == 0:
                        break
                if started and (stop := await self._finish_oldest(
                        started, session, compiled, validator)) is not None:
                    return True, stop
            finally:
                for left in started:  # a stop, an error or a cancel: nothing keeps running
                    await drop_read_ahead(left.transformed)
                await drop_read_ahead(pending)
                pump.close()
        await run.flush_bad_records(batch_index)
        logger.debug("columnar run: %d batches fast, %d through the dict path",
                     self.fast_batches, self.fallback_batches)
        return True, None

    def _start(self, batch: ArrowBatch, batch_index: int, session: LoadSession,
               validator: Any) -> _Ahead:
        """Start the batch's transform in a worker thread: it runs while the batch before it is
        written (ops, JSONata and contract are pure; results are applied in batch order)."""
        future = None
        if batch.table is not None:
            future = asyncio.ensure_future(
                asyncio.to_thread(self._transform, batch.table, validator, session))
        return _Ahead(batch, batch_index, future)

    async def _finish_oldest(self, started: list[_Ahead], session: LoadSession, compiled: Any,
                             validator: Any) -> str | None:
        """:meth:`_finish` the oldest started batch; it leaves ``started`` only once done, so a
        cancel or an error on the way still finds its transform to wait for."""
        stop = await self._finish(started[0], session, compiled, validator)
        started.pop(0)
        return stop

    async def _finish(self, ahead: _Ahead, session: LoadSession, compiled: Any,
                      validator: Any) -> str | None:
        """``PipelineRun.process_batch`` for a started batch (or that method itself when the
        batch must take the dict path), then ``after_batch``: its stop reason or None."""
        run, stats = self.run, self.run.stats
        batch, batch_index = ahead.batch, ahead.batch_index
        # A cancel asked for while the previous batch finished (its progress callback) takes
        # effect here, before this batch writes: awaiting what is already done never yields.
        await asyncio.sleep(0)
        done: _Done | None = None
        if ahead.transformed is not None:
            try:
                done = await ahead.transformed
            except Exception:  # anything unexpected: the dict path is always right
                logger.debug("columnar ops failed; batch %d via dicts", batch_index, exc_info=True)
                done = None
        if done is None:
            self.fallback_batches += 1
            records = await asyncio.to_thread(batch.records)
            await run.process_batch(records, batch_index, session, compiled, validator)
            return run.after_batch(batch_index)
        out, payload, invalid, transformed = done
        self.fast_batches += 1
        await run.start_batch(batch_index, batch.num_rows)
        stats.transform_batches += 1
        stats.filtered += batch.num_rows - transformed  # only filter drops rows here
        stats.transformed += out.num_rows
        await run.store_dead_letters(run.rejected_letters(invalid, stage="validate",
                                                          batch_index=batch_index))
        load_result = await run.write_with_retries(
            lambda: self._write(session, payload, batch_index), batch_index,
            lambda: to_records(out))
        await run.record_load(load_result, batch_index)
        return run.after_batch(batch_index)

    def _transform(self, table: pa.Table, validator: Any, session: LoadSession) -> _Done | None:
        """The batch's ops, JSONata fields and contract check: ``(valid table, what the
        session writes for it, rejected by the contract, rows transformed)``; None when the
        batch must take the dict path."""
        out = apply_ops(table, self.plan.ops)
        if out is not None and self.plan.jsonata is not None:
            out = merge_fields(out, self.plan.jsonata(out))
        if out is None:
            return None
        transformed = out.num_rows
        invalid: list[Any] = []
        if validator is not None:
            out, invalid = validator.validate_table(out)
            if not out.num_rows:
                return None  # nothing left to write: the dict path handles the empty batch
        if self._parquet:
            out = for_parquet(out)
        if out is None:
            return None
        payload = (session.prepare_arrow_batch(out) if isinstance(session, PreparingArrowWriter)
                   else out)
        return out, payload, invalid, transformed

    async def _write(self, session: LoadSession, payload: Any, batch_index: int) -> Any:
        """Write ``payload`` (the table, or what ``prepare_arrow_batch`` made of it)."""
        if isinstance(session, ArrowBatchWriter):
            return await session.write_arrow_batch(payload, batch_index)
        records = await asyncio.to_thread(to_records, payload)
        return await session.write_batch(records, batch_index)
