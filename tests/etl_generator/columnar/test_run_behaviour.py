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
    monkeypatch.setattr(runner.ColumnarRunner, "_process",
                        lambda self, *a, **k: calls.append(a) or asyncio.sleep(0))
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    folder = _pipe(tmp_path / "p", LOADS["csv"])
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"] and result["loading"]["total_records"] == 100 and not calls
