"""Progress reporting: ``ETLProgress`` snapshots, ``ProgressTracker``, and a terminal bar.

The tracker calls a user callback (the designer's task handle, or ``TerminalProgress`` in the
CLI) with an ``ETLProgress`` after every batch. A failing callback is logged and ignored: a
progress display must never break a run.
"""

from __future__ import annotations

import logging
import math
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

logger = logging.getLogger(__name__)

_STAGE_ICONS = {"extract": "📥", "transform": "🔄", "validate": "🔎", "load": "📤", "done": "✅"}


def format_duration(seconds: float) -> str:
    """Short human duration: ``4.2s``, ``3m 05s``, ``2h 07m``."""
    seconds = max(0.0, float(seconds))
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m"


@dataclass
class ETLProgress:
    """A snapshot of a run's progress (config-format §8), passed to progress callbacks."""

    stage: str
    batch_num: int
    total_batches: int | None
    records_processed: int
    records_total: int | None
    elapsed_seconds: float
    estimated_remaining_seconds: float | None
    memory_usage_mb: float | None = None
    error_count: int = 0
    rate_per_second: float = 0.0
    stage_counts: dict[str, int] = field(default_factory=dict)

    @property
    def percent(self) -> float | None:
        """Completion in percent when the total is known."""
        if not self.records_total:
            return None
        return min(100.0, 100.0 * self.records_processed / self.records_total)

    def __str__(self) -> str:
        icon = _STAGE_ICONS.get(self.stage, "⏳")
        batch = f"Batch {self.batch_num}" + (f"/{self.total_batches}" if self.total_batches else "")
        records = f"{self.records_processed:,}"
        if self.records_total:
            records += f"/{self.records_total:,} records ({self.percent:.1f}%)"
        else:
            records += " records"
        parts = [f"{icon} [{self.stage.upper()}] {batch}", records]
        if self.rate_per_second:
            parts.append(f"{self.rate_per_second:,.0f} rec/s")
        timing = f"{format_duration(self.elapsed_seconds)} elapsed"
        if self.estimated_remaining_seconds is not None:
            timing += f", ~{format_duration(self.estimated_remaining_seconds)} left"
        parts.append(timing)
        if self.memory_usage_mb is not None:
            parts.append(f"{self.memory_usage_mb:,.1f} MB")
        if self.error_count:
            parts.append(f"{self.error_count:,} error{'s' if self.error_count != 1 else ''}")
        return " | ".join(parts)


ProgressCallback = Callable[[ETLProgress], object]


