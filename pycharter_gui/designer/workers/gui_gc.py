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

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 250  # often enough that cycles do not pile up between two checks


class GuiThreadCollector(QObject):
    """Collects garbage cycles on the thread it lives in (create it on the GUI thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
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
        threshold, as the collector itself escalates."""
        counts = gc.get_count()
        for generation in (2, 1):
            if counts[generation] > self.thresholds[generation]:
                gc.collect(generation)
                return
        if counts[0] > 0:
            gc.collect(0)


_INSTALLED: list[GuiThreadCollector] = []


def collect_on_gui_thread(app: QObject) -> GuiThreadCollector:
    """Install the collector once per process, parented to the application object."""
    if not _INSTALLED:
        _INSTALLED.append(GuiThreadCollector(app))
    _INSTALLED[0].start()
    return _INSTALLED[0]


__all__ = ["GuiThreadCollector", "collect_on_gui_thread"]
