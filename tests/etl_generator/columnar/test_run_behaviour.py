"""Dry run, cancellation and resume through the columnar fast path behave as the dict path."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator

from .conftest import comparable, make_pipeline, read_output
from .test_equivalence import LOADS, mixed_data

TRANSFORM = "rename: {name: customer}\nconvert: {qty: int, price: float}\nadd: {src: x}\n"


def _pipe(folder: Path, load: str) -> Path:
    folder = make_pipeline(folder, data=mixed_data(100, seed=9), transform=TRANSFORM, load=load,
                           extract="path: in.csv\nbatch_size: 10\n")
    (folder / "out").mkdir(exist_ok=True)
    return folder


@pytest.mark.parametrize("target", ["parquet", "csv", "sqlite"])
async def test_dry_run_writes_nothing_and_counts_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    results = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("PYCHARTER_COLUMNAR", mode)
        folder = _pipe(tmp_path / mode / "pipe", LOADS[target])
        results[mode] = await ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True)
        assert sorted(p.name for p in folder.iterdir()) == [
            "extract.yaml", "in.csv", "load.yaml", "out", "transform.yaml"]
        assert list((folder / "out").iterdir()) == []
    assert results["1"]["success"] and results["1"]["loading"]["total_records"] == 100
    assert comparable(results["0"]) == comparable(results["1"])


async def _cancelled_then_resumed(folder: Path, checkpoints: Path, stop_after: int) -> dict:
    """Cancel the run from its progress callback after ``stop_after`` batches, then rerun."""
    seen = 0
    task: asyncio.Task | None = None

    def on_progress(_p) -> None:
        nonlocal seen
        seen += 1
        if seen == stop_after and task is not None:
            task.cancel()

    orch = ETLOrchestrator(contract_dir=folder, verbose=False, checkpoint_dir=checkpoints,
                           progress_callback=on_progress)
    task = asyncio.create_task(orch.run())
    with pytest.raises(asyncio.CancelledError):
        await task
    if not (folder / "out" / "t.db").exists():  # files: committed only at the end
        assert not [p for p in (folder / "out").iterdir() if p.is_file()], "no partial target"
    assert list(checkpoints.glob("*.json")), "the checkpoint survives the cancel"
    batches = 0

    def count(_p) -> None:
        nonlocal batches
        batches += 1

    resumed = await ETLOrchestrator(contract_dir=folder, verbose=False, checkpoint_dir=checkpoints,
                                    progress_callback=count).run()
    assert batches == 10 - stop_after, "the resumed run redoes only the missing batches"
    assert not list(checkpoints.glob("*.json"))
    return resumed


@pytest.mark.parametrize("target", ["parquet", "jsonl", "sqlite"])
async def test_cancel_and_resume_match_a_clean_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    clean_folder = _pipe(tmp_path / "clean" / "pipe", LOADS[target])
    clean = await ETLOrchestrator(contract_dir=clean_folder, verbose=False).run()
    expected = read_output(clean_folder, LOADS[target])

    monkeypatch.setenv("PYCHARTER_COLUMNAR", "1")
    folder = _pipe(tmp_path / "fast" / "pipe", LOADS[target])
    resumed = await _cancelled_then_resumed(folder, tmp_path / "ck", stop_after=4)
    got = read_output(folder, LOADS[target])
    if target == "parquet":
        assert got.equals(expected)
    else:
        assert got == expected
    assert comparable(resumed) == comparable(clean)


async def test_columnar_off_switch_runs_the_dict_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pycharter_gui.etl_generator.columnar.runner as runner

    calls = []
    monkeypatch.setattr(runner.ColumnarRunner, "_start",
                        lambda self, *a, **k: calls.append(a))
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    folder = _pipe(tmp_path / "p", LOADS["csv"])
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"] and result["loading"]["total_records"] == 100 and not calls


async def test_next_batch_is_prepared_while_the_previous_one_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The transform (and the session's ``prepare_arrow_batch``) of batch N+1 runs while batch N
    is written; the writes still happen in batch order and the output is the dict path's."""
    import threading

    from pycharter_gui.etl_generator.database.load import DatabaseLoadSession

    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    clean_folder = _pipe(tmp_path / "clean" / "pipe", LOADS["sqlite"])
    clean = await ETLOrchestrator(contract_dir=clean_folder, verbose=False).run()
    expected = read_output(clean_folder, LOADS["sqlite"])

    monkeypatch.setenv("PYCHARTER_COLUMNAR", "1")
    prepared: list[int] = []
    written: list[int] = []
    overlapped: list[bool] = []
    changed = threading.Condition()
    prepare, write = DatabaseLoadSession.prepare_arrow_batch, DatabaseLoadSession.write_arrow_batch

    def spy_prepare(self, table):
        with changed:
            prepared.append(len(prepared))
            changed.notify_all()
        return prepare(self, table)

    async def spy_write(self, payload, batch_index):
        def next_prepared() -> bool:  # batch N+1's prepare starts while N is being written
            with changed:
                return changed.wait_for(lambda: len(prepared) > batch_index + 1, timeout=5)
        if batch_index < 9:
            overlapped.append(await asyncio.to_thread(next_prepared))
        written.append(batch_index)
        return await write(self, payload, batch_index)

    monkeypatch.setattr(DatabaseLoadSession, "prepare_arrow_batch", spy_prepare)
    monkeypatch.setattr(DatabaseLoadSession, "write_arrow_batch", spy_write)
    folder = _pipe(tmp_path / "fast" / "pipe", LOADS["sqlite"])
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert written == list(range(10)) and len(prepared) == 10
    assert overlapped == [True] * 9
    assert read_output(folder, LOADS["sqlite"]) == expected
    assert comparable(result) == comparable(clean)


