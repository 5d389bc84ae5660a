"""How a run reads in the Run panel: its target, its progress line and its summary (Qt-free).

Plain functions of the engine's orchestrator, progress and result objects, so the panel only
places the text (and the wording is the same for a run shown or switched back to).
"""

from __future__ import annotations

from typing import Any

from pycharter_gui.etl_generator import ETLOrchestrator

from ..run_history import summary_counts


def describe_target(orch: ETLOrchestrator) -> str:
    """Where a real run writes, for the confirmation and the summary (no secrets)."""
    load = orch.config.load
    kind = load.get("type")
    if kind == "file":
        return f"{load.get('format') or 'file'} file {load.get('path')} ({load.get('write_mode', 'overwrite')})"
    if kind == "database":
        url = orch.mask(str(load.get("url") or "")).split("?", 1)[0]
        return f"table {load.get('table')} in {url} ({load.get('write_method', 'insert')})"
    storage = load.get("storage") or {}
    return f"{kind} {storage.get('provider', '')} {storage.get('bucket', '')}/{storage.get('path', '')}".strip()


def duration_text(seconds: float) -> str:
    """``0.42 s``, ``12.5 s`` or ``3 min 07 s``."""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


def progress_text(p: Any) -> str:
    """The status line of a running run's progress ``p`` (records, batches or Dask
    partitions, rate, elapsed and remaining time, dead letters)."""
    if getattr(p, "partitions_total", 0):  # a Dask run reports per finished partition
        text = (f"{p.records_processed:,} records · partition {p.partitions_done}/"
                f"{p.partitions_total} done · {duration_text(p.elapsed_seconds)} elapsed")
    else:
        text = (f"{p.records_processed:,} records · {p.batch_num:,} batch{'' if p.batch_num == 1 else 'es'} · "
                f"{p.rate_per_second:,.0f} rec/s · {duration_text(p.elapsed_seconds)} elapsed")
    if p.records_total and p.estimated_remaining_seconds is not None:
        text += f" · about {duration_text(p.estimated_remaining_seconds)} left"
    if p.error_count:
        text += f" · {p.error_count:,} dead-lettered"
    return text


def summary_text(result: dict[str, Any]) -> str:
    """The summary of a finished run's ``result`` (rich text): outcome, time and counts."""
    counts = summary_counts(result)
    load_word = "would load" if result.get("dry_run") else "loaded"
    by_reason = ", ".join(f"{k}: {v:,}" for k, v in sorted(counts["dlq_by_reason"].items()))
    took = duration_text(result.get("duration_seconds") or 0)
    parts = [f"<b>{'Dry run' if result.get('dry_run') else 'Run'} "
             f"{'finished' if result.get('success') else 'failed'}</b> in {took}",
             f"extracted {counts['extracted']:,}", f"transformed {counts['transformed']:,}",
             f"filtered {counts['filtered']:,}", f"{load_word} {counts['loaded']:,}"
             + (f" ({counts['inserted']:,} inserts, {counts['updated']:,} updates)" if counts["updated"] else ""),
             f"dead-lettered {counts['dead_lettered']:,}" + (f" ({by_reason})" if by_reason else "")]
    if result.get("partitions"):
        parts.append(f"{len(result['partitions'])} partitions")
    if result.get("skipped_custom_function"):
        parts.append(f"custom function {result['skipped_custom_function']} skipped (workspace not trusted)")
    return " · ".join(parts)
