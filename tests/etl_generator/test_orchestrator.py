"""End-to-end runs of pipeline folders through ETLOrchestrator."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator import (
    BaseExtractor,
    ConfigError,
    ETLOrchestrator,
    ExtractorFactory,
    create_orchestrator,
)


def _accounted(result: dict) -> bool:
    return result["extraction"]["total_records"] == (
        result["loading"]["total_records"] + result["dead_lettered"]
        + result["transformation"]["filtered"]
    )


def _dlq_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def test_orders_example_loads_sqlite_and_dead_letters_bad_rows(example) -> None:
    folder = example("orders_to_sqlite")
    result = await create_orchestrator(folder, verbose=False).run()

    assert result["success"], result["error"]
    assert result["extraction"]["total_records"] == 60
    assert result["transformation"]["filtered"] == 15  # cancelled orders, on purpose
    assert result["dead_lettered"] == 3
    assert result["loading"]["total_records"] == 42
    assert _accounted(result)
    assert result["dlq_by_reason"] == {"transformation_error": 1, "validation_error": 2}

    with sqlite3.connect(folder / "output" / "shop.db") as db:
        ids = {row[0] for row in db.execute("SELECT order_id FROM orders")}
    assert len(ids) == 42
    dead = _dlq_lines(folder / "output" / "dead_letters.jsonl")
    by_id = {str(d["record_data"].get("order_id", d["record_data"].get("OrderID"))): d for d in dead}
    assert set(by_id) == {"12", "28", "45"}
    assert ids.isdisjoint({12, 28, 45})
    assert by_id["28"]["reason"] == "transformation_error"
    assert "unit_price" in by_id["28"]["error_message"]
    assert by_id["12"]["reason"] == "validation_error"
    assert "quantity" in by_id["12"]["error_message"]
    assert all(d["metadata"]["run_id"] == result["run_id"] for d in dead)


async def test_rerun_with_upsert_updates_instead_of_duplicating(example) -> None:
    folder = example("orders_to_sqlite")
    first = await create_orchestrator(folder, verbose=False).run()
    second = await create_orchestrator(folder, verbose=False).run()
    assert first["loading"]["inserted"] == 42
    assert second["loading"]["updated"] == 42 and second["loading"]["inserted"] == 0
    with sqlite3.connect(folder / "output" / "shop.db") as db:
        assert db.execute("SELECT count(*) FROM orders").fetchone()[0] == 42


async def test_dry_run_writes_nothing_and_reports_same_counts(example, tree) -> None:
    folder = example("orders_to_sqlite")
    before = tree(folder)
    dry = await create_orchestrator(folder, verbose=False).run(dry_run=True)
    assert tree(folder) == before, "a dry run must not create or change any file"
    assert dry["dry_run"] and dry["success"]
    assert dry["dead_letters"].count() == 3  # kept in memory, returned to the caller

    real = await create_orchestrator(folder, verbose=False).run()
    for key in ("extraction", "transformation", "dead_lettered", "dlq_by_reason"):
        assert dry[key] == real[key], key
    assert dry["loading"]["total_records"] == real["loading"]["total_records"]


async def test_json_to_jsonl_with_jsonata_record_mode(example) -> None:
    folder = example("customers_json_to_jsonl")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert _accounted(result)
    lines = [json.loads(x) for x in (folder / "output" / "customers.jsonl").read_text().splitlines()]
    assert len(lines) == result["loading"]["total_records"] > 0
    assert set(lines[0]) == {"customer_id", "name", "email", "country", "order_count", "lifetime_value"}
    assert result["dlq_by_reason"] == {"transformation_error": 1}
    dead = _dlq_lines(folder / "output" / "dead_letters.jsonl")
    assert dead[0]["record_data"]["id"] == "C008"
    assert dead[0]["stage"] == "transform"


async def test_custom_function_beside_yaml_runs_from_any_cwd(example, tmp_path, monkeypatch) -> None:
    folder = example("sales_custom_to_parquet")
    monkeypatch.chdir(tmp_path)  # not the pipeline folder
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    table = pq.read_table(folder / "output" / "sales_margins.parquet").to_pylist()
    assert len(table) == 71 == result["loading"]["total_records"]
    assert all(row["currency"] == "EUR" for row in table)
    assert table[0]["margin"] == round(table[0]["revenue"] - table[0]["cost"], 2)
    dead = result["dead_letters"].page()
    assert len(dead) == 1
    assert "revenue is missing" in dead[0].error_message
    assert "Traceback" in dead[0].metadata["traceback"]


async def test_multi_batch_overwrite_keeps_every_batch(write_pipeline, tmp_path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(1, 24)))
    out = tmp_path / "out.jsonl"
    out.write_text('{"old": true}\n')
    folder = write_pipeline(
        extract=f"path: {src}\nbatch_size: 5\n",
        transform="",
        load=f"path: {out}\nformat: jsonl\nwrite_mode: overwrite\n",
    )
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert result["extraction"]["batches_processed"] == 5
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == list(range(1, 24))


async def test_missing_source_file_fails_cleanly_with_path(write_pipeline, tmp_path) -> None:
    out = tmp_path / "out.json"
    folder = write_pipeline(extract="path: data/nope.csv\n", load=f"path: {out}\n", transform="")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"] is False
    assert "nope.csv" in result["error"]
    assert not out.exists()


def test_bad_config_raises_config_error_naming_file_and_key(write_pipeline) -> None:
    folder = write_pipeline(extract="path: a.csv\nbatch_sise: 10\n", load="path: out.json\n", transform="")
    with pytest.raises(ConfigError) as info:
        ETLOrchestrator(contract_dir=folder)
    text = str(info.value)
    assert "extract.yaml" in text and "batch_sise" in text and "batch_size" in text


async def test_required_input_param_missing_raises_before_work(write_pipeline, tmp_path) -> None:
    (tmp_path / "a.csv").write_text("id\n1\n")
    folder = write_pipeline(
        extract=f"path: {tmp_path / 'a.csv'}\ninput_params:\n  day:\n    type: date\n    required: true\n",
        load=f"path: {tmp_path / 'out.json'}\n", transform="",
    )
    orch = ETLOrchestrator(contract_dir=folder, verbose=False)
    with pytest.raises(ConfigError, match="day"):
        await orch.run()
    assert not (tmp_path / "out.json").exists()


async def test_extract_stream_yields_raw_batches(example) -> None:
    orch = ETLOrchestrator(contract_dir=example("orders_to_sqlite"), verbose=False)
    batches = [b async for b in orch.extract_stream(batch_size=10, max_records=25)]
    assert [len(b) for b in batches] == [10, 10, 5]
    assert "OrderID" in batches[0][0]  # before transforms


class _SlowExtractor(BaseExtractor):
    """Yields a batch, then waits until cancelled; counts the batches it produced."""

    produced = 0

    async def extract_streaming(self, extract_config, params, headers, contract_dir=None,
                                batch_size=1000, max_records=None, config_context=None):
        for i in range(1000):
            _SlowExtractor.produced += 1
            yield [{"id": i}]
            await asyncio.sleep(0.05)


async def test_cancelling_a_run_stops_and_leaves_no_partial_output(write_pipeline, tmp_path) -> None:
    ExtractorFactory.register_extractor("slow_test", _SlowExtractor)
    out = tmp_path / "out.jsonl"
    progressed = asyncio.Event()
    folder = write_pipeline(extract="type: slow_test\n", transform="", load=f"path: {out}\nformat: jsonl\n")
    orch = ETLOrchestrator(contract_dir=folder, verbose=False,
                           progress_callback=lambda p: progressed.set())
    task = asyncio.create_task(orch.run())
    await asyncio.wait_for(progressed.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    produced = _SlowExtractor.produced
    await asyncio.sleep(0.2)
    assert _SlowExtractor.produced == produced, "the source kept running after cancel"
    assert list(tmp_path.iterdir()) == [folder], "no target, staging or temp files may remain"


class _CountingExtractor(BaseExtractor):
    """Ten batches of ten ids; blocks after batch ``block_after`` until cancelled."""

    block_after: int | None = None

    async def extract_streaming(self, extract_config, params, headers, contract_dir=None,
                                batch_size=1000, max_records=None, config_context=None):
        for b in range(10):
            if self.block_after is not None and b == self.block_after:
                await asyncio.Event().wait()
            yield [{"id": b * 10 + i} for i in range(10)]


async def test_cancelled_checkpointed_run_resumes_without_loss_or_duplicates(write_pipeline, tmp_path) -> None:
    ExtractorFactory.register_extractor("counting_test", _CountingExtractor)
    out = tmp_path / "out.jsonl"
    folder = write_pipeline(extract="type: counting_test\n", transform="", load=f"path: {out}\nformat: jsonl\n")
    batches_done = 0
    reached = asyncio.Event()

    def on_progress(p) -> None:
        nonlocal batches_done
        batches_done += 1
        if batches_done == 4:
            reached.set()

    _CountingExtractor.block_after = 4
    orch = ETLOrchestrator(contract_dir=folder, verbose=False, checkpoint_dir=tmp_path / "ck",
                           progress_callback=on_progress)
    task = asyncio.create_task(orch.run())
    await asyncio.wait_for(reached.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not out.exists()

    _CountingExtractor.block_after = None
    result = await ETLOrchestrator(contract_dir=folder, verbose=False, checkpoint_dir=tmp_path / "ck").run()
    assert result["success"], result["error"]
    assert result["extraction"]["total_records"] == 100  # restored counts + the resumed batches
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == list(range(100))


def test_test_connection_resolves_sqlite_against_pipeline_folder(tmp_path, monkeypatch) -> None:
    import sqlite3 as _sqlite

    from pycharter_gui.etl_generator import test_connection

    (tmp_path / "pipe").mkdir()
    _sqlite.connect(tmp_path / "pipe" / "db.sqlite").close()
    monkeypatch.chdir(tmp_path)
    config = {"type": "database", "database": {"url": "sqlite:///db.sqlite"}, "query": "select 1"}
    assert test_connection({**config, "base_dir": str(tmp_path / "pipe")})["ok"] is True
    missing = test_connection({**config, "database": {"url": "sqlite:///nope/missing.sqlite"},
                               "base_dir": str(tmp_path / "pipe")})
    assert missing["ok"] is False


async def test_incremental_database_source_reads_only_new_rows_on_rerun(write_pipeline, tmp_path) -> None:
    import sqlite3 as _sqlite

    src = tmp_path / "src.db"
    with _sqlite.connect(src) as db:
        db.execute("CREATE TABLE events (id INTEGER PRIMARY KEY, updated_at TEXT)")
        db.executemany("INSERT INTO events VALUES (?, ?)", [(i, f"2026-01-{i:02d}") for i in range(1, 6)])
    out = tmp_path / "out.jsonl"
    folder = write_pipeline(
        extract=f"type: database\ndatabase:\n  url: sqlite:///{src}\ntable: events\n"
                "incremental:\n  column: updated_at\n",
        transform="", load=f"path: {out}\nformat: jsonl\nwrite_mode: append\n",
    )
    first = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert first["extraction"]["total_records"] == 5
    with _sqlite.connect(src) as db:
        db.executemany("INSERT INTO events VALUES (?, ?)", [(6, "2026-01-06"), (7, "2026-01-07")])
    dry = await ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True)
    second = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert dry["extraction"]["total_records"] == 2, "a dry run must not move the watermark"
    assert second["extraction"]["total_records"] == 2
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == [1, 2, 3, 4, 5, 6, 7]


async def test_max_memory_mb_stops_the_run_with_a_clear_error(example) -> None:
    folder = example("orders_to_sqlite")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False, max_memory_mb=1).run()
    assert result["success"] is False
    assert "max_memory_mb=1" in result["error"] and "batch_size" in result["error"]