async def test_a_failed_write_drops_the_batch_transformed_ahead(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A write that fails for good ends the run at that batch: the batch transformed ahead is
    neither written nor counted, and nothing is left running."""
    from pycharter_gui.etl_generator.database.load import DatabaseLoadSession
    from pycharter_gui.etl_generator.errors import LoadError

    monkeypatch.setenv("PYCHARTER_COLUMNAR", "1")
    write = DatabaseLoadSession.write_arrow_batch
    written: list[int] = []

    async def failing(self, payload, batch_index):
        if batch_index == 3:
            raise LoadError("disk on fire", target="t")
        written.append(batch_index)
        return await write(self, payload, batch_index)

    monkeypatch.setattr(DatabaseLoadSession, "write_arrow_batch", failing)
    folder = _pipe(tmp_path / "pipe", LOADS["sqlite"])
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert not result["success"] and "disk on fire" in str(result)
    assert written == [0, 1, 2]
    assert result["loading"]["total_records"] == 30
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not pending


def _loaded_and_pandas_imported(folder: Path) -> tuple[int, bool]:
    """Run ``folder`` into ``folder/t.db`` in a fresh interpreter: (records loaded, whether
    pandas was imported)."""
    import subprocess
    import sys

    (folder / "load.yaml").write_text(f"type: database\ndatabase:\n  url: sqlite:///{folder}/t.db\n"
                                      "table: t\nwrite_method: insert\ncreate_table: true\n")
    code = ("import asyncio, sys\n"
            "from pycharter_gui.etl_generator import ETLOrchestrator\n"
            f"r = asyncio.run(ETLOrchestrator(contract_dir={str(folder)!r}, verbose=False).run())\n"
            "assert r['success'], r\n"
            "print(r['loading']['total_records'], 'pandas' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    loaded, imported = out.stdout.split()
    return int(loaded), imported == "True"


def test_a_columnar_sqlite_run_with_dates_does_not_import_pandas(tmp_path: Path) -> None:
    """pyarrow's ``to_numpy`` and ``pa.scalar`` import pandas (~0.2 s on the load thread); the
    CSV -> SQLite columnar write of a date column must not need it."""
    folder = tmp_path / "pipe"
    folder.mkdir()
    rows = "\n".join(f"{i},2024-01-{i % 28 + 1:02d},{'' if i % 7 == 0 else i * 2}"
                     for i in range(500))
    (folder / "in.csv").write_text("id,created,qty\n" + rows + "\n")
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 100\n")
    (folder / "transform.yaml").write_text("convert: {created: date, qty: float}\n")
    assert _loaded_and_pandas_imported(folder) == (500, False)
    import sqlite3

    with sqlite3.connect(folder / "t.db") as db:
        got = db.execute("SELECT created, qty FROM t WHERE id IN (0, 3) ORDER BY id").fetchall()
    assert got == [("2024-01-01", None), ("2024-01-04", 6.0)]


async def test_a_read_error_mid_file_still_writes_the_batch_read_before(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that breaks after some batches leaves the target as the dict path leaves it: the
    batch already read (and transformed ahead) is written before the run fails."""
    import sqlite3

    rows = ["id,name,qty"] + [f"{i},n{i},{i}" for i in range(20_000)]
    rows[18_001] = "18000,n,1,EXTRA,FIELDS"  # a parse error in the second 16,384-row chunk
    data = "\n".join(rows) + "\n"
    counts = {}
    for mode in ("0", "1"):
        monkeypatch.setenv("PYCHARTER_COLUMNAR", mode)
        folder = make_pipeline(tmp_path / mode, data=data, transform="rename: {name: customer}\n",
                               load=LOADS["sqlite"], extract="path: in.csv\nbatch_size: 1000\n")
        (folder / "out").mkdir(exist_ok=True)
        result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
        assert not result["success"] and "cannot read as CSV" in str(result["error"])
        with sqlite3.connect(folder / "out" / "t.db") as db:
            stored = db.execute("SELECT count(*) FROM items").fetchone()[0]
        counts[mode] = (stored, result["loading"]["total_records"])
    assert counts["1"] == counts["0"] == (16_384, 16_384)


async def test_a_cancel_leaves_no_transform_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancelled while batches are transformed ahead, the run returns only once every started
    transform has ended: nothing keeps working on (or preparing for) a closed session."""
    import threading
    import time

    import pycharter_gui.etl_generator.columnar.runner as runner

    monkeypatch.setenv("PYCHARTER_COLUMNAR", "1")
    folder = _pipe(tmp_path / "pipe", LOADS["jsonl"])
    transform = runner.ColumnarRunner._transform
    running: set[int] = set()
    lock = threading.Lock()

    def slow(self, table, validator, session):
        with lock:
            n = len(started)
            started.append(n)
            running.add(n)
        try:
            if n == 1:
                time.sleep(0.5)  # slower than batch 0's write
            return transform(self, table, validator, session)
        finally:
            with lock:
                running.discard(n)

    started: list[int] = []
    monkeypatch.setattr(runner.ColumnarRunner, "_transform", slow)
    task: asyncio.Task | None = None

    def on_progress(_p) -> None:
        assert task is not None
        task.cancel()

    orch = ETLOrchestrator(contract_dir=folder, verbose=False, progress_callback=on_progress)
    task = asyncio.create_task(orch.run())
    with pytest.raises(asyncio.CancelledError):
        await task
    assert len(started) >= 2 and not running
    assert not [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]


def test_an_analyst_pipeline_does_not_import_pandas(tmp_path: Path) -> None:
    """Filters, ``add`` expressions, a JSONata ``$merge`` giving ints and floats, and a contract
    screened by column: Python values reach Arrow through ``arrow_scalars``, never pyarrow's
    own conversion (which imports pandas, ~0.2 s mid-run)."""
    folder = tmp_path / "pipe"
    folder.mkdir()
    rows = "\n".join(f"{i},cust{i % 50},{'Oslo' if i % 3 else 'Lima'},{i % 20 + 1},{i % 7}.25"
                     for i in range(400))
    (folder / "in.csv").write_text("id,customer,city,qty,price\n" + rows + "\n")
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 100\n")
    (folder / "transform.yaml").write_text(
        "transform:\n"
        "  - rename: {city: Region, price: amount}\n"
        "  - convert: {amount: float, qty: int}\n"
        "  - add: {loaded_at: now(), region_code: 'upper(${Region})'}\n"
        "  - filter: {field: qty, operator: gt, value: 1}\n"
        "jsonata:\n  mode: record\n"
        "  expression: '$merge([$, {\"total\": $round(amount * qty, 2)}])'\n")
    (folder / "schema.yaml").write_text(
        "type: object\nrequired: [id, customer, amount]\nproperties:\n"
        "  id: {type: integer, minimum: 0}\n  customer: {type: string, minLength: 2}\n"
        "  total: {type: number, minimum: 0}\n")
    assert _loaded_and_pandas_imported(folder) == (380, False)  # qty 1 filtered: 20 of 400
    import sqlite3

    with sqlite3.connect(folder / "t.db") as db:
        got = db.execute("SELECT total, region_code FROM t WHERE id = 7").fetchone()
    assert got == (2.0, "OSLO")  # id 7: qty 8, amount 0.25
