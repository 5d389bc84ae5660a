"""Distributed runs on a real LocalCluster (processes, 2 workers, 127.0.0.1).

One cluster serves the whole module. ``allowed-failures: 0`` makes a task whose worker dies
fail at once (instead of being retried on another worker), so the kill test can check the
rerun.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator import DeadLetterQueue, ETLOrchestrator
from pycharter_gui.etl_generator.distributed import PartitionProgress

distributed = pytest.importorskip("distributed")

TRANSFORM = """strict: true
transform:
  convert:
    id: int
    amount: float
  filter:
    field: status
    operator: ne
    value: cancelled
"""
KILLER = '''
import os
MARKER = {marker!r}

def maybe_die(record, **_):
    if record["id"] == 25 and os.path.exists(MARKER):
        os._exit(3)
    return record
'''


PG_URL = os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _require_postgres() -> str:
    """The server's URL, or skip (locally) / fail (CI=true) when it does not answer."""
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool,
                              connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
    except Exception as exc:
        problem = f"PostgreSQL at {PG_URL} is not reachable ({exc}); see scripts/services.sh"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(problem)
        pytest.skip(problem)
    finally:
        engine.dispose()
    return PG_URL


@pytest.fixture(scope="module")
def cluster_address() -> Any:
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                           host="127.0.0.1", dashboard_address=None)
    try:
        yield cluster.scheduler_address
    finally:
        cluster.close()


def _inputs(folder: Path) -> None:
    """3 CSV files, 30 rows each: one row with a bad amount, every 10th row cancelled."""
    (folder / "in").mkdir(parents=True)
    for f in range(3):
        rows = ["id,amount,status"]
        for i in range(f * 30, f * 30 + 30):
            amount = "oops" if i == 7 + f * 30 else f"{i * 1.5}"
            rows.append(f"{i},{amount},{'cancelled' if i % 10 == 3 else 'ok'}")
        (folder / "in" / f"part{f}.csv").write_text("\n".join(rows) + "\n")


def _pipeline(folder: Path, load: str, transform: str = TRANSFORM) -> Path:
    _inputs(folder)
    (folder / "extract.yaml").write_text("path: in/*.csv\nbatch_size: 8\n")
    (folder / "transform.yaml").write_text(transform)
    (folder / "load.yaml").write_text(load)
    return folder


def _check_accounting(result: dict[str, Any]) -> None:
    extracted = result["extraction"]["total_records"]
    assert extracted == (result["loading"]["total_records"] + result["dead_lettered"]
                         + result["transformation"]["filtered"])
    assert sum(p["extracted"] for p in result["partitions"]) == extracted


SQLITE_LOAD = ("type: database\ndatabase:\n  url: sqlite:///out/target.db\ntable: items\n"
               "write_method: insert\ncreate_table: true\n")


async def test_glob_into_sqlite(tmp_path: Path, cluster_address: str) -> None:
    folder = _pipeline(tmp_path / "pipe", SQLITE_LOAD)
    seen: list[PartitionProgress] = []
    orch = ETLOrchestrator(contract_dir=folder, progress_callback=seen.append, verbose=False)
    result = await orch.run(executor="dask", scheduler_address=cluster_address)
    assert result["success"], result["error"]
    assert [p["id"] for p in result["partitions"]] == [0, 1, 2]
    assert result["extraction"]["total_records"] == 90
    assert result["transformation"]["filtered"] == 9
    assert result["dead_lettered"] == 3
    _check_accounting(result)
    with sqlite3.connect(folder / "out" / "target.db") as db:
        ids = [r[0] for r in db.execute("SELECT id FROM items ORDER BY id")]
        tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert ids == [i for i in range(90) if i % 10 != 3 and i % 30 != 7]
    assert tables == ["items"], "staging tables are dropped after the move"
    # dead letters: in the pipeline's DLQ file, each with its partition id
    lines = (folder / ".pycharter" / "dead_letters.jsonl").read_text().splitlines()
    letters = [json.loads(x) for x in lines]
    assert sorted(d["metadata"]["partition_id"] for d in letters) == [0, 1, 2]
    assert {d["record_data"]["id"] for d in letters} == {7, 37, 67}
    # ...found by the run's id, as the designer's "Show dead letters" link asks for them
    queue = DeadLetterQueue(storage_backend="file",
                            storage_path=folder / ".pycharter" / "dead_letters.jsonl")
    assert queue.count({"run_id": result["run_id"]}) == 3
    # progress: one report per finished partition, ending at 3/3
    finished = [p for p in seen if p.partition_id is not None]
    assert sorted(p.partition_id for p in finished) == [0, 1, 2]
    assert seen[-1].partitions_done == 3 and seen[-1].stage == "done"
    assert not (folder / ".pycharter" / "dask").exists() or not any(
        (folder / ".pycharter" / "dask").iterdir())


async def test_glob_into_parquet_equals_a_local_run(tmp_path: Path, cluster_address: str) -> None:
    load = "type: file\npath: out/items.parquet\nformat: parquet\n"
    local = _pipeline(tmp_path / "local", load)
    local_result = await ETLOrchestrator(contract_dir=local, verbose=False).run()
    assert local_result["success"]
    folder = _pipeline(tmp_path / "dask", load)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(
        executor="dask", scheduler_address=cluster_address)
    assert result["success"], result["error"]
    _check_accounting(result)
    got = pq.read_table(folder / "out" / "items.parquet")
    want = pq.read_table(local / "out" / "items.parquet")
    assert got.to_pylist() == want.to_pylist()
    assert got.num_rows == 78
    assert [p.name for p in (folder / "out").iterdir()] == ["items.parquet"]


