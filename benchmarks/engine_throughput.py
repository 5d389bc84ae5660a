"""Engine throughput vs a hand-written pandas script, in the same run.

A generated N-row, 10-column CSV goes through rename / convert / add / drop into Parquet and
into SQLite, once with the engine (``pycharter-etl run``) and once with pandas. Each job runs
in its own process so peak RSS is its own. Usage:

    .venv/bin/python benchmarks/engine_throughput.py [--rows 1000000] [--rows 5000000]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
COLUMNS = ["id", "customer", "city", "qty", "price", "discount", "sku", "channel", "created", "note"]

PANDAS_SCRIPT = textwrap.dedent('''
    import sys, sqlite3, pandas as pd
    src, target, kind = sys.argv[1], sys.argv[2], sys.argv[3]
    chunks = pd.read_csv(src, chunksize=100_000) if kind == "sqlite" else [pd.read_csv(src)]
    con = sqlite3.connect(target) if kind == "sqlite" else None
    for df in chunks:
        df = df.rename(columns={"customer": "customer_name", "qty": "quantity"})
        df["quantity"] = pd.to_numeric(df["quantity"], errors="coerce")
        df["price"] = pd.to_numeric(df["price"], errors="coerce").astype(float)
        df["source"] = "bench"
        df = df.drop(columns=["note"])
        if kind == "sqlite":
            df.to_sql("items", con, if_exists="append", index=False)
        else:
            df.to_parquet(target, index=False)
    if con is not None:
        con.commit()
''')

TRANSFORM = textwrap.dedent('''
    transform:
      rename: {customer: customer_name, qty: quantity}
      convert: {quantity: int, price: float}
      add: {source: bench}
      drop: [note]
''')


def make_csv(rows: int) -> Path:
    path = DATA / f"input_{rows}.csv"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(42)
    cities = ["Paris", "Berlin", "Lagos", "Lima", "Oslo", "Pune"]
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLUMNS)
        for i in range(rows):
            w.writerow([i, f"cust{rng.randint(1, 50000)}", rng.choice(cities), rng.randint(1, 20),
                        f"{rng.uniform(1, 500):.2f}", f"{rng.random():.3f}", f"SKU-{rng.randint(1, 999)}",
                        rng.choice(["web", "shop", "phone"]), f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
                        "some free text"])
    return path


def make_pipeline(src: Path, kind: str, rows: int) -> Path:
    folder = DATA / f"pipe_{kind}_{rows}"
    out = folder / "out"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "extract.yaml").write_text(f"path: {src}\nbatch_size: 50000\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    if kind == "parquet":
        load = f"path: {out}/items.parquet\nformat: parquet\n"
    else:
        load = (f"type: database\ndatabase:\n  url: sqlite:///{out}/items.db\ntable: items\n"
                "write_method: insert\ncreate_table: true\nbatch_size: 50000\n")
    (folder / "load.yaml").write_text(load)
    return folder


def run_child(cmd: list[str]) -> tuple[float, float]:
    """Run the job through a fresh wrapper so RUSAGE_CHILDREN is per job."""
    wrapper = ("import resource,subprocess,sys,time;t=time.perf_counter();"
               "r=subprocess.run(sys.argv[1:]);d=time.perf_counter()-t;"
               "print(d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024);sys.exit(r.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}")
    seconds, peak = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(peak)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    etl = str(Path(sys.executable).with_name("pycharter-etl"))
    print("| rows | target | engine s | engine rows/s | engine peak MB | pandas s | pandas rows/s "
          "| pandas peak MB | speed ratio (pandas s / engine s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rows in sizes:
        src = make_csv(rows)
        for kind in ("parquet", "sqlite"):
            folder = make_pipeline(src, kind, rows)
            for old in (folder / "out").glob("*"):
                old.unlink()
            e_s, e_mb = run_child([etl, "run", str(folder)])
            pandas_target = folder / "out" / ("pandas.parquet" if kind == "parquet" else "pandas.db")
            p_s, p_mb = run_child([sys.executable, "-c", PANDAS_SCRIPT, str(src), str(pandas_target), kind])
            print(f"| {rows:,} | {kind} | {e_s:.1f} | {rows / e_s:,.0f} | {e_mb:.0f} | {p_s:.1f} "
                  f"| {rows / p_s:,.0f} | {p_mb:.0f} | {p_s / e_s:.2f} |", flush=True)


if __name__ == "__main__":
    main()
