"""Database load throughput: the engine's load session vs hand-written baselines, same run.

N generated rows (id, name, category, amount, flag, created) are loaded with ``insert`` into an
empty table and then with ``upsert`` (half the keys exist, half are new) into SQLite,
PostgreSQL and MariaDB, through ``DatabaseLoadSession`` (what the orchestrator uses: per-batch
transactions, rejected-row isolation, inserted/updated counts) and through baselines:
pandas ``to_sql(method="multi")``, a plain DBAPI ``executemany`` and, on PostgreSQL, psycopg
``COPY`` (the ceiling). Prints a Markdown table. Usage:

    .venv/bin/python benchmarks/db_load.py [--rows 200000] [--batch 10000] [--only postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from pycharter_gui.etl_generator.database import DatabaseLoadSession  # noqa: E402

URLS = {
    "sqlite": f"sqlite:///{HERE / 'data' / 'db_load.db'}",
    "postgresql": os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("PYCHARTER_TEST_MARIADB_URL",
                              "mysql+pymysql://root@127.0.0.1:3306/test"),
}
COLS = ["id", "name", "category", "amount", "flag", "created"]
T0 = dt.datetime(2024, 1, 1)


def rows(start: int, n: int) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"customer {i}", "category": ("a", "b", "c", "d")[i % 4],
             "amount": i * 0.25, "flag": i % 3 == 0, "created": T0 + dt.timedelta(seconds=i)}
            for i in range(start, start + n)]


def make_table(engine: sa.Engine, name: str) -> sa.Table:
    table = sa.Table(name, sa.MetaData(),
                     sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
                     sa.Column("name", sa.String(100)), sa.Column("category", sa.String(10)),
                     sa.Column("amount", sa.Float), sa.Column("flag", sa.Boolean),
                     sa.Column("created", sa.DateTime))
    table.drop(engine, checkfirst=True)
    table.create(engine)
    return table


# ---- the engine --------------------------------------------------------------------------
def engine_load(url: str, table: str, data: list[dict[str, Any]], method: str,
                batch: int) -> None:
    async def go() -> None:
        cfg = {"url": url, "table": table, "write_method": method, "primary_key": ["id"]}
        session = DatabaseLoadSession(cfg, run_key="bench")
        await session.open()
        for i in range(0, len(data), batch):
            res = await session.write_batch(data[i:i + batch], i // batch)
            assert not res.rejected, res.rejected[:1]
        await session.commit()
    asyncio.run(go())


# ---- baselines ---------------------------------------------------------------------------
def pandas_insert(engine: sa.Engine, table: str, data: list[dict[str, Any]], batch: int) -> None:
    import pandas as pd

    df = pd.DataFrame(data, columns=COLS)
    with engine.begin() as conn:
        df.to_sql(table, conn, if_exists="append", index=False, method="multi",
                  chunksize=max(1, min(batch, 60000 // len(COLS))))


def executemany(engine: sa.Engine, table: str, data: list[dict[str, Any]], batch: int,
                upsert: bool) -> None:
    kind = engine.dialect.name
    mark = "?" if kind == "sqlite" else "%s"
    sql = f"INSERT INTO {table} ({', '.join(COLS)}) VALUES ({', '.join([mark] * len(COLS))})"
    sets = [c for c in COLS if c != "id"]
    if upsert and kind == "mysql":
        sql += " ON DUPLICATE KEY UPDATE " + ", ".join(f"{c} = VALUES({c})" for c in sets)
    elif upsert:
        sql += " ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in sets)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for i in range(0, len(data), batch):
            cur.executemany(sql, [tuple(r[c] for c in COLS) for r in data[i:i + batch]])
            raw.commit()
    finally:
        raw.close()


def pg_copy(engine: sa.Engine, table: str, data: list[dict[str, Any]], batch: int) -> None:
    raw = engine.raw_connection()
    try:
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(COLS)}) FROM STDIN") as cp:
            for r in data:
                cp.write_row([r[c] for c in COLS])
        raw.commit()
    finally:
        raw.close()


# ---- driver ------------------------------------------------------------------------------
def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def bench(kind: str, n: int, batch: int) -> list[tuple[str, str, str, float]]:
    url = URLS[kind]
    if kind == "sqlite":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url)
    first, second = rows(0, n), rows(n // 2, n)  # second: half updates, half new keys
    out: list[tuple[str, str, str, float]] = []

    def run(op: str, who: str, fn: Callable[[str], None], prefill: bool) -> None:
        name = f"bench_{op}_{who.split()[0].replace('.', '_').lower()}"
        make_table(engine, name)
        if prefill:
            executemany(engine, name, first, batch, upsert=False)
        seconds = timed(lambda: fn(name))
        count = len(second if prefill else first)
        out.append((kind, op, who, count / seconds))
        sa.Table(name, sa.MetaData()).drop(engine)
        print(f"{kind:10} {op:6} {who:28} {count / seconds:>12,.0f} rows/s", file=sys.stderr)

    run("insert", "engine", lambda t: engine_load(url, t, first, "insert", batch), False)
    run("insert", "pandas to_sql multi", lambda t: pandas_insert(engine, t, first, batch), False)
    run("insert", "executemany", lambda t: executemany(engine, t, first, batch, False), False)
    if kind == "postgresql":
        run("insert", "COPY (ceiling)", lambda t: pg_copy(engine, t, first, batch), False)
    run("upsert", "engine", lambda t: engine_load(url, t, second, "upsert", batch), True)
    run("upsert", "executemany", lambda t: executemany(engine, t, second, batch, True), True)
    engine.dispose()
    return out


def report(results: list[tuple[str, str, str, float]], n: int, batch: int) -> str:
    lines = [f"{n:,} rows, batches of {batch:,}; ratio = engine rows/s ÷ baseline rows/s "
             "(> 1: the engine is faster)", "",
             "| database | operation | loader | rows/s | engine ratio |", "|---|---|---|---:|---:|"]
    engine_speed = {(k, op): r for k, op, who, r in results if who == "engine"}
    for kind, op, who, rate in results:
        ratio = "" if who == "engine" else f"{engine_speed[(kind, op)] / rate:.2f}"
        lines.append(f"| {kind} | {op} | {who} | {rate:,.0f} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=10_000)
    parser.add_argument("--only", choices=sorted(URLS), action="append")
    args = parser.parse_args()
    results: list[tuple[str, str, str, float]] = []
    for kind in args.only or ["sqlite", "postgresql", "mariadb"]:
        results += bench(kind, args.rows, args.batch)
    print(report(results, args.rows, args.batch))


if __name__ == "__main__":
    main()
