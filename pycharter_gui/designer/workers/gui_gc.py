"""Python's cyclic garbage collection runs on the GUI thread only.

The collector runs in whichever thread happens to allocate past its threshold: a preview's
reader or an async-loop worker. A garbage cycle that holds a Qt object (a widget's lambda, a
signal object) was then destroyed on that thread ("QObject::killTimer: Timers cannot be stopped
from another thread"), after which queued signals to the GUI thread went missing and the
process could crash (found by the full test suite on a slower machine, session 13). So the
designer turns automatic collection off and collects from a GUI-thread timer instead, with
the same generation thresholds; reference counting still frees everything that is not in a
cycle at once, on any thread.
"""

from __future__ import annotations

import gc
import time

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250  # often enough that cycles do not pile up between two checks
FULL_SPACING = 100  # a full collection waits this many times its last duration


class GuiThreadCollector(QObject):
    """Collects garbage cycles on the thread it lives in (create it on the GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._next_full = 0.0
        self.clock = time.monotonic
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.start()

    def start(self) -> None:
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Back to Python's own collection (tests that leave the GUI)."""
        self.timer.stop()
        gc.enable()

    def check(self) -> None:
        """Collect the youngest generation when anything was allocated since the last tick
        (cheap: only young objects are examined), an older one when its count is past its
        threshold, as the collector itself escalates. A full collection walks every object
        (with a large preview loaded, a noticeable pause whichever thread runs it, as it holds
        the GIL): it waits at least 100 times its last duration, so it never takes more than
        ~1 % of the GUI thread."""
        counts = gc.get_count()
        now = self.clock()
        if counts[2] > self.thresholds[2] and now >= self._next_full:
            gc.collect(2)
            self._next_full = now + FULL_SPACING * (self.clock() - now)
            return
        if counts[1] > self.thresholds[1]:
            gc.collect(1)
        elif counts[0] > 0:
            gc.collect(0)


_INSTALLED: list[GuiThreadCollector] = []


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector once per process, parented to the application object."""
    if not _INSTALLED:
        _INSTALLED.append(GuiThreadCollector(app))
    _INSTALLED[0].start()
    return _INSTALLED[0]


__all__ = ["GuiThreadCollector", "collect_on_gui_thread"]
