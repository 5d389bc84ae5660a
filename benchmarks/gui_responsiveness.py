"""GUI responsiveness during a dry run: event-loop lag on the GUI thread and throughput.

A generated N-row CSV (default 1,000,000) is dry-run headless (``asyncio.run``) and then from
``RunPanel`` while a 10 ms QTimer on the GUI thread records how late each tick fires. Targets
(issue 7): max lag < 100 ms, GUI throughput >= 90 % of headless. Usage:

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/gui_responsiveness.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

TRANSFORM = "transform:\n  rename: {customer: customer_name}\n  convert: {qty: int, price: float}\n"


def make_pipeline(rows: int) -> Path:
    folder = HERE / "data" / "gui_ws" / f"dry_{rows}"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    src = folder / "data" / "input.csv"
    if not src.exists():
        with src.open("w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["id", "customer", "city", "qty", "price"])
            for i in range(rows):
                w.writerow([i, f"cust{i % 997}", ("Oslo", "Lima", "Pune")[i % 3], i % 50, f"{i % 1000}.25"])
    (folder / "extract.yaml").write_text("type: file\npath: data/input.csv\nbatch_size: 10000\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "load.yaml").write_text("type: file\npath: output/out.parquet\nformat: parquet\n")
    return folder


def headless(folder: Path) -> float:
    from pycharter_gui.etl_generator import ETLOrchestrator

    started = time.perf_counter()
    result = asyncio.run(ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True))
    assert result["success"], result["error"]
    return time.perf_counter() - started


def from_gui(folder: Path, gui_gc: bool = True) -> tuple[float, list[float]]:
    from PySide6.QtCore import QCoreApplication, QElapsedTimer, QEvent, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from pycharter_gui.designer.views.run_panel import RunPanel

    app = QApplication.instance() or QApplication([])
    if gui_gc:  # as the designer runs (designer/workers/gui_gc.py)
        from pycharter_gui.designer.workers.gui_process import prepare_gui_process

        prepare_gui_process(app)
    panel = RunPanel()
    panel.show()
    if gui_gc:
        from pycharter_gui.designer.workers.gui_process import freeze_startup_objects

        freeze_startup_objects()  # as app.main does once the window is shown
    panel.set_pipeline(folder)
    lags: list[float] = []
    clock = QElapsedTimer()
    last = [0]

    def tick() -> None:
        now = clock.elapsed()
        lags.append(max(0.0, now - last[0] - 10))
        last[0] = now

    timer = QTimer(interval=10)
    timer.timeout.connect(tick)
    loop = QEventLoop()
    panel.run_finished.connect(loop.quit)
    panel.run_failed.connect(loop.quit)
    clock.start()
    timer.start()
    started = time.perf_counter()
    panel.start_run(dry_run=True)
    loop.exec()
    took = time.perf_counter() - started
    timer.stop()
    assert panel.last_result and panel.last_result["success"]
    app.processEvents()
    panel.close()
    panel.deleteLater()  # delete on the GUI thread now, not at interpreter teardown
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    from pycharter_gui.designer.workers.async_loop import shutdown_async_loop
    from pycharter_gui.designer.workers.task import TaskHandle

    TaskHandle.cancel_all()
    shutdown_async_loop()
    return took, lags


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--python-gc", action="store_true",
                        help="Python's own cycle collection and switch interval instead of the "
                             "designer's (designer/workers/gui_process.py)")
    args = parser.parse_args()
    folder = make_pipeline(args.rows)
    t_headless = headless(folder)
    t_gui, lags = from_gui(folder, gui_gc=not args.python_gc)
    lags.sort()
    p99 = lags[int(0.99 * (len(lags) - 1))] if lags else 0.0
    print(f"rows={args.rows:,}")
    print(f"headless: {t_headless:.2f} s ({args.rows / t_headless:,.0f} rec/s)")
    print(f"GUI:      {t_gui:.2f} s ({args.rows / t_gui:,.0f} rec/s) = {100 * t_headless / t_gui:.0f}% of headless")
    print(f"event-loop lag: max {max(lags, default=0):.0f} ms, p99 {p99:.0f} ms, "
          f"median {statistics.median(lags) if lags else 0:.0f} ms over {len(lags)} ticks")


if __name__ == "__main__":
    main()
