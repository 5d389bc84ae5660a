"""Editing latency of the designer (issue 12): GUI-thread time per keystroke, the block after
the typing pause, undo/redo, the first open of a pipeline, pipeline switches and event-loop
lag while previewing 1,000,000 rows.

Every number is measured on the GUI thread in one run, side by side with a bare
``QPlainTextEdit`` given the same text and the same keystrokes. Keystrokes go in as key events
(``sendEvent``) and each is timed until the events it posted are drained, so highlighting,
layout and anything it queued count. A 5 ms QTimer measures event-loop lag (how late each tick
fires). The workspace (300- and 3,000-line pipelines, a 1,000,000-row CSV) is generated in a
temporary folder. Usage:

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/editing_latency.py [--rows 1000000]

``--rows 0`` skips the preview (editing only). ``--thread-validation`` runs the live validation
on a thread of the designer's process (the fallback; before issue 12 it always did) instead of
its child process. The interpreter is set up as in the app (``designer/workers/gui_process.py``: garbage
collected on the GUI thread, 1 ms switch interval); ``--python-gc`` leaves both to Python.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PySide6.QtCore import (
    QCoreApplication,
    QElapsedTimer,
    QEvent,
    QEventLoop,
    QSettings,
    Qt,
    QTimer,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QPlainTextEdit, QWidget

TYPED = "    extra_column: renamed_column"  # a new rename entry, invalid until the ':'
KEY_GAP_MS = 40  # between keystrokes: faster than the 150 ms pause, like steady typing
TICK_MS = 5
SIZES = (300, 3000)


def transform_text(lines: int) -> str:
    """A transform.yaml of ``lines`` lines: a commented rename map (the typing goes at its end)."""
    head = ["# Generated for the editing benchmark.", "transform:", "  convert:",
            "    amount: float", "  rename:"]
    body = [f"    column_{i}: renamed_{i}   # note {i}" for i in range(lines - len(head))]
    return "\n".join(head + body) + "\n"


def make_workspace(root: Path, rows: int) -> None:
    for lines in SIZES:
        folder = root / f"lines_{lines}"
        folder.mkdir(parents=True)
        (folder / "extract.yaml").write_text("type: file\npath: data.csv\nbatch_size: 1000\n")
        (folder / "transform.yaml").write_text(transform_text(lines))
        (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
        (folder / "data.csv").write_text("amount,column_1\n1.5,x\n")
    folder = root / "rows_1m"
    folder.mkdir()
    with (folder / "data.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "customer", "city", "qty", "price"])
        for i in range(rows):
            w.writerow([i, f"cust{i % 997}", ("Oslo", "Lima", "Pune")[i % 3], i % 50,
                        f"{i % 1000}.25"])
    (folder / "extract.yaml").write_text("type: file\npath: data.csv\nbatch_size: 10000\n")
    (folder / "transform.yaml").write_text("transform:\n  convert: {qty: int}\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")


def drain() -> None:
    QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)
    QCoreApplication.sendPostedEvents()


def wait(ms: int) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


class LagMonitor:
    """A ``TICK_MS`` timer on the GUI thread; ``max_lag`` is the latest a tick fired (ms)."""

    def __init__(self) -> None:
        self.lags: list[float] = []
        self._clock = QElapsedTimer()
        self._last = 0
        self._timer = QTimer(interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = self._clock.elapsed()
        self.lags.append(max(0.0, now - self._last - TICK_MS))
        self._last = now

    def __enter__(self) -> LagMonitor:
        self._clock.start()
        self._last = 0
        self._timer.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._timer.stop()

    @property
    def max_lag(self) -> float:
        return max(self.lags, default=0.0)


def type_keys(target: QWidget, text: str) -> list[float]:
    """Send ``text`` as key presses; the GUI-thread ms of each (until its events are drained)."""
    times = []
    for ch in text:
        key = Qt.Key.Key_Space if ch == " " else Qt.Key(ord(ch.upper()))
        started = time.perf_counter()
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(target, QKeyEvent(kind, key, Qt.KeyboardModifier.NoModifier, ch))
        drain()
        times.append((time.perf_counter() - started) * 1000)
        wait(KEY_GAP_MS)
    return times


def at_end(editor: QPlainTextEdit) -> None:
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    editor.setTextCursor(cursor)


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


def bare_typing(lines: int) -> list[float]:
    editor = QPlainTextEdit()
    editor.setPlainText(transform_text(lines))
    editor.resize(900, 600)
    editor.show()
    drain()
    at_end(editor)
    times = type_keys(editor, TYPED)
    editor.close()
    editor.deleteLater()
    return times


def designer_typing(win: object, lines: int) -> tuple[tuple[float, float, float], list[float],
                                                     float, tuple[float, float, float]]:
    """Opens ``lines_<lines>`` (first time: wall ms, GUI-thread CPU ms, worst lag in the 1.5 s
    after it: the parse arriving, the forms filling, the highlighting), types into its
    transform.yaml (ms per key), then the longest block of the GUI thread in the 2 s after the
    pause (the parse and what follows it), then undo/redo of the typed line (GUI-thread ms of
    the action, median and max, and the worst lag in the 1 s after each)."""
    with LagMonitor() as lag:
        wall, cpu = select_timed(win, f"lines_{lines}")
        wait(1500)
    opened = (wall, cpu, lag.max_lag)
    win.editor.tabs.setCurrentIndex(win.editor.yaml_tab_index)
    win.editor.yaml_tabs.setCurrentIndex(1)
    editor = win.editor.yaml_editors["transform"]
    drain()
    at_end(editor)
    with LagMonitor() as lag:
        times = type_keys(editor, TYPED)
        wait(2000)
    assert win.current.text("transform").endswith(TYPED), "the typed text never reached the document"
    history = undo_redo(win)
    win.current.revert()
    drain()
    wait(500)
    return opened, times, lag.max_lag, history


def undo_redo(win: object) -> tuple[float, float, float, float]:
    """Undo and redo the typed line three times each (the window's actions, as Ctrl+Z): the
    median and max wall ms of the action until its events are drained, the max GUI-thread CPU
    ms of it, and the worst lag in the 1 s after each (its parse and what follows)."""
    times, cpus, lags = [], [], []
    for name in ("undo", "redo") * 3:
        with LagMonitor() as lag:
            cpu = time.thread_time()
            started = time.perf_counter()
            win.actions_by_name[name].trigger()
            drain()
            times.append((time.perf_counter() - started) * 1000)
            cpus.append((time.thread_time() - cpu) * 1000)
            wait(1000)
        lags.append(lag.max_lag)
    assert win.current.text("transform").endswith(TYPED), "undo/redo lost the typed text"
    return statistics.median(times), max(times), max(cpus), max(lags)


def select(win: object, name: str) -> float:
    """Select ``name``; ms until the selection and the events it posted are done."""
    return select_timed(win, name)[0]


def select_timed(win: object, name: str) -> tuple[float, float]:
    """Select ``name``: wall ms until the selection and the events it posted are done, and the
    GUI thread's own CPU ms in that time (``time.thread_time``: waiting for the GIL is not in
    it)."""
    cpu = time.thread_time()
    started = time.perf_counter()
    win.select_pipeline(name)
    drain()
    took = (time.perf_counter() - started) * 1000
    cpu = (time.thread_time() - cpu) * 1000
    assert win.current is not None and win.current.name == name
    return took, cpu


def switches(win: object) -> tuple[float, float, float, float]:
    """10 switches between the 3,000- and the 300-line pipeline: median and max wall of the
    call, median GUI-thread CPU of it, and the worst event-loop lag in the 1 s after any switch
    (the panels' background refreshes landing)."""
    walls, cpus, lags = [], [], []
    for i in range(10):
        with LagMonitor() as lag:
            took, cpu = select_timed(win, "lines_300" if i % 2 == 0 else "lines_3000")
            wait(1000)
        walls.append(took)
        cpus.append(cpu)
        lags.append(lag.max_lag)
    return statistics.median(walls), max(walls), statistics.median(cpus), max(lags)


def bare_switch(lines: int) -> float:
    """A bare editor given another 3,000-line text (``setPlainText``), for scale."""
    editor = QPlainTextEdit()
    editor.resize(900, 600)
    editor.show()
    texts = [transform_text(lines), transform_text(lines).replace("note", "nota")]
    times = []
    for i in range(10):
        started = time.perf_counter()
        editor.setPlainText(texts[i % 2])
        drain()
        times.append((time.perf_counter() - started) * 1000)
    editor.close()
    editor.deleteLater()
    return statistics.median(times)


def preview_lag(win: object, rows: int) -> tuple[float, float, int]:
    select(win, "rows_1m")
    panel = win.data_docks.preview
    panel.n_spin.setValue(rows)
    loop = QEventLoop()
    got: list[int] = []
    panel.preview_finished.connect(lambda n: (got.append(n), loop.quit()))
    panel.preview_failed.connect(lambda msg: (print("preview failed:", msg), loop.quit()))
    with LagMonitor() as lag:
        started = time.perf_counter()
        panel.start_preview()
        loop.exec()
        took = time.perf_counter() - started
    return lag.max_lag, took, got[0] if got else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000,
                        help="rows of the preview measured (0: skip the preview)")
    parser.add_argument("--thread-validation", action="store_true",
                        help="run the live validation on a thread of this process (as before "
                             "issue 12's subprocess), for comparison")
    parser.add_argument("--python-gc", action="store_true",
                        help="leave garbage collection (any thread) and the switch interval "
                             "(5 ms) to Python instead of the designer's settings")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    if not args.python_gc:  # as the designer runs
        from pycharter_gui.designer.workers.gui_process import prepare_gui_process

        prepare_gui_process(app)
    from pycharter_gui.designer.main_window import MainWindow
    from pycharter_gui.designer.settings import AppSettings
    from pycharter_gui.designer.views import dialogs

    dialogs.ask = lambda *_a, **_k: dialogs.Button.Discard  # no modal prompt may block the run
    if args.thread_validation:
        from pycharter_gui.designer.workers import validation

        validation._USE_THREAD = True  # the fallback path: the check on a worker thread
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        make_workspace(root, args.rows)
        QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, tmp)
        settings = AppSettings()
        settings.set_last_pipeline(str(root.resolve()), "rows_1m")  # both others open later
        win = MainWindow(root, settings=settings)
        win.resize(1200, 800)
        win.show()
        if not args.python_gc:
            from pycharter_gui.designer.workers.gui_process import freeze_startup_objects

            freeze_startup_objects()  # as app.main does once the window is shown
        drain()
        wait(1500)  # start-up workers (tips, validation) settle
        rows: list[tuple[str, str, str]] = []
        for lines in SIZES:
            bare = percentiles(bare_typing(lines))
            opened, times, block, history = designer_typing(win, lines)
            ours = percentiles(times)
            rows.append((f"first open of the {lines:,}-line pipeline, wall / GUI CPU / worst "
                         "lag in 1.5 s (ms)",
                         f"{opened[0]:.0f} / {opened[1]:.0f} / {opened[2]:.0f}", "-"))
            rows.append((f"keystroke p50 / p99 at {lines:,} lines (ms)",
                         f"{ours[0]:.1f} / {ours[1]:.1f}", f"{bare[0]:.1f} / {bare[1]:.1f}"))
            rows.append((f"worst lag typing + 2 s after the pause, {lines:,} lines (ms)",
                         f"{block:.0f}", "-"))
            rows.append((f"undo/redo at {lines:,} lines, action median / max wall, max GUI "
                         "CPU; worst lag in 1 s (ms)",
                         f"{history[0]:.0f} / {history[1]:.0f}, {history[2]:.0f}; "
                         f"{history[3]:.0f}", "-"))
        median, worst, cpu, lag = switches(win)
        rows.append(("pipeline switch 300 ↔ 3,000 lines, median / max wall (ms)",
                     f"{median:.0f} / {worst:.0f}", f"{bare_switch(3000):.0f} (setPlainText)"))
        rows.append(("… GUI-thread CPU median; worst lag in the 1 s after (ms)",
                     f"{cpu:.0f}; {lag:.0f}", "-"))
        if args.rows:  # --rows 0: editing only
            lag, took, got = preview_lag(win, args.rows)
            rows.append((f"max event-loop lag, preview of {args.rows:,} rows (ms)",
                         f"{lag:.0f} ({got:,} rows in {took:.1f} s)", "-"))
        _report(rows)
        win.close()
        from pycharter_gui.designer.workers.async_loop import shutdown_async_loop
        from pycharter_gui.designer.workers.parse_process import shutdown_parse_process
        from pycharter_gui.designer.workers.task import TaskHandle
        from pycharter_gui.designer.workers.validation import shutdown_validation_process

        TaskHandle.cancel_all()
        shutdown_async_loop()
        shutdown_validation_process()
        shutdown_parse_process()
        del app


def _report(rows: list[tuple[str, str, str]]) -> None:
    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}} | designer | bare QPlainTextEdit")
    for name, ours, bare in rows:
        print(f"{name:<{width}} | {ours} | {bare}")


if __name__ == "__main__":
    main()
