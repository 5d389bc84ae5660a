"""The dead letters of one run: each built with the run's metadata, then stored where they go.

A dead letter of a run carries its run id, batch and record index, the masked run parameters
and the contract's metadata. It is kept twice: in the run's own memory queue (the result's
``dead_letters``) and in the pipeline's configured queue (``dead_letter_queue`` in load.yaml;
memory for a dry run, which writes nothing). A database target's rejected rows are stored in
their batch's transaction instead (``store_before_commit``), and a run whose target was rolled
back marks its dead letters ``superseded``. Counting them is the run loop's business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .dead_letter import DeadLetterQueue, DeadLetterRecord, DLQReason
from .secrets import mask_params

if TYPE_CHECKING:
    from .orchestrator import ETLOrchestrator

logger = logging.getLogger(__name__)


def open_dlq(orch: ETLOrchestrator, dry_run: bool, session: Any = None) -> DeadLetterQueue:
    """The run's DLQ: memory for dry runs (they write nothing), else what load.yaml names
    (a ``database`` backend without its own url on the run's ``session``)."""
    cfg = orch.config.load.get("dead_letter_queue") or {}
    if dry_run or not cfg.get("enabled", True):
        return DeadLetterQueue(storage_backend="memory", pipeline_name=orch.pipeline_name)
    from .dead_letter.configured import configured_queue

    return configured_queue(orch.config.load, orch.contract_dir, orch.pipeline_name,
                            db_session=session)


class RunDeadLetters:
    """The dead letters of one ``ETLOrchestrator.run`` call (see the module docstring)."""

    def __init__(self, orch: ETLOrchestrator, *, run_id: str, params: dict[str, Any],
                 dry_run: bool, session: Any = None) -> None:
        self.orch = orch
        #: The run id the letters carry; a resumed run takes the killed run's id.
        self.run_id = run_id
        self.params = params
        self.dry_run = dry_run
        #: The pipeline's configured queue.
        self.queue = open_dlq(orch, dry_run, session)
        #: This run's letters only: the run result's ``dead_letters``.
        self.run_queue = DeadLetterQueue(storage_backend="memory", pipeline_name=orch.pipeline_name)
        self._stored: dict[int, list[DeadLetterRecord]] = {}  # by batch, see store_before_commit

    def letter(
        self,
        record: Any,
        *,
        reason: str,
        stage: str,
        message: str,
        error_type: str,
        batch_index: int,
        record_index: int | None = None,
        field: str | None = None,
        tb: str | None = None,
    ) -> DeadLetterRecord:
        """The dead letter of one record, with the run's metadata and the message masked."""
        metadata: dict[str, Any] = {"run_id": self.run_id, "batch_index": batch_index}
        if record_index is not None:
            metadata["record_index"] = record_index
        if field:
            metadata["field"] = field
        if tb:
            metadata["traceback"] = tb
        if self.params:
            metadata["params"] = mask_params(self.params)
        if self.orch.contract_metadata:
            metadata["contract"] = self.orch.contract_metadata
        return DeadLetterRecord(
            pipeline_name=self.orch.pipeline_name,
            record_data=record if isinstance(record, dict) else {"value": record},
            reason=DLQReason(reason) if reason in DLQReason._value2member_map_ else DLQReason.UNKNOWN,
            error_message=self.orch.mask(message),
            error_type=error_type,
            stage=stage,
            metadata=metadata,
        )

    def rejected(self, rows: Iterable[Any], *, stage: str, batch_index: int,
                 reason: str | None = None) -> list[DeadLetterRecord]:
        """Dead letters for rows a stage rejected (``record``, ``index``, ``message``,
        ``error_type``, ``field``, and ``reason`` unless given)."""
        return [self.letter(r.record, reason=reason or r.reason, stage=stage,
                            message=r.message, error_type=r.error_type,
                            batch_index=batch_index, record_index=r.index, field=r.field)
                for r in rows]

    async def store(self, records: list[DeadLetterRecord], stored: bool = False) -> None:
        """Keep ``records`` in the run's queue and write them to the configured one (unless
        ``stored``: they are in it already); a failed write raises ``DeadLetterWriteError``."""
        self.run_queue.add_records(records)
        if self.queue.storage_backend != "memory" and not stored:
            await asyncio.to_thread(self.queue.add_records, records)

    def store_before_commit(self, load_result: Any, batch_index: int, conn: Any
                            ) -> Callable[[], None]:
        """A database batch's rejected rows, stored in its transaction before the commit (on
        the session's thread; the session's ``reject_hook``); ``take_stored`` then hands them
        over to be counted, so a kill after the commit loses none. Returns how to take them
        back if the batch does not commit."""
        letters = self.rejected(load_result.rejected, stage="load", batch_index=batch_index,
                                reason="load_error")
        undo = self.queue.add_records_before_commit(letters, conn)
        self._stored[batch_index] = letters
        return undo

    def take_stored(self, batch_index: int) -> list[DeadLetterRecord] | None:
        """The letters ``store_before_commit`` stored for this batch, or None."""
        return self._stored.pop(batch_index, None)

    async def discard_from_batch(self, batch_index: int) -> None:
        """Drop this run's letters of ``batch_index`` and later from the configured queue: a
        resume redoes those batches, so each record is dead-lettered exactly once."""
        await asyncio.to_thread(self.queue.discard_from_batch, self.run_id, batch_index)

    async def supersede(self) -> None:
        """The target was rolled back and nothing resumes: this run's pending dead letters
        become ``superseded``, so a rerun's own do not double them and replay refuses them."""
        if self.dry_run:
            return
        try:
            self.run_queue.supersede_run(self.run_id)
            if self.queue.storage_backend != "memory":
                await asyncio.to_thread(self.queue.supersede_run, self.run_id)
        except Exception as exc:  # never hide the run's own error behind this one
            logger.warning("Could not mark the dead letters of run %s superseded: %s",
                           self.run_id, self.orch.mask(str(exc)))


__all__ = ["RunDeadLetters", "open_dlq"]
