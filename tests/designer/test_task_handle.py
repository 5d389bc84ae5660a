"""TaskHandle runs engine coroutines off the GUI thread and reports back through signals."""

from __future__ import annotations

import asyncio
import threading

import pytest

from pycharter_gui.designer.workers.task import TaskHandle


def test_success_delivers_batches_then_result_on_gui_thread(qtbot) -> None:
    gui_thread = threading.current_thread()
    seen_threads: list[threading.Thread] = []
    batches: list[int] = []

    async def work(reporter):
        for i in range(3):
            reporter.batch(i)
            await asyncio.sleep(0)
        return threading.current_thread().name

    handle = TaskHandle(work)
    handle.batch_ready.connect(lambda b: (batches.append(b), seen_threads.append(threading.current_thread())))
    results: list[str] = []
    handle.succeeded.connect(results.append)
    with qtbot.waitSignals([handle.succeeded, handle.finished], order="strict", timeout=5000):
        handle.start()
    assert results == ["async-loop"]
    assert batches == [0, 1, 2]
    assert all(t is gui_thread for t in seen_threads)


def test_failure_is_reported_not_raised(qtbot) -> None:
    async def work(reporter):
        raise ValueError("bad config in extract.yaml")

    handle = TaskHandle(work)
    with qtbot.assertNotEmitted(handle.succeeded), qtbot.waitSignal(handle.failed, timeout=5000) as blocker:
        handle.start()
    assert isinstance(blocker.args[0], ValueError)


def test_cancel_stops_the_coroutine_at_its_next_await(qtbot) -> None:
    started = threading.Event()
    reached_end: list[bool] = []

    async def work(reporter):
        started.set()
        await asyncio.sleep(30)
        reached_end.append(True)

    handle = TaskHandle(work).start()
    assert started.wait(5)
    with qtbot.waitSignals([handle.cancelled, handle.finished], order="strict", timeout=5000):
        handle.cancel()
    assert reached_end == []
    assert not handle.is_running()


@pytest.mark.parametrize("count", [50])
def test_progress_is_throttled_but_last_value_arrives(qtbot, count: int) -> None:
    received: list[int] = []

    async def work(reporter):
        for i in range(count):
            reporter.progress(i)
        return None

    handle = TaskHandle(work)
    handle.progressed.connect(received.append)
    with qtbot.waitSignal(handle.finished, timeout=5000):
        handle.start()
    qtbot.waitUntil(lambda: received and received[-1] == count - 1, timeout=2000)
    assert len(received) < count
