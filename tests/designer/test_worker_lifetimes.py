"""Worker results never touch a QObject that another thread is destroying.

Found by use (clean-clone CI runs on a loaded machine): a test worker segfaulted while Qt
processed events after a panel closed mid-task. A TaskHandle parented to the panel could be
deleted by the panel's destruction while the async loop emitted on it, and a BlockingJob's
signal object could be released on the pool thread with its outcome still queued. Handles now
have no Qt parent, and both are released on the GUI thread."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref

import pytest
from PySide6.QtWidgets import QWidget

from pycharter_gui.designer.workers import blocking
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.workers.task import TaskHandle


def test_a_panel_closed_mid_task_neither_crashes_nor_loses_the_handle(qtbot) -> None:
    for _ in range(20):
        panel = QWidget()

        async def work(reporter) -> int:
            for i in range(50):
                reporter.batch(i)
                await asyncio.sleep(0)
            return 1

        handle = TaskHandle(work, panel, name="stress").start()
        assert handle.parent() is None  # the panel's destruction cannot delete it
        panel.deleteLater()
        del panel
        qtbot.wait(5)
        qtbot.waitUntil(lambda h=handle: not h.is_running(), timeout=5_000)
    qtbot.waitUntil(lambda: not TaskHandle._running, timeout=5_000)


def test_a_blocking_job_nobody_keeps_is_released_on_the_gui_thread(qtbot, monkeypatch) -> None:
    released_on: list[str] = []
    class Recording(set):
        def discard(self, item) -> None:
            released_on.append(threading.current_thread().name)
            super().discard(item)

    monkeypatch.setattr(blocking, "_RUNNING", Recording())
    results: list[int] = []
    job = BlockingJob(lambda: 42)
    job.signals.succeeded.connect(results.append)
    ref = weakref.ref(job)
    job.start()
    del job
    qtbot.waitUntil(lambda: results == [42], timeout=5_000)
    qtbot.waitUntil(lambda: bool(released_on), timeout=5_000)
    gc.collect()
    assert released_on == [threading.main_thread().name]
    assert ref() not in blocking._RUNNING


def test_garbage_cycles_with_qt_objects_die_on_the_gui_thread(qtbot) -> None:
    """A worker thread that allocates a lot would run Python's cycle collector itself, and a
    cycle holding a QObject was destroyed there ("Timers cannot be stopped from another
    thread"; lost queued signals, then crashes). The GUI-thread collector (``gui_gc``) takes
    collection off the worker threads."""
    from PySide6.QtCore import QTimer

    died_on: list[str] = []

    class Holder:
        pass

    holder = Holder()
    holder.timer = QTimer()
    holder.timer.start(60_000)
    holder.me = holder  # a cycle: only the collector frees it
    weakref.finalize(holder, lambda: died_on.append(threading.current_thread().name))
    del holder

    def churn() -> None:
        for _ in range(20):
            _ = [[] for _ in range(10_000)]  # container allocations: gen-0 collections

    worker = threading.Thread(target=churn, name="churn")
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: bool(died_on), timeout=5_000)
    assert died_on == [threading.main_thread().name]


def test_the_gui_collector_escalates_and_spaces_full_collections(qapp, monkeypatch) -> None:
    """Young objects every tick, older generations past their thresholds, and a full
    collection at most once per 100 times its own duration."""
    from pycharter_gui.designer.workers import gui_gc

    collector = gui_gc.collect_on_gui_thread(qapp)
    collector.timer.stop()  # ticked by hand below
    monkeypatch.setattr(collector, "thresholds", (700, 10, 10))
    monkeypatch.setattr(collector, "_next_full", 0.0)
    collected: list[int] = []
    counts = [(5, 0, 0), (0, 11, 0), (0, 0, 11), (0, 0, 11)]
    monkeypatch.setattr(gui_gc.gc, "get_count", lambda: counts[len(collected)])
    monkeypatch.setattr(gui_gc.gc, "collect", collected.append)
    times = [100.0, 100.2, 100.4, 100.9, 101.0]  # the full collection "takes" 0.5 s
    monkeypatch.setattr(collector, "clock", lambda: times.pop(0))
    try:
        for _ in range(4):
            collector.check()
    finally:
        collector.timer.start()
    # gen 0, gen 1, a full one; the next full one waits until 100.4 + 100 * 0.5 s, and gen 1
    # is not past its threshold, nor anything young allocated: the fourth tick does nothing.
    assert collected == [0, 1, 2]
    assert collector._next_full == 100.4 + 100 * 0.5


def test_the_gui_process_hands_the_interpreter_lock_over_every_millisecond(qapp) -> None:
    """A pure-Python worker (a big document's parse) made each GUI callback wait up to the
    default 5 ms switch interval: a 3,000-line pipeline's first open lagged ~0.5 s
    (benchmarks/editing_latency.py). The app sets 1 ms, and collects on the GUI thread."""
    import sys

    from pycharter_gui.designer.workers import gui_process

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        collector = gui_process.prepare_gui_process(qapp)
        assert sys.getswitchinterval() == pytest.approx(gui_process.GUI_SWITCH_INTERVAL_S)
        assert not gc.isenabled() and collector.timer.isActive()
    finally:
        sys.setswitchinterval(before)
