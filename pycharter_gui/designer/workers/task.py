"""TaskHandle: a GUI-thread QObject watching one engine coroutine on the async loop.

The coroutine factory receives a ``TaskReporter``; its ``progress``/``batch`` calls come from
the loop thread and only *emit* (queued to the GUI thread). Widgets change only in slots.
Progress is throttled to 10 updates per second; the last one is always delivered.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from .async_loop import async_loop

PROGRESS_INTERVAL_S = 0.1


class TaskReporter:
    """Given to the coroutine: report progress and partial results from any thread."""

    def __init__(self, handle: TaskHandle) -> None:
        self._handle = weakref.ref(handle)
        self._last_progress = 0.0
        self._pending: Any = None
        self._lock = threading.Lock()
        self.cancel_requested = threading.Event()

    def progress(self, value: Any) -> None:
        """Report progress (throttled; the latest value wins)."""
        now = time.monotonic()
        with self._lock:
            if now - self._last_progress < PROGRESS_INTERVAL_S:
                self._pending = value
                return
            self._last_progress = now
            self._pending = None
        handle = self._handle()
        if handle is not None:
            handle.progressed.emit(value)

    def flush(self) -> None:
        """Deliver a throttled-away last progress value."""
        with self._lock:
            value, self._pending = self._pending, None
        handle = self._handle()
        if value is not None and handle is not None:
            handle.progressed.emit(value)

    def batch(self, value: Any) -> None:
        """Deliver a partial result (e.g. a batch of preview records); never throttled."""
        handle = self._handle()
        if handle is not None:
            handle.batch_ready.emit(value)


class TaskHandle(QObject):
    """Runs ``factory(reporter)`` on the async loop and reports back on the GUI thread.

    Signals: ``progressed(value)``, ``batch_ready(value)``, ``succeeded(result)``,
    ``failed(exception)``, ``cancelled()``, then always ``finished()``.
    """

    progressed = Signal(object)
    batch_ready = Signal(object)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    finished = Signal()

    _running: set[TaskHandle] = set()  # keep handles alive while their task runs

    def __init__(self, factory: Callable[[TaskReporter], Awaitable[Any]], parent: QObject | None = None,
                 name: str = "task") -> None:
        # No Qt parent, whatever the caller passes: a parent's destruction would delete this
        # object on the GUI thread while the loop thread may be emitting on it (a crash seen
        # when a panel closed mid-task). Python references keep it alive (``_running`` while it
        # runs, the owner after), and the last one always drops on the GUI thread.
        del parent
        super().__init__(None)
        self.name = name
        self.reporter = TaskReporter(self)
        self._factory = factory
        self._future: concurrent.futures.Future | None = None
        self._finish_lock = threading.Lock()
        self._finished_emitted = False
        self._coroutine_started = False
        self.started_at: float | None = None

    def start(self) -> TaskHandle:
        """Submit the coroutine; returns self for chaining."""
        self.started_at = time.monotonic()
        TaskHandle._running.add(self)
        self.finished.connect(self._on_finished)  # queued: the last reference drops on the GUI thread
        # Neither the coroutine nor the future may hold the handle strongly: a QObject must
        # never be released (or garbage-collected in a cycle) on the async-loop thread.
        ref = weakref.ref(self)
        self._future = async_loop().submit(TaskHandle._run(ref, self._factory, self.reporter))
        self._future.add_done_callback(functools.partial(TaskHandle._on_future_done, ref))
        return self

    @staticmethod
    async def _run(ref: weakref.ref, factory: Callable[[TaskReporter], Awaitable[Any]],
                   reporter: TaskReporter) -> Any:
        # Terminal signals are emitted here, on the loop thread, after every batch/progress
        # signal of this task: queued delivery keeps them in order on the GUI thread.
        handle = ref()
        if handle is not None:
            handle._coroutine_started = True
        del handle
        try:
            result = await factory(reporter)
        except asyncio.CancelledError:
            TaskHandle._finish(ref, "cancelled", None)
            raise
        except Exception as exc:
            TaskHandle._finish(ref, "failed", exc)
            return None
        TaskHandle._finish(ref, "succeeded", result)
        return result

    @staticmethod
    def _on_future_done(ref: weakref.ref, fut: concurrent.futures.Future) -> None:
        """Only for a task cancelled before its coroutine ever ran (it cannot report itself)."""
        handle = ref()
        if handle is not None and fut.cancelled() and not handle._coroutine_started:
            TaskHandle._finish(ref, "cancelled", None)

    @staticmethod
    def _finish(ref: weakref.ref, outcome: str, value: Any) -> None:
        handle = ref()
        if handle is None:
            return
        with handle._finish_lock:
            if handle._finished_emitted:
                return
            handle._finished_emitted = True
        handle.reporter.flush()
        if outcome == "succeeded":
            handle.succeeded.emit(value)
        elif outcome == "failed":
            handle.failed.emit(value)
        else:
            handle.cancelled.emit()
        handle.finished.emit()

    @Slot()
    def _on_finished(self) -> None:
        # Release one event-loop pass later, so the loop thread has surely dropped its own
        # short-lived reference and the last one goes on the GUI thread.
        QTimer.singleShot(0, functools.partial(TaskHandle._running.discard, self))

    def cancel(self) -> None:
        """Ask the task to stop: the coroutine gets CancelledError at its next await."""
        self.reporter.cancel_requested.set()
        if self._future is not None:
            self._future.cancel()

    def is_running(self) -> bool:
        return self._future is not None and not self._finished_emitted

    def wait(self, timeout: float | None = None) -> None:
        """Block until done (tests and shutdown only; never from a GUI slot)."""
        if self._future is not None:
            concurrent.futures.wait([self._future], timeout)

    @classmethod
    def cancel_all(cls, timeout: float = 2.0) -> None:
        """Cancel every running task and wait up to ``timeout`` seconds (on app close)."""
        handles = list(cls._running)
        for handle in handles:
            handle.cancel()
        futures = [h._future for h in handles if h._future is not None]
        if futures:
            concurrent.futures.wait(futures, timeout)
