"""Scale-out benchmark: 8 CSV files x 500,000 rows -> transforms -> Parquet.

Runs the same pipeline folder three ways in one invocation and prints a Markdown table:
single process (``executor: local``), then a Dask ``LocalCluster`` with 1 and with 2 worker
processes (one thread each). Memory is the peak RSS of each process (``ru_maxrss``): the
single-process run is measured in a child process, workers through ``client.run``.

    .venv/bin/python benchmarks/scale_out.py [--files 8] [--rows 500000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRANSFORM = """transform:
  rename:
    Amount: amount
    Qty: quantity
  convert:
    id: int
    amount: float
    quantity: int
  add:
    total: ${amount} * ${quantity}
    region_code: upper(${region})
  filter:
    field: status
    operator: ne
    value: cancelled
  drop: [note]
"""
LOAD = "type: file\npath: out/sales.parquet\nformat: parquet\n"


def make_inputs(folder: Path, files: int, rows: int) -> None:
    """Write ``files`` CSV files of ``rows`` rows each (deterministic)."""
    (folder / "in").mkdir(parents=True, exist_ok=True)
    rnd = random.Random(42)
    regions = ["north", "south", "east", "west"]
    statuses = ["ok"] * 9 + ["cancelled"]
    for f in range(files):
        with open(folder / "in" / f"sales_{f:02d}.csv", "w", newline="") as out:
            w = csv.writer(out)
            w.writerow(["id", "Amount", "Qty", "region", "status", "note"])
            base = f * rows
            for i in range(rows):
                w.writerow([base + i, f"{rnd.random() * 100:.2f}", rnd.randint(1, 9),
                            regions[i % 4], statuses[i % 10], "x"])
    (folder / "extract.yaml").write_text("path: in/*.csv\nbatch_size: 50000\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "load.yaml").write_text(LOAD)


SINGLE = """
import asyncio, json, resource, sys, time
from pycharter_gui.etl_generator import ETLOrchestrator
orch = ETLOrchestrator(contract_dir=sys.argv[1], verbose=False)
t = time.perf_counter()
r = asyncio.run(orch.run())
print(json.dumps({"seconds": time.perf_counter() - t, "success": r["success"],
                  "loaded": r["loading"]["total_records"],
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_single(folder: Path) -> dict:
    out = subprocess.run([sys.executable, "-c", SINGLE, str(folder)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_dask(folder: Path, workers: int) -> dict:
    from distributed import Client, LocalCluster

    from pycharter_gui.etl_generator import ETLOrchestrator

    with LocalCluster(processes=True, n_workers=workers, threads_per_worker=1,
                      host="127.0.0.1", dashboard_address=None) as cluster, \
            Client(cluster) as client:
        client.wait_for_workers(workers)
        orch = ETLOrchestrator(contract_dir=folder, verbose=False)
        t = time.perf_counter()
        r = asyncio.run(orch.run(executor="dask", scheduler_address=cluster.scheduler_address,
                                 resume=False))
        seconds = time.perf_counter() - t
        peaks = sorted(client.run(_peak_mb).values())
    return {"seconds": seconds, "success": r["success"], "loaded": r["loading"]["total_records"],
            "worker_peak_mb": peaks, "client_peak_mb": _peak_mb(), "error": r["error"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--keep", type=Path, help="work folder to keep (default: a temp folder)")
    args = ap.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="pcg-scale-"))
    try:
        t = time.perf_counter()
        make_inputs(folder, args.files, args.rows)
        print(f"inputs: {args.files} x {args.rows:,} rows in {time.perf_counter() - t:.1f}s; "
              f"{os.cpu_count()} CPU(s)", file=sys.stderr)
        single = run_single(folder)
        print("single:", single, file=sys.stderr)
        results = [("single process", single)]
        for n in (1, 2):
            res = run_dask(folder, n)
            print(f"dask {n}:", res, file=sys.stderr)
            results.append((f"LocalCluster, {n} worker{'s' if n > 1 else ''}", res))
        base = single["seconds"]
        total = args.files * args.rows
        print("| run | seconds | rows/s | speed-up | peak RSS per process (MB) |")
        print("|---|---:|---:|---:|---|")
        for name, res in results:
            mem = (f"{res['peak_mb']:.0f}" if "peak_mb" in res else
                   "workers " + ", ".join(f"{m:.0f}" for m in res["worker_peak_mb"])
                   + f"; client {res['client_peak_mb']:.0f}")
            ok = "" if res["success"] else " (FAILED)"
            print(f"| {name}{ok} | {res['seconds']:.1f} | {total / res['seconds']:,.0f} | "
                  f"{base / res['seconds']:.2f}x | {mem} |")
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
