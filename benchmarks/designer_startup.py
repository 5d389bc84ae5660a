"""Designer start-up time: process start → window shown with the workspace listed.

Side by side in the same run with a baseline: a bare PySide6 QMainWindow shown by a fresh
process (the cost of Python + Qt alone). Offscreen platform, 5 runs each, median reported.

    .venv/bin/python benchmarks/designer_startup.py
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = 5

CHILD = r'''
import sys, time
t0 = float(sys.argv[1]); mode = sys.argv[2]; workspace = sys.argv[3]
from PySide6.QtWidgets import QApplication, QMainWindow
from PySide6.QtCore import QTimer
app = QApplication(["bench"])
if mode == "baseline":
    win = QMainWindow(); win.resize(1180, 760)
    expected = 0
    count = lambda: 0
else:
    from pycharter_gui.designer.main_window import MainWindow
    win = MainWindow(workspace)
    model = win.pipeline_list.model()
    count = lambda: model.rowCount()
def done():
    print(time.time() - t0, count()); app.quit()
win.show()
QTimer.singleShot(0, done)
app.exec()
'''


def make_workspace(n: int) -> Path:
    root = Path(tempfile.mkdtemp(prefix="pycharter-bench-ws-"))
    example = ROOT / "resources" / "examples" / "orders_to_sqlite"
    for i in range(n):
        shutil.copytree(example, root / f"pipeline_{i:03d}", ignore=shutil.ignore_patterns("data"))
    return root


def measure(mode: str, workspace: Path) -> tuple[float, int]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": tempfile.mkdtemp()}
    samples = []
    listed = 0
    for _ in range(RUNS):
        proc = subprocess.run([sys.executable, "-c", CHILD, repr(time.time()), mode, str(workspace)],
                              capture_output=True, text=True, env=env, check=True, cwd=ROOT)
        seconds, listed = proc.stdout.split()
        samples.append(float(seconds))
    return statistics.median(samples), int(listed)


def main() -> None:
    examples = make_workspace(0)
    shutil.rmtree(examples)
    shutil.copytree(ROOT / "resources" / "examples", examples)
    big = make_workspace(200)
    base, _ = measure("baseline", examples)
    print("| workspace | pipelines listed | designer s (median of 5) | bare Qt window s | ratio |")
    print("|---|---|---|---|---|")
    for name, ws in (("bundled examples", examples), ("200 pipelines", big)):
        seconds, listed = measure("designer", ws)
        print(f"| {name} | {listed} | {seconds:.2f} | {base:.2f} | {seconds / base:.1f} |")
    shutil.rmtree(examples, ignore_errors=True)
    shutil.rmtree(big, ignore_errors=True)


if __name__ == "__main__":
    main()
