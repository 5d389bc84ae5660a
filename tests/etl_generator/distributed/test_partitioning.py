"""Partition planning (no cluster): key ranges, page ranges, and what cannot be split."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ConfigError, ETLOrchestrator
from pycharter_gui.etl_generator.config import normalize_extract, normalize_load
from pycharter_gui.etl_generator.distributed import make_target, plan_partitions


def _db(tmp_path: Path) -> str:
    path = tmp_path / "src.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?)", [(i, f"v{i}") for i in range(10, 110)])
    return f"sqlite:///{path}"


def test_table_split_into_key_ranges_covers_every_row_once(tmp_path: Path) -> None:
    url = _db(tmp_path)
    cfg = normalize_extract({"type": "database", "url": url, "table": "t",
                             "partition_by": {"column": "id", "ranges": 3}})
    plan = plan_partitions(cfg)
    assert len(plan.partitions) == 3 and not plan.warnings
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    seen = []
    with engine.connect() as conn:
        for part in plan.partitions:
            seen += [r[0] for r in conn.execute(sa.text(part.extract["query"]),
                                                part.extract["query_params"])]
    engine.dispose()
    assert sorted(seen) == list(range(10, 110))


@pytest.mark.parametrize("ranges", [3, [[None, 50], [50, None]]], ids=["auto", "explicit"])
def test_rows_with_a_null_key_land_in_the_first_partition(tmp_path: Path, ranges) -> None:
    path = tmp_path / "nulls.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (k INTEGER, v TEXT)")
        db.executemany("INSERT INTO t VALUES (?, ?)",
                       [(None if i % 10 == 0 else i, f"v{i}") for i in range(100)])
    url = f"sqlite:///{path}"
    cfg = normalize_extract({"type": "database", "url": url, "table": "t",
                             "partition_by": {"column": "k", "ranges": ranges}})
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        seen = [r[1] for part in plan_partitions(cfg).partitions
                for r in conn.execute(sa.text(part.extract["query"]), part.extract["query_params"])]
    engine.dispose()
    assert sorted(seen) == sorted(f"v{i}" for i in range(100))  # every row once, nulls too


def test_explicit_ranges_on_a_query(tmp_path: Path) -> None:
    cfg = normalize_extract({"type": "database", "url": _db(tmp_path),
                             "query": "SELECT * FROM t WHERE v != 'x'",
                             "partition_by": {"column": "id", "ranges": [[None, 50], [50, None]]}})
    plan = plan_partitions(cfg)
    assert [p.description for p in plan.partitions] == ["id in [None, 50)", "id in [50, )"]


def test_database_without_partition_by_runs_as_one_partition_and_says_so(tmp_path: Path) -> None:
    cfg = normalize_extract({"type": "database", "url": _db(tmp_path), "table": "t"})
    plan = plan_partitions(cfg)
    assert len(plan.partitions) == 1 and "partition_by" in plan.warnings[0]


def test_http_page_ranges_need_max_pages() -> None:
    base = {"type": "http", "url": "http://127.0.0.1:9/items",
            "pagination": {"strategy": "page", "page": {"start": 1},
                           "stop_conditions": [{"type": "max_pages", "value": 10}]}}
    plan = plan_partitions(normalize_extract(base), partitions=3)
    starts = [p.extract["pagination"]["page"]["start"] for p in plan.partitions]
    counts = [p.extract["pagination"]["stop_conditions"][-1]["value"] for p in plan.partitions]
    assert starts == [1, 5, 8] and counts == [4, 3, 3]
    base["pagination"]["stop_conditions"] = [{"type": "empty_response"}]
    single = plan_partitions(normalize_extract(base), partitions=3)
    assert len(single.partitions) == 1 and "max_pages" in single.warnings[0]


def test_max_records_is_not_split(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n2\n")
    cfg = normalize_extract({"path": str(tmp_path / "*.csv")})
    assert len(plan_partitions(cfg).partitions) == 2
    plan = plan_partitions(cfg, max_records=1)
    assert len(plan.partitions) == 1 and "max_records" in plan.warnings[0]


def test_cloud_destination_is_rejected_with_a_clear_message() -> None:
    load = normalize_load({"type": "cloud_storage", "storage": {"provider": "s3",
                                                               "bucket": "b", "path": "o.json"}})
    with pytest.raises(ConfigError, match="cannot be written by a distributed run"):
        make_target(load, "k")


async def test_unknown_executor_in_load_yaml_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "extract.yaml").write_text("path: a.csv\n")
    (tmp_path / "load.yaml").write_text("type: file\npath: out.jsonl\nexecutor: spark\n")
    with pytest.raises(ConfigError, match="executor"):
        ETLOrchestrator(contract_dir=tmp_path)


async def test_unreachable_scheduler_is_a_failed_run_with_a_clear_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from pycharter_gui.etl_generator.distributed import runner

    monkeypatch.setattr(runner, "CONNECT_TIMEOUT", 2)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "extract.yaml").write_text("path: a.csv\n")
    (tmp_path / "load.yaml").write_text("type: file\npath: out.jsonl\n")
    result = await ETLOrchestrator(contract_dir=tmp_path, verbose=False).run(
        executor="dask", scheduler_address=f"tcp://127.0.0.1:{port}")
    assert not result["success"]
    assert "Cannot connect to the Dask scheduler" in result["error"]
    assert not (tmp_path / "out.jsonl").exists()


def test_a_rerun_reuses_finished_partitions_only_for_the_same_configs_and_files(
        tmp_path: Path) -> None:
    from pycharter_gui.etl_generator.distributed.runner import inputs_fingerprint

    folder = tmp_path / "p"
    (folder / "in").mkdir(parents=True)
    for i in range(2):
        (folder / "in" / f"{i}.csv").write_text("id\n1\n")
    (folder / "extract.yaml").write_text("path: in/*.csv\n")
    (folder / "transform.yaml").write_text("add: {k: 1}\n")
    (folder / "load.yaml").write_text("path: out.parquet\nformat: parquet\n")

    def fingerprint() -> str:
        orch = ETLOrchestrator(contract_dir=folder, verbose=False)
        return inputs_fingerprint(orch, plan_partitions(orch.config.extract))

    first = fingerprint()
    assert fingerprint() == first  # nothing changed: the finished partitions are reused
    (folder / "transform.yaml").write_text("add: {k: 2}\n")
    second = fingerprint()
    assert second != first  # the transform changed
    (folder / "in" / "1.csv").write_text("id\n1\n2\n")
    assert fingerprint() != second  # an input file changed
