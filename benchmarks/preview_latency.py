"""Time to first row in the preview table: a big CSV and a paginated local HTTP source.

Measures from the Preview click to the first ``batch_loaded`` of ``PreviewPanel`` (rows in
the model). Target (issue 7): under 0.5 s, flat in the file size. Usage:

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/preview_latency.py [--size-mb 2048 ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def make_csv(size_mb: int) -> Path:
    folder = HERE / "data" / "gui_ws" / f"csv_{size_mb}mb"
    (folder / "data").mkdir(parents=True, exist_ok=True)
    src = folder / "data" / "big.csv"
    if not src.exists() or src.stat().st_size < size_mb * 1_000_000:
        line = "{i},customer {i},Oslo,{q},{p}.50,some free text to make the row longer\n"
        chunk_rows = 100_000
        with src.open("w") as fh:
            fh.write("id,customer,city,qty,price,note\n")
            i = 0
            while fh.tell() < size_mb * 1_000_000:
                fh.write("".join(line.format(i=i + k, q=k % 50, p=k % 999) for k in range(chunk_rows)))
                i += chunk_rows
    (folder / "extract.yaml").write_text("type: file\npath: data/big.csv\n")
    (folder / "transform.yaml").write_text("{}\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    return folder


class _Pages(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        page = int(parse_qs(urlparse(self.path).query).get("page", ["1"])[0])
        body = json.dumps({"items": [{"id": (page - 1) * 100 + i, "v": i} for i in range(100)] if page <= 50 else []})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def make_http() -> tuple[Path, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    folder = HERE / "data" / "gui_ws" / "http"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extract.yaml").write_text(
        f"type: http\nurl: http://127.0.0.1:{server.server_port}/items\nresponse_path: items\n"
        "pagination:\n  strategy: page\n  page_param: page\n")
    (folder / "transform.yaml").write_text("{}\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    return folder, server


def time_to_first_row(folder: Path, n: int = 100) -> tuple[float, str]:
    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop
    from PySide6.QtWidgets import QApplication

    from pycharter_gui.designer.views.preview_panel import PreviewPanel

    app = QApplication.instance() or QApplication([])
    panel = PreviewPanel()
    panel.show()
    panel.set_pipeline(folder)
    panel.n_spin.setValue(n)
    loop = QEventLoop()
    first: list[float] = []
    panel.batch_loaded.connect(lambda _rows: first.append(time.perf_counter()) if not first else None)
    panel.preview_finished.connect(loop.quit)
    panel.preview_failed.connect(loop.quit)
    started = time.perf_counter()
    panel.preview_button.click()
    loop.exec()
    app.processEvents()
    status = panel.status_label.text() + (" | " + panel.message_bar.text() if panel.message_bar.text() else "")
    panel.cancel()
    panel.set_pipeline(folder.parent)  # closes the open preview stream
    app.processEvents()
    panel.close()
    panel.deleteLater()  # delete on the GUI thread now, not at interpreter teardown
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    return (first[0] - started) if first else float("nan"), status


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, action="append", help="CSV sizes (default 100 and 2048)")
    args = parser.parse_args()
    time_to_first_row(make_csv(1))  # warm up: imports and first-use costs are not the source's
    for size in args.size_mb or [100, 2048]:
        folder = make_csv(size)
        t, status = time_to_first_row(folder)
        print(f"CSV {size:>5} MB: first row after {t * 1000:.0f} ms  ({status})")
    folder, server = make_http()
    t, status = time_to_first_row(folder)
    server.shutdown()
    print(f"HTTP paginated: first row after {t * 1000:.0f} ms  ({status})")
    from pycharter_gui.designer.workers.async_loop import shutdown_async_loop
    from pycharter_gui.designer.workers.task import TaskHandle

    TaskHandle.cancel_all()
    shutdown_async_loop()


if __name__ == "__main__":
    main()
