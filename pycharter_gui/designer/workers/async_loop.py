"""One asyncio loop on a daemon thread for the app's lifetime; engine coroutines run there.

The GUI thread never runs engine coroutines (no ``asyncio.run``, no qasync): it submits them
here and gets a ``concurrent.futures.Future`` back, which ``TaskHandle`` watches.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any


class AsyncLoop:
    """An event loop running forever on its own daemon thread."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="async-loop", daemon=True)
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        self._loop.run_forever()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        return self._loop

    def is_running(self) -> bool:
        return self._thread.is_alive() and self._loop.is_running()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
        """Schedule ``coro`` on the async loop; thread-safe."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def stop(self, timeout: float = 2.0) -> None:
        """Cancel every task, stop the loop and wait up to ``timeout`` seconds for the thread."""
        if not self._thread.is_alive():
            return

        async def _cancel_all() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            if tasks:
                await asyncio.wait(tasks, timeout=timeout)

        with contextlib.suppress(concurrent.futures.TimeoutError, RuntimeError):
            asyncio.run_coroutine_threadsafe(_cancel_all(), self._loop).result(timeout + 0.5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)


_shared: AsyncLoop | None = None
_lock = threading.Lock()


def async_loop() -> AsyncLoop:
    """The application's async loop, started on first use."""
    global _shared
    with _lock:
        if _shared is None or not _shared.is_running():
            _shared = AsyncLoop()
        return _shared


def shutdown_async_loop(timeout: float = 2.0) -> None:
    """Stop the shared loop (on application exit)."""
    global _shared
    with _lock:
        if _shared is not None:
            _shared.stop(timeout)
            _shared = None
