"""Progress of a distributed run: one ``PartitionProgress`` per finished partition."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from ..progress import ETLProgress

logger = logging.getLogger(__name__)


@dataclass
class PartitionProgress(ETLProgress):
    """An ``ETLProgress`` (overall counts) plus the partition that just finished.

    ``batch_num``/``total_batches`` count partitions here; ``partition_id`` is None for the
    first report (work submitted).
    """

    partition_id: int | None = None
    partition_success: bool | None = None
    partition_records: int = 0
    partitions_done: int = 0
    partitions_total: int = 0


def report_partition(orch: Any, results: dict[int, dict[str, Any]], pid: int | None,
                     total: int, started: float) -> None:
    """Call the orchestrator's progress callback; a failing callback never breaks the run."""
    callback = getattr(orch, "progress_callback", None)
    if callback is None:
        return
    done = len(results)
    records = sum(int((r.get("extraction") or {}).get("total_records") or 0)
                  for r in results.values())
    elapsed = time.monotonic() - started
    res = results.get(pid, {}) if pid is not None else {}
    remaining = None
    if 0 < done < total:
        remaining = elapsed / done * (total - done)
    progress = PartitionProgress(
        stage="done" if done == total else "load", batch_num=done, total_batches=total,
        records_processed=records, records_total=None, elapsed_seconds=elapsed,
        estimated_remaining_seconds=remaining,
        error_count=sum(int(r.get("dead_lettered") or 0) for r in results.values()),
        rate_per_second=records / elapsed if elapsed > 0 else 0.0,
        stage_counts={"partitions_done": done, "partitions_total": total},
        partition_id=pid, partition_success=res.get("success") if pid is not None else None,
        partition_records=int((res.get("extraction") or {}).get("total_records") or 0),
        partitions_done=done, partitions_total=total,
    )
    try:
        callback(progress)
    except Exception:
        logger.exception("The progress callback failed; the run continues")
