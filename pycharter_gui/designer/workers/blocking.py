"""Run one blocking function on the global thread pool; the result comes back as a signal."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

log = logging.getLogger(__name__)
_RUNNING: set[BlockingJob] = set()


class _Signals(QObject):
    succeeded = Signal(object)
    failed = Signal(str)


class BlockingJob(QRunnable):
    """``fn()`` on a worker thread; connect ``signals`` to ``@Slot`` methods on the GUI thread."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.signals = _Signals()

    def run(self) -> None:
        try:
            result = self.fn()
        except Exception as exc:  # worker boundary: report the full error to the GUI
            log.exception("background job failed")
            self.signals.failed.emit(f"{type(exc).__name__}: {exc}")
        else:
            self.signals.succeeded.emit(result)
        finally:
            _RUNNING.discard(self)

    def start(self) -> BlockingJob:
        _RUNNING.add(self)  # keep a reference until it ends (no GC mid-run)
        QThreadPool.globalInstance().start(self)
        return self
