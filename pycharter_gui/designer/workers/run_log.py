"""Engine log lines to the run that logged them.

One handler sits on the engine logger once it is first needed and stays there; its filter
passes a record only while the code that logs it runs inside ``forward_run_log`` (a
``ContextVar``, which the run's asyncio tasks and ``asyncio.to_thread`` calls inherit). So a
preview or a second run working at the same time never lands in this run's log, and no run
swaps the engine logger's handlers.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar

ENGINE_LOGGER = "pycharter_gui.etl_generator"

_forward: ContextVar[Callable[[logging.LogRecord], None] | None] = ContextVar(
    "pycharter_run_log", default=None)


class _InRun(logging.Filter):
    """Passes the records logged inside a ``forward_run_log`` block."""

    def filter(self, record: logging.LogRecord) -> bool:
        return _forward.get() is not None


class _RunLogHandler(logging.Handler):
    """Hands a record to the callback of the run whose context logged it."""

    def emit(self, record: logging.LogRecord) -> None:
        forward = _forward.get()
        if forward is not None:
            with contextlib.suppress(Exception):  # a log display must never break a run
                forward(record)


class _EngineLevel:
    """Keeps the engine logger at INFO while any run forwards its lines (counted, so runs
    that overlap never restore a level under one another)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._runs = 0
        self._saved = logging.NOTSET
        self._handler = _RunLogHandler(logging.INFO)
        self._handler.addFilter(_InRun())

    def enter(self) -> None:
        with self._lock:
            logger = logging.getLogger(ENGINE_LOGGER)
            if self._handler not in logger.handlers:
                logger.addHandler(self._handler)
            if self._runs == 0:
                self._saved = logger.level
                if logger.getEffectiveLevel() > logging.INFO:
                    logger.setLevel(logging.INFO)
            self._runs += 1

    def leave(self) -> None:
        with self._lock:
            self._runs -= 1
            if self._runs == 0:
                logging.getLogger(ENGINE_LOGGER).setLevel(self._saved)


_level = _EngineLevel()


@contextlib.contextmanager
def forward_run_log(emit_line: Callable[[str], None], mask: Callable[[str], str]) -> Iterator[None]:
    """Inside the block, engine log lines of INFO and above logged by this context (the
    current task, its child tasks and threads) go to ``emit_line`` as ``"level: message"``,
    masked by ``mask``."""

    def forward(record: logging.LogRecord) -> None:
        emit_line(f"{record.levelname.lower()}: {mask(record.getMessage())}")

    token = _forward.set(forward)
    _level.enter()
    try:
        yield
    finally:
        _level.leave()
        _forward.reset(token)