class ProgressTracker:
    """Builds ``ETLProgress`` snapshots with rate and ETA, and hands them to a callback."""

    def __init__(
        self,
        callback: ProgressCallback | None = None,
        verbose: bool = True,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.callback = callback
        self.verbose = verbose
        self._clock = clock
        self.start_time: float | None = None
        self.stage_start_time: float | None = None
        self.batch_times: deque[float] = deque(maxlen=10)
        self.stage_counts: dict[str, int] = {}
        self.last_progress: ETLProgress | None = None

    def start(self) -> None:
        """Start (or restart) timing the run."""
        now = self._clock()
        self.start_time = now
        self.stage_start_time = now
        self.batch_times.clear()
        self.stage_counts = {}

    def reset_stage(self) -> None:
        """Start timing a new stage: its rate and batch times start afresh."""
        self.stage_start_time = self._clock()
        self.batch_times.clear()

    def record_batch_time(self, seconds: float) -> None:
        """Remember how long a batch took (the last 10 are used for the estimate)."""
        self.batch_times.append(float(seconds))

    def _estimate(
        self, batch_num: int, processed: int, total: int | None, rate: float
    ) -> float | None:
        if not total or processed <= 0:
            return None
        remaining = max(0, total - processed)
        if remaining == 0:
            return 0.0
        if self.batch_times and batch_num > 0:
            per_batch = processed / batch_num
            batches_left = math.ceil(remaining / per_batch)
            return batches_left * (sum(self.batch_times) / len(self.batch_times))
        return remaining / rate if rate > 0 else None

    def report(
        self,
        stage: str,
        batch_num: int,
        records_processed: int,
        records_total: int | None = None,
        total_batches: int | None = None,
        memory_usage_mb: float | None = None,
        error_count: int = 0,
    ) -> ETLProgress:
        """Build a snapshot, give it to the callback (errors logged, not raised), log it."""
        if self.start_time is None:
            self.start()
        now = self._clock()
        start = self.start_time if self.start_time is not None else now
        stage_start = self.stage_start_time if self.stage_start_time is not None else start
        elapsed = now - start
        stage_elapsed = now - stage_start
        rate = records_processed / stage_elapsed if stage_elapsed > 0 else 0.0
        self.stage_counts[stage] = records_processed
        progress = ETLProgress(
            stage=stage,
            batch_num=batch_num,
            total_batches=total_batches,
            records_processed=records_processed,
            records_total=records_total,
            elapsed_seconds=elapsed,
            estimated_remaining_seconds=self._estimate(batch_num, records_processed, records_total, rate),
            memory_usage_mb=memory_usage_mb,
            error_count=error_count,
            rate_per_second=rate,
            stage_counts=dict(self.stage_counts),
        )
        self.last_progress = progress
        if self.callback is not None:
            try:
                self.callback(progress)
            except Exception:  # a progress display must never break the run
                logger.exception("Progress callback %r failed; continuing", self.callback)
        if self.verbose:
            logger.info("%s", progress)
        return progress


class TerminalProgress:
    """A progress callback for the CLI: a redrawn bar on a TTY, plain throttled lines otherwise.

    On a TTY each update rewrites one line with ``\\r``; elsewhere (logs, CI) a line is printed
    at most every ``min_interval`` seconds. Call ``close()`` at the end to finish the line and
    print the last state if it was throttled away.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        is_tty: bool | None = None,
        min_interval: float = 2.0,
        width: int = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream = stream if stream is not None else sys.stderr
        if is_tty is None:
            isatty = getattr(self.stream, "isatty", None)
            is_tty = bool(isatty and isatty())
        self.is_tty = is_tty
        self.min_interval = min_interval
        self.width = width
        self._clock = clock
        self._last_emit: float | None = None
        self._last_len = 0
        self._pending: ETLProgress | None = None

    def render(self, p: ETLProgress) -> str:
        """The text of one progress line (without the bar on non-TTY streams)."""
        head = f"[{p.stage.upper()}]"
        if p.records_total:
            records = f"{p.records_processed:,}/{p.records_total:,} records"
            if self.is_tty:
                filled = round(self.width * (p.percent or 0.0) / 100)
                head += " |" + "█" * filled + "-" * (self.width - filled) + f"| {p.percent:5.1f}%"
            else:
                head += f" {p.percent:.1f}%"
        else:
            records = f"{p.records_processed:,} records"
        parts = [head, records, f"{p.rate_per_second:,.0f} rec/s", format_duration(p.elapsed_seconds)]
        if p.estimated_remaining_seconds is not None:
            parts.append(f"ETA {format_duration(p.estimated_remaining_seconds)}")
        if p.error_count:
            parts.append(f"{p.error_count:,} dead letters")
        return " ".join(parts[:1]) + " " + " | ".join(parts[1:])

    def __call__(self, progress: ETLProgress) -> None:
        line = self.render(progress)
        if self.is_tty:
            pad = max(0, self._last_len - len(line))
            self.stream.write("\r" + line + " " * pad)
            self._last_len = len(line)
            self.stream.flush()
            return
        now = self._clock()
        if self._last_emit is not None and now - self._last_emit < self.min_interval:
            self._pending = progress
            return
        self._last_emit = now
        self._pending = None
        self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        """End the bar's line (TTY) or print the last throttled update (non-TTY)."""
        if self.is_tty:
            if self._last_len:
                self.stream.write("\n")
                self._last_len = 0
        elif self._pending is not None:
            self.stream.write(self.render(self._pending) + "\n")
            self._pending = None
        self.stream.flush()
