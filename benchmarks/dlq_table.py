"""Dead-letter panel at a million records: first paint, jump to the last row, filter, memory.

Usage: ``python benchmarks/dlq_table.py [--records N]``. Generates the DLQ once into
``benchmarks/data/`` (git-ignored) as a JSON Lines file and a SQLite file, then runs every
scenario in its own process (so peak RSS is the scenario's own) and prints a Markdown table:

* ``panel``: the DeadLetterPanel opening the file (lazy model paging in a worker).
* ``pandas``: the naive approach: ``pandas.read_json(lines=True)`` (or ``read_sql``) of the
  whole DLQ into a plain table model, then the same view.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
DATA = Path(__file__).parent / "data"
REASONS = ("validation_error", "transformation_error", "load_error")
STAGES = ("validate", "transform", "load")


def generate(n: int) -> tuple[Path, Path]:
    """Write ``n`` dead letters to dlq_<n>.jsonl and dlq_<n>.db (once)."""
    from pycharter_gui.etl_generator import DeadLetterQueue, DeadLetterRecord

    DATA.mkdir(parents=True, exist_ok=True)
    jsonl, db = DATA / f"dlq_{n}.jsonl", DATA / f"dlq_{n}.db"
    if jsonl.exists() and db.exists():
        return jsonl, db
    for p in (jsonl, db):
        p.unlink(missing_ok=True)
    fq = DeadLetterQueue(storage_backend="file", storage_path=jsonl)
    sq = DeadLetterQueue(storage_backend="sqlite", storage_path=db)
    chunk = 50_000
    for start in range(0, n, chunk):
        recs = []
        for i in range(start, min(n, start + chunk)):
            k = i % 3
            recs.append(DeadLetterRecord(
                "orders", {"order_id": i, "customer": f"C{i % 9973:05d}", "amount": f"x{i}",
                           "currency": "EUR", "created": "2024-05-01T10:00:00"},
                REASONS[k], f"cannot convert amount='x{i}' to float", "ValueError", STAGES[k],
                {"run_id": f"run{i // 100_000}", "batch_index": i // 1000, "record_index": i % 1000,
                 "field": "amount"},
                record_id=f"{i:032x}",
                timestamp=f"2024-05-01T{i // 3_600_000 % 24:02d}:{i // 60_000 % 60:02d}:"
                          f"{i // 1000 % 60:02d}.{i % 1000:03d}000"))
        fq.add_records(recs)
        sq.add_records(recs)
        print(f"  generated {min(n, start + chunk):,}", file=sys.stderr)
    return jsonl, db


def _wait(signal, timeout_ms: int = 600_000) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def scenario_panel(path: Path) -> dict:
    from PySide6.QtWidgets import QApplication

    from pycharter_gui.designer.models.dead_letter_table_model import PLACEHOLDER
    from pycharter_gui.designer.views.dead_letter_panel import DeadLetterPanel
    from pycharter_gui.designer.workers.async_loop import async_loop

    app = QApplication([])
    async_loop()  # the app starts its async loop once at launch (STYLE.md §3)
    panel = DeadLetterPanel()
    panel.resize(1400, 800)
    panel.show()
    app.processEvents()
    out: dict = {}
    stats_at: list[float] = []
    panel.statistics_loaded.connect(lambda _s: stats_at.append(time.perf_counter()))
    t0 = time.perf_counter()
    panel.open_file(path)
    _wait(panel.model.reloaded)
    panel.grab()
    out["first_paint_s"] = time.perf_counter() - t0
    out["rows"] = panel.model.total
    if not stats_at:
        _wait(panel.statistics_loaded)
    out["summary_s"] = stats_at[0] - t0
    model, last = panel.model, panel.model.total - 1
    t0 = time.perf_counter()
    panel.end_action.trigger()
    while model.data(model.index(last, 0)) in (None, PLACEHOLDER):
        _wait(model.chunk_loaded)
    panel.grab()
    out["jump_to_last_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    panel.filter_bar.set_reason("load_error")
    _wait(model.reloaded)
    panel.grab()
    out["filter_reason_s"] = time.perf_counter() - t0
    out["filter_reason_rows"] = model.total
    t0 = time.perf_counter()
    panel.filter_bar.text.setText("C00042")
    panel.filter_bar.text.returnPressed.emit()
    _wait(model.reloaded)
    panel.grab()
    out["filter_text_s"] = time.perf_counter() - t0
    out["filter_text_rows"] = model.total
    out["cached_rows"] = model.cached_rows()
    return out


def scenario_pandas(path: Path) -> dict:
    import pandas as pd
    from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
    from PySide6.QtWidgets import QApplication, QTableView

    class FrameModel(QAbstractTableModel):
        def __init__(self, df: pd.DataFrame) -> None:
            super().__init__()
            self.df = df

        def rowCount(self, parent=QModelIndex()) -> int:
            return 0 if parent.isValid() else len(self.df)

        def columnCount(self, parent=QModelIndex()) -> int:
            return 0 if parent.isValid() else len(self.df.columns)

        def data(self, index, role=Qt.ItemDataRole.DisplayRole):
            if role == Qt.ItemDataRole.DisplayRole:
                return str(self.df.iat[index.row(), index.column()])
            return None

    app = QApplication([])
    view = QTableView()
    view.resize(1400, 800)
    view.show()
    app.processEvents()
    out: dict = {}
    t0 = time.perf_counter()
    if path.suffix == ".jsonl":
        df = pd.read_json(path, lines=True)
    else:
        import sqlite3

        with sqlite3.connect(path) as conn:
            df = pd.read_sql("SELECT * FROM dead_letter_queue ORDER BY timestamp", conn)
    model = FrameModel(df)
    view.setModel(model)
    view.grab()
    out["first_paint_s"] = time.perf_counter() - t0
    out["rows"] = len(df)
    t0 = time.perf_counter()
    view.scrollToBottom()
    view.grab()
    out["jump_to_last_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    model.beginResetModel()
    model.df = df[df["reason"] == "load_error"]
    model.endResetModel()
    view.grab()
    out["filter_reason_s"] = time.perf_counter() - t0
    out["filter_reason_rows"] = len(model.df)
    t0 = time.perf_counter()
    text = df["record_data"].astype(str) + df["error_message"].astype(str)
    model.beginResetModel()
    model.df = df[(df["reason"] == "load_error") & text.str.contains("C00042", regex=False)]
    model.endResetModel()
    view.grab()
    out["filter_text_s"] = time.perf_counter() - t0
    out["filter_text_rows"] = len(model.df)
    return out


def run_one(kind: str, path: Path) -> dict:
    out = (scenario_panel if kind == "panel" else scenario_pandas)(path)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--one", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], Path(args.one[1]))))
        return
    jsonl, db = generate(args.records)
    rows = []
    for path in (jsonl, db):
        for kind in ("panel", "pandas"):
            proc = subprocess.run([sys.executable, __file__, "--one", kind, str(path)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                print(proc.stderr[-2000:], file=sys.stderr)
                continue
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            rows.append((path.suffix.lstrip("."), kind, result))
            print(path.name, kind, result, file=sys.stderr)
    cols = ("first_paint_s", "jump_to_last_s", "filter_reason_s", "filter_text_s", "peak_rss_mb")
    print(f"{args.records:,} dead letters; {os.cpu_count()} CPUs\n")
    print("| backend | approach | " + " | ".join(cols) + " |")
    print("|---|---|" + "---|" * len(cols))
    for backend, kind, r in rows:
        print(f"| {backend} | {kind} | " + " | ".join(f"{r.get(c, float('nan')):.2f}" for c in cols) + " |")


if __name__ == "__main__":
    main()
