"""Issue 16's analyst pipeline: the engine against a pandas script doing the same job.

CSV → rename → convert float/int → add ``now()`` and ``upper(${Region})`` → filter → strict →
JSONata record ``$merge([$, {"total": $round(amount * Qty, 2)}])`` → ``schema.yaml`` contract
(type/required/minimum/minLength) → SQLite. Each job runs in its own process (wall s, CPU s,
peak RSS); the same rows must come out of both. Polars/DuckDB peers run when installed (the
``bench`` extra), else they are reported as skipped. Not a test: no timed assertions.

    .venv/bin/python benchmarks/analyst_pipeline.py --rows 1000000
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from engine_throughput import DATA, make_csv, run_child

TRANSFORM = textwrap.dedent('''
    strict: true
    transform:
      - rename: {city: Region, price: amount, qty: Qty}
      - convert: {amount: float, Qty: int}
      - add: {loaded_at: now(), region_code: 'upper(${Region})'}
      - filter: {field: Qty, operator: gt, value: 1}
    jsonata:
      mode: record
      expression: '$merge([$, {"total": $round(amount * Qty, 2)}])'
''')

SCHEMA = textwrap.dedent('''
    type: object
    required: [id, customer, amount, Qty]
    properties:
      id: {type: integer, minimum: 0}
      customer: {type: string, minLength: 2}
      amount: {type: number, minimum: 0}
      Qty: {type: integer, minimum: 1}
      total: {type: number, minimum: 0}
''')

# the same job as a competent analyst writes it in pandas: chunks, vectorised checks, to_sql
PANDAS_SCRIPT = textwrap.dedent('''
    import sys, sqlite3, datetime, pandas as pd
    src, target = sys.argv[1], sys.argv[2]
    con = sqlite3.connect(target)
    for df in pd.read_csv(src, chunksize=100_000):
        df = df.rename(columns={"city": "Region", "price": "amount", "qty": "Qty"})
        df["amount"] = pd.to_numeric(df["amount"], errors="coerce").astype(float)
        df["Qty"] = pd.to_numeric(df["Qty"], errors="coerce").astype("Int64")
        df["loaded_at"] = datetime.datetime.now().isoformat()
        df["region_code"] = df["Region"].str.upper()
        df = df[df["Qty"] > 1]
        df["total"] = (df["amount"] * df["Qty"]).round(2)
        ok = (df["id"].notna() & (df["id"] >= 0) & (df["customer"].str.len() >= 2)
              & (df["amount"] >= 0) & (df["Qty"] >= 1) & (df["total"] >= 0))
        df[ok].to_sql("items", con, if_exists="append", index=False)
    con.commit()
''')

POLARS_SCRIPT = textwrap.dedent('''
    import sys, datetime, polars as pl
    src, target = sys.argv[1], sys.argv[2]
    df = (pl.scan_csv(src)
          .rename({"city": "Region", "price": "amount", "qty": "Qty"})
          .with_columns(pl.col("amount").cast(pl.Float64), pl.col("Qty").cast(pl.Int64),
                        pl.lit(datetime.datetime.now().isoformat()).alias("loaded_at"),
                        pl.col("Region").str.to_uppercase().alias("region_code"))
          .filter(pl.col("Qty") > 1)
          .with_columns((pl.col("amount") * pl.col("Qty")).round(2).alias("total"))
          .filter((pl.col("id") >= 0) & (pl.col("customer").str.len_chars() >= 2)
                  & (pl.col("amount") >= 0) & (pl.col("total") >= 0))
          .collect())
    import sqlite3
    con = sqlite3.connect(target)
    cols = df.columns
    con.execute(f"CREATE TABLE items ({', '.join(cols)})")
    con.executemany(f"INSERT INTO items VALUES ({', '.join('?' * len(cols))})", df.iter_rows())
    con.commit()
''')

DUCKDB_SCRIPT = textwrap.dedent('''
    import sys, sqlite3, duckdb
    src, target = sys.argv[1], sys.argv[2]
    rel = duckdb.sql(f"""
        SELECT *, round(amount * Qty, 2) AS total FROM (
          SELECT id, customer, city AS Region, CAST(qty AS BIGINT) AS Qty,
                 CAST(price AS DOUBLE) AS amount, discount, sku, channel, created, note,
                 CAST(now() AS VARCHAR) AS loaded_at, upper(city) AS region_code
          FROM read_csv_auto('{src}'))
        WHERE Qty > 1 AND id >= 0 AND length(customer) >= 2 AND amount >= 0""")
    con = sqlite3.connect(target)
    con.execute(f"CREATE TABLE items ({', '.join(rel.columns)})")
    sql = f"INSERT INTO items VALUES ({', '.join('?' * len(rel.columns))})"
    con.executemany(sql, rel.fetchall())
    con.commit()
''')


def make_pipeline(src: Path, rows: int) -> Path:
    folder = DATA / f"analyst_{rows}"
    (folder / "out").mkdir(parents=True, exist_ok=True)
    (folder / "extract.yaml").write_text(f"path: {src}\nbatch_size: 50000\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "schema.yaml").write_text(SCHEMA)
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: sqlite:///{folder}/out/items.db\ntable: items\n"
        "write_method: insert\ncreate_table: true\nbatch_size: 50000\n")
    return folder


def _count(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM items").fetchone()[0]


def _job(name: str, cmd: list[str], target: Path, rows: int) -> tuple[str, float, float, float, int]:
    if target.exists():
        target.unlink()
    wall, cpu, peak = run_child(cmd)
    return name, wall, cpu, peak, _count(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--peers-python", default=sys.executable,
                        help="interpreter with polars/duckdb (the bench extra)")
    args = parser.parse_args()
    src = make_csv(args.rows)
    folder = make_pipeline(src, args.rows)
    cli = shutil.which("pycharter-etl", path=str(Path(sys.executable).parent)) or "pycharter-etl"
    jobs = [("engine", [cli, "run", str(folder)], folder / "out" / "items.db")]
    scripts = {"pandas": PANDAS_SCRIPT, "polars": POLARS_SCRIPT, "duckdb": DUCKDB_SCRIPT}
    for name, script in scripts.items():
        python = sys.executable if name == "pandas" else args.peers_python
        found = subprocess.run([python, "-c", f"import {name}"], capture_output=True)
        if found.returncode != 0:
            print(f"{name}: not installed (pip install pycharter-gui[bench]); skipped")
            continue
        jobs.append((name, [python, "-c", script, str(src), str(DATA / f"{name}.db")],
                     DATA / f"{name}.db"))
    results = [_job(name, cmd, target, args.rows) for name, cmd, target in jobs]
    print(f"\n{args.rows:,} rows → SQLite\n")
    print("| tool | wall s | CPU s | peak MB | input rows/s | rows out |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, wall, cpu, peak, out in results:
        print(f"| {name} | {wall:.1f} | {cpu:.1f} | {peak:.0f} | {args.rows / wall:,.0f} | "
              f"{out:,} |")
    if len({r[4] for r in results}) != 1:
        raise SystemExit("the tools wrote different row counts")


if __name__ == "__main__":
    main()
