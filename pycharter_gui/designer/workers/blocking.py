"""Run one blocking function on the global thread pool; the result comes back as a signal."""

from __future__ import annotations

import functools
import logging
import weakref
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)
_RUNNING: set[BlockingJob] = set()


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(str)
    done = Signal()  # queued to the GUI thread, after the outcome: releases the job there

    def __init__(self, job: BlockingJob) -> None:
        super().__init__()
        self._job = weakref.ref(job)  # no cycle: the garbage collector may run on any thread
        self.done.connect(self._release)

    @Slot()
    def _release(self) -> None:
        # The last reference to the job (and to this QObject) drops on the GUI thread that
        # owns it, one event-loop pass later (outside this slot), never on the pool thread
        # while the outcome's queued event is still pending.
        job = self._job()
        if job is not None:
            QTimer.singleShot(0, functools.partial(_RUNNING.discard, job))


class BlockingJob(QRunnable):
    """``fn()`` on a worker thread; connect ``signals`` to ``@Slot`` methods on the GUI thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = _Signals(self)

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # worker boundary: report the full error to the GUI
            log.exception("background job failed")
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.signals.succeeded.emit(result)
        finally:
            self.signals.done.emit()

    def start(self) -> BlockingJob:
        _RUNNING.add(self)  # keep a reference until it ends (no GC mid-run)
        QThreadPool.globalInstance().start(self)
        return self