async def test_dry_run_writes_nothing(tmp_path: Path, cluster_address: str) -> None:
    folder = _pipeline(tmp_path / "pipe", SQLITE_LOAD)
    before = sorted(p.relative_to(folder) for p in folder.rglob("*"))
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(
        executor="dask", scheduler_address=cluster_address, dry_run=True)
    assert result["success"], result["error"]
    assert result["dry_run"] and result["dead_lettered"] == 3
    assert result["dead_letters"].count() == 3
    _check_accounting(result)
    assert sorted(p.relative_to(folder) for p in folder.rglob("*")) == before


async def test_killed_worker_rerun_redoes_only_unfinished_partitions(
        tmp_path: Path, cluster_address: str) -> None:
    transform = ("custom_function:\n  module: killer\n  function: maybe_die\n"
                 "  mode: record\n")
    marker = tmp_path / "kill-now"  # a worker may have imported killer.py from either folder
    clean = _pipeline(tmp_path / "clean", SQLITE_LOAD, transform)
    (clean / "killer.py").write_text(KILLER.format(marker=str(marker)))
    assert (await ETLOrchestrator(contract_dir=clean, verbose=False).run(
        executor="dask", scheduler_address=cluster_address))["success"]

    folder = _pipeline(tmp_path / "pipe", SQLITE_LOAD, transform)
    (folder / "killer.py").write_text(KILLER.format(marker=str(marker)))
    marker.write_text("x")  # the partition holding id 25 kills its worker
    first = await ETLOrchestrator(contract_dir=folder, verbose=False).run(
        executor="dask", scheduler_address=cluster_address)
    assert not first["success"]
    dead = {p["id"]: p["error"] for p in first["partitions"] if not p["success"]}
    # partition 0 killed its worker; a partition queued on the same worker dies with it
    assert 0 in dead and len(dead) < 3 and "KilledWorker" in (dead[0] or "")
    with sqlite3.connect(folder / "out" / "target.db") as db:  # nothing was moved yet
        assert db.execute("SELECT name FROM sqlite_master WHERE name='items'").fetchall() == []
    marker.unlink()
    second = await ETLOrchestrator(contract_dir=folder, verbose=False).run(
        executor="dask", scheduler_address=cluster_address)
    assert second["success"], second["error"]
    resumed = {p["id"]: p["resumed"] for p in second["partitions"]}
    assert resumed == {pid: pid not in dead for pid in range(3)}

    def rows(f: Path) -> list[tuple]:
        with sqlite3.connect(f / "out" / "target.db") as db:
            return db.execute("SELECT * FROM items ORDER BY id").fetchall()

    assert rows(folder) == rows(clean) and len(rows(clean)) == 90


async def test_postgres_range_partitioned_table_into_postgres(
        tmp_path: Path, cluster_address: str) -> None:
    url = _require_postgres()
    engine = sa.create_engine(url)
    src, dst = f"dsrc_{tmp_path.name[-8:]}".lower(), f"ddst_{tmp_path.name[-8:]}".lower()
    src = "".join(c if c.isalnum() else "_" for c in src)
    dst = "".join(c if c.isalnum() else "_" for c in dst)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {src}, {dst}")
        conn.exec_driver_sql(f"CREATE TABLE {src} (id int primary key, name text)")
        conn.exec_driver_sql(f"INSERT INTO {src} SELECT g, 'n' || g FROM generate_series(1, 500) g")
        conn.exec_driver_sql(f"CREATE TABLE {dst} (id int primary key, name text, "
                             "name_upper text)")
        conn.exec_driver_sql(f"INSERT INTO {dst} VALUES (9999, 'old', 'OLD')")
    folder = tmp_path / "pg"
    folder.mkdir()
    (folder / "extract.yaml").write_text(
        f"type: database\ndatabase:\n  url: {url}\ntable: {src}\nbatch_size: 50\n"
        "partition_by:\n  column: id\n  ranges: 4\n")
    (folder / "transform.yaml").write_text("transform:\n  add:\n    name_upper: upper(${name})\n")
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: {url}\ntable: {dst}\n"
        "write_method: truncate_and_load\nexecutor: dask\n")
    try:
        result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(
            scheduler_address=cluster_address)
        assert result["success"], result["error"]
        assert len(result["partitions"]) == 4
        assert [p["extracted"] for p in result["partitions"]] == [124, 125, 125, 126]
        _check_accounting(result)
        with engine.connect() as conn:
            got = conn.exec_driver_sql(f"SELECT id, name, name_upper FROM {dst} ORDER BY id").all()
            stages = conn.execute(sa.text("SELECT count(*) FROM pg_tables WHERE tablename "
                                          "LIKE :p"), {"p": "pcg_stage_%"}).scalar()
        assert got == [(i, f"n{i}", f"N{i}") for i in range(1, 501)]
        assert stages == 0
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {src}, {dst}")
        engine.dispose()
