"""Issue 16's simple job: the engine against pandas, polars, DuckDB and dlt doing the same work.

CSV → rename {customer: name, city: town} → convert {qty: float, created: date} → add
{source: bench} → drop [channel] → Parquet, and → SQLite. (The issue's file has name/city/
category columns; the engine-throughput CSV has customer/city/channel, renamed the same way.)
Each job runs in its own process (wall s, CPU s, peak RSS); every tool must write the same row
count. Peers come from the ``bench`` extra (``--peers-python``); a peer that is not installed
is reported as skipped. dlt runs with telemetry off, local destinations only. Not a test.

    .venv/bin/python benchmarks/simple_job.py --rows 1000000 --rows 5000000 \
        --peers-python /tmp/b16/peers/bin/python [--target parquet] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from engine_throughput import DATA, make_csv, run_child

TRANSFORM = textwrap.dedent('''
    transform:
      rename: {customer: name, city: town}
      convert: {qty: float, created: date}
      add: {source: bench}
      drop: [channel]
''')

PANDAS = textwrap.dedent('''
    import sys, sqlite3, pandas as pd
    src, target, kind = sys.argv[1:4]
    def shape(df):
        df = df.rename(columns={"customer": "name", "city": "town"})
        df["qty"] = df["qty"].astype(float)
        df["created"] = pd.to_datetime(df["created"], format="%Y-%m-%d").dt.date
        df["source"] = "bench"
        return df.drop(columns=["channel"])
    if kind == "parquet":
        shape(pd.read_csv(src)).to_parquet(target, index=False)
    else:
        con = sqlite3.connect(target)
        for df in pd.read_csv(src, chunksize=100_000):
            shape(df).to_sql("items", con, if_exists="append", index=False)
        con.commit()
''')

POLARS = textwrap.dedent('''
    import sys, sqlite3, polars as pl
    src, target, kind = sys.argv[1:4]
    lf = (pl.scan_csv(src)
          .rename({"customer": "name", "city": "town"})
          .with_columns(pl.col("qty").cast(pl.Float64),
                        pl.col("created").str.to_date("%Y-%m-%d"),
                        pl.lit("bench").alias("source"))
          .drop("channel"))
    if kind == "parquet":
        lf.sink_parquet(target)
    else:
        df = lf.collect()
        con = sqlite3.connect(target)
        con.execute(f"CREATE TABLE items ({', '.join(df.columns)})")
        con.executemany(f"INSERT INTO items VALUES ({', '.join('?' * df.width)})",
                        df.with_columns(pl.col("created").cast(pl.String)).iter_rows())
        con.commit()
''')

DUCKDB = textwrap.dedent('''
    import sys, sqlite3, duckdb
    src, target, kind = sys.argv[1:4]
    query = f"""SELECT id, customer AS name, city AS town, CAST(qty AS DOUBLE) AS qty, price,
                       discount, sku, CAST(created AS DATE) AS created, note,
                       'bench' AS source
                FROM read_csv_auto('{src}')"""
    if kind == "parquet":
        duckdb.sql(f"COPY ({query}) TO '{target}' (FORMAT parquet)")
    else:
        cursor = duckdb.connect().execute(
            query.replace("CAST(created AS DATE)", "CAST(CAST(created AS DATE) AS VARCHAR)"))
        columns = [d[0] for d in cursor.description]
        con = sqlite3.connect(target)
        con.execute(f"CREATE TABLE items ({', '.join(columns)})")
        sql = f"INSERT INTO items VALUES ({', '.join('?' * len(columns))})"
        while rows := cursor.fetchmany(100_000):
            con.executemany(sql, rows)
        con.commit()
''')

DLT = textwrap.dedent('''
    import os, sys, pandas as pd, dlt, sqlalchemy
    src, target, kind = sys.argv[1:4]
    @dlt.resource(name="items", write_disposition="replace")
    def items():
        for df in pd.read_csv(src, chunksize=100_000):
            df = df.rename(columns={"customer": "name", "city": "town"})
            df["qty"] = df["qty"].astype(float)
            df["created"] = pd.to_datetime(df["created"], format="%Y-%m-%d").dt.date
            df["source"] = "bench"
            yield df.drop(columns=["channel"])
    os.chdir(os.path.dirname(target))
    if kind == "parquet":
        dest = dlt.destinations.filesystem(bucket_url="file://" + os.path.abspath("dlt_out"))
        pipe = dlt.pipeline("bench_parquet", destination=dest, dataset_name="bench",
                            pipelines_dir=os.path.abspath("dlt_state"))
        pipe.run(items(), loader_file_format="parquet")
    else:
        dest = dlt.destinations.sqlalchemy(sqlalchemy.create_engine("sqlite:///" + target))
        pipe = dlt.pipeline("bench_sqlite", destination=dest, dataset_name="main",
                            pipelines_dir=os.path.abspath("dlt_state"))
        pipe.run(items())
''')

PEERS = {"pandas": PANDAS, "polars": POLARS, "duckdb": DUCKDB, "dlt": DLT}


def make_pipeline(src: Path, kind: str, rows: int) -> tuple[Path, Path]:
    folder = DATA / f"simple_{kind}_{rows}"
    out = folder / "out"
    out.mkdir(parents=True, exist_ok=True)
    (folder / "extract.yaml").write_text(f"path: {src}\nbatch_size: 50000\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    if kind == "parquet":
        target = out / "items.parquet"
        load = f"path: {target}\nformat: parquet\n"
    else:
        target = out / "items.db"
        load = (f"type: database\ndatabase:\n  url: sqlite:///{target}\ntable: items\n"
                "write_method: insert\ncreate_table: true\nbatch_size: 50000\n")
    (folder / "load.yaml").write_text(load)
    return folder, target


def rows_written(target: Path, kind: str) -> int:
    if kind == "parquet":
        import pyarrow.parquet as pq

        files = [target] if target.is_file() else sorted(target.rglob("*.parquet"))
        return sum(pq.ParquetFile(f).metadata.num_rows for f in files)
    with sqlite3.connect(target) as db:
        table = db.execute("SELECT name FROM sqlite_master WHERE type='table' "
                           "AND name LIKE '%items%' ORDER BY name = 'items' DESC").fetchone()[0]
        return db.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]


def _clean(target: Path) -> None:
    for path in (target, target.parent / "dlt_out", target.parent / "dlt_state"):
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append")
    parser.add_argument("--peers-python", default=sys.executable,
                        help="interpreter with polars/duckdb/dlt (the bench extra)")
    parser.add_argument("--target", choices=["parquet", "sqlite"], action="append",
                        help="only this target (repeatable; default both)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run every tool N times, interleaved, and keep each one's fastest "
                             "(this box's timings swing by ~20%% from run to run)")
    args = parser.parse_args()
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    cli = shutil.which("pycharter-etl", path=str(Path(sys.executable).parent)) or "pycharter-etl"
    installed = {}
    for name in PEERS:
        python = sys.executable if name == "pandas" else args.peers_python
        found = subprocess.run([python, "-c", f"import {name}"], capture_output=True)
        installed[name] = python if found.returncode == 0 else None
        if installed[name] is None:
            print(f"{name}: not installed in {python}; skipped")
    print("| rows | target | tool | wall s | CPU s | peak MB | rows/s (wall) | rows out |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    for rows in args.rows or [1_000_000]:
        src = make_csv(rows)
        for kind in args.target or ["parquet", "sqlite"]:
            folder, target = make_pipeline(src, kind, rows)
            jobs = [("engine", [cli, "run", str(folder)], target)]
            for name, script in PEERS.items():
                if installed[name]:
                    peer_target = folder / "out" / f"{name}.{'parquet' if kind == 'parquet' else 'db'}"
                    jobs.append((name, [installed[name], "-c", script, str(src), str(peer_target),
                                        kind], peer_target))
            best: dict[str, tuple[float, float, float, int] | str] = {}
            for _ in range(max(1, args.repeat)):
                for name, cmd, out in jobs:
                    _clean(out)
                    if name == "dlt":
                        out = folder / "out" / "dlt_out" if kind == "parquet" else out
                    try:
                        wall, cpu, peak = run_child(cmd)
                    except SystemExit as exc:
                        best[name] = f"failed: {str(exc)[-300:]!r}"
                        continue
                    old = best.get(name)
                    if not isinstance(old, tuple) or wall < old[0]:
                        best[name] = (wall, cpu, peak, rows_written(out, kind))
            for name, *_ in jobs:
                found = best.get(name)
                if not isinstance(found, tuple):
                    print(f"| {rows:,} | {kind} | {name} | {found} |")
                    continue
                wall, cpu, peak, written = found
                print(f"| {rows:,} | {kind} | {name} | {wall:.1f} | {cpu:.1f} | {peak:.0f} | "
                      f"{rows / wall:,.0f} | {written:,} |", flush=True)

if __name__ == "__main__":
    main()
