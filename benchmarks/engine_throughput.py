"""Engine throughput vs a hand-written pandas script, in the same run.

A generated N-row, 10-column CSV goes through rename / convert / add / drop into Parquet and
into SQLite, once with the engine (``pycharter-etl run``) and once with pandas. Each job runs
in its own process so peak RSS and CPU time are its own; with ``--repeat N`` each job runs N
times and the fastest run counts (the machine may be shared). After each pair the two outputs
are compared (same rows, same columns, same values in a sample) so both did the same work.
Results and their reading: benchmarks/README.md. Usage:

    .venv/bin/python benchmarks/engine_throughput.py [--rows 1000000] [--rows 5000000] [--repeat 3]
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

# What an analyst writes: chunked for SQLite; whole-file for Parquet (one to_parquet call per
# file is how people write it, at the cost of holding the whole table in memory).
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


def run_child(cmd: list[str]) -> tuple[float, float, float]:
    """Run the job through a fresh wrapper so RUSAGE_CHILDREN is per job: (wall s, CPU s, MB)."""
    wrapper = ("import resource,subprocess,sys,time;t=time.perf_counter();"
               "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL);"
               "d=time.perf_counter()-t;u=resource.getrusage(resource.RUSAGE_CHILDREN);"
               "print(d, u.ru_utime+u.ru_stime, u.ru_maxrss/1024);sys.exit(r.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed:\n{proc.stdout}\n{proc.stderr}")
    seconds, cpu, peak = proc.stdout.strip().splitlines()[-1].split()
    return float(seconds), float(cpu), float(peak)


def best_of(cmd: list[str], repeat: int, clean: Path) -> tuple[float, float, float]:
    """The fastest of ``repeat`` runs (wall time), removing ``clean`` before each run."""
    runs = []
    for _ in range(repeat):
        if clean.exists():
            clean.unlink()
        runs.append(run_child(cmd))
    return min(runs)


def _parquet_rows(path: Path) -> tuple[int, dict[str, str], list[dict]]:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    kinds = {f.name: str(f.type).replace("large_", "") for f in table.schema}
    return table.num_rows, kinds, table.slice(0, 1000).to_pylist()


def _sqlite_rows(path: Path) -> tuple[int, dict[str, str], list[dict]]:
    import sqlite3

    con = sqlite3.connect(path)
    try:
        count = con.execute("SELECT count(*) FROM items").fetchone()[0]
        cur = con.execute("SELECT * FROM items ORDER BY id LIMIT 1000")
        names = [d[0] for d in cur.description]
        sample = [dict(zip(names, row, strict=True)) for row in cur]
        kinds = {r[0]: str(r[1]) for r in con.execute(
            "SELECT name, type FROM pragma_table_info('items')")}
        kinds = {k: ("integer" if "INT" in v.upper() else "real" if v.upper() in ("REAL", "FLOAT")
                     else "text") for k, v in kinds.items()}
    finally:
        con.close()
    return count, kinds, sample


def check_same_output(kind: str, engine: Path, pandas: Path, rows: int) -> str:
    """Both jobs wrote the same rows, columns, column types and values (order aside)."""
    read = _parquet_rows if kind == "parquet" else _sqlite_rows
    (n1, k1, s1), (n2, k2, s2) = read(engine), read(pandas)
    problems = []
    if not n1 == n2 == rows:
        problems.append(f"rows {n1} vs {n2} (expected {rows})")
    if k1 != k2:
        problems.append(f"columns/types {k1} vs {k2}")
    if s1 != s2:
        problems.append("sampled values differ")
    if problems:
        raise SystemExit(f"{kind}: the engine and pandas outputs differ: {'; '.join(problems)}")
    return "same"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--repeat", type=int, default=1, help="runs per job; the fastest counts")
    args = parser.parse_args()
    sizes = args.rows or [1_000_000]
    etl = str(Path(sys.executable).with_name("pycharter-etl"))
    print("| rows | target | engine s (CPU s) | engine rows/s | engine peak MB | pandas s (CPU s) "
          "| pandas rows/s | pandas peak MB | ratio pandas s / engine s | output |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for rows in sizes:
        src = make_csv(rows)
        for kind in ("parquet", "sqlite"):
            folder = make_pipeline(src, kind, rows)
            for old in (folder / "out").glob("*"):
                old.unlink()
            ext = "parquet" if kind == "parquet" else "db"
            engine_target = folder / "out" / f"items.{ext}"
            pandas_target = folder / "out" / f"pandas.{ext}"
            e_s, e_cpu, e_mb = best_of([etl, "run", str(folder)], args.repeat, engine_target)
            p_s, p_cpu, p_mb = best_of(
                [sys.executable, "-c", PANDAS_SCRIPT, str(src), str(pandas_target), kind],
                args.repeat, pandas_target)
            same = check_same_output(kind, engine_target, pandas_target, rows)
            print(f"| {rows:,} | {kind} | {e_s:.1f} ({e_cpu:.1f}) | {rows / e_s:,.0f} | {e_mb:.0f} "
                  f"| {p_s:.1f} ({p_cpu:.1f}) | {rows / p_s:,.0f} | {p_mb:.0f} | {p_s / e_s:.2f} "
                  f"| {same} |", flush=True)


if __name__ == "__main__":
    main()
