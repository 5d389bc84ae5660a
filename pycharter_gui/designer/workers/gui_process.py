"""How the designer's process shares one interpreter with its GUI thread.

Workers in this process (a document's parse, a preview's reader) run Python while the GUI
thread waits for the interpreter lock each time it calls back into Python — dozens of times
per repaint. Python hands the lock over only every "switch interval" (5 ms by default), so
one pure-Python worker made a repaint wait 5 ms per callback: opening a 3,000-line pipeline
lagged ~0.5 s, an undo ~0.1 s (benchmarks/editing_latency.py, issue 12). At 1 ms the same
work lags 0.2-0.3 s and ~30 ms (a hand-over is forced only while another thread waits for
the lock).
Garbage collection runs on the GUI thread only (``gui_gc``), and what exists once the window
is up (modules, classes, the window: ~110,000 objects, nearly all there for good) is frozen out
of it: a full collection walked them all, ~60 ms on the GUI thread (170 ms while a worker held
the lock), and now takes ~2 ms. Frozen objects are still freed by reference counting; only a
garbage cycle among them would stay.
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject

from .gui_gc import GuiThreadCollector, collect_on_gui_thread

GUI_SWITCH_INTERVAL_S = 0.001


def prepare_gui_process(app: QObject) -> GuiThreadCollector:
    """Set the interpreter up for the GUI (app start; tests and benchmarks that drive the GUI
    do the same): the 1 ms switch interval and the GUI-thread garbage collector."""
    sys.setswitchinterval(GUI_SWITCH_INTERVAL_S)
    return collect_on_gui_thread(app)


def freeze_startup_objects() -> int:
    """Leave every object that exists now out of future collections (call it once the window
    is shown); returns how many are frozen."""
    gc.freeze()
    return gc.get_freeze_count()


__all__ = ["GUI_SWITCH_INTERVAL_S", "freeze_startup_objects", "prepare_gui_process"]
