"""Reading one batch ahead in a worker thread: a blocking batch generator (a file or object
reader) is stepped by ``asyncio.to_thread`` so parsing overlaps the caller's transform and load,
cancelling stays prompt and memory stays bounded by two batches. Used by the file and cloud
extractors and the columnar runner."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any


class ThreadedIter:
    """Steps a blocking generator from worker threads; closing waits for a step in flight."""

    def __init__(self, gen: Iterator[list[Any]]) -> None:
        self._gen = gen
        self._lock = threading.Lock()
        self._closed = False
        self._thread: ThreadPoolExecutor | None = None

    @property
    def thread(self) -> ThreadPoolExecutor:
        """The one worker thread that steps this generator."""
        if self._thread is None:
            self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="read-ahead")
        return self._thread

    def step(self) -> list[Any] | None:
        with self._lock:
            if self._closed:
                return None
            return next(self._gen, None)

    def _close_now(self) -> None:
        if not self._closed:
            self._closed = True
            self._gen.close()
        if self._thread is not None:
            self._thread.shutdown(wait=False)

    def _close_later(self) -> None:
        with self._lock:
            self._close_now()

    def close(self) -> None:
        """Close the generator (and its file) now, or as soon as the running step ends."""
        if self._lock.acquire(blocking=False):
            try:
                self._close_now()
            finally:
                self._lock.release()
        else:
            threading.Thread(target=self._close_later, daemon=True).start()


def read_ahead(pump: ThreadedIter) -> asyncio.Future[list[Any] | None]:
    """Start reading the next batch in the pump's own worker thread (parsing overlaps the
    caller's work). One thread per pump, not the loop's shared executor: every parse of a file
    then allocates in one malloc arena instead of up to six, which kept freed chunks resident
    (peak RSS of the 1M-row simple job ~40 MB lower, benchmarks/README.md)."""
    return asyncio.ensure_future(asyncio.get_running_loop().run_in_executor(pump.thread, pump.step))


async def drop_read_ahead(pending: asyncio.Future[Any] | None) -> None:
    """Let a read-ahead nobody will use finish (at most one batch), so the file is closed when
    the stream is; its result or error is discarded. A cancel while waiting propagates."""
    if pending is None:
        return
    if not pending.done():
        await asyncio.wait([pending])
    if not pending.cancelled():
        pending.exception()  # retrieved: no "exception was never retrieved" log
