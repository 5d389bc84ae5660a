"""A failed run whose target was rolled back leaves no pending dead letters behind (issue 14
#5: "a failed or resumed run leaves 'pending' entries for records that were later loaded ...
replaying them would duplicate data"). They become ``superseded``: kept to explain the failed
run, apart from the pending ones, and replay refuses them unless asked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator, replay_dead_letters
from pycharter_gui.etl_generator.dead_letter import DeadLetterQueue, DLQStatus

N, BAD_EVERY = 100, 7
BAD = list(range(BAD_EVERY, N + 1, BAD_EVERY))


def _pipeline(root: Path, load: str) -> Path:
    folder = root / "pipe"
    folder.mkdir()
    (folder / "in.csv").write_text("id,v\n" + "".join(
        f"{i},{'bad' if i % BAD_EVERY == 0 else i}\n" for i in range(1, N + 1)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text("transform:\n  convert:\n    v: int\nstrict: true\n")
    (folder / "load.yaml").write_text(load)
    return folder


def _queue(folder: Path) -> DeadLetterQueue:
    return DeadLetterQueue(storage_backend="file",
                           storage_path=folder / ".pycharter" / "dead_letters.jsonl")


async def _failing_run(folder: Path, monkeypatch) -> dict:
    """A run that fails after a few batches (the memory limit trips after batch 3)."""
    from pycharter_gui.etl_generator import run_loop

    calls = {"n": 0}

    def memory() -> float:
        calls["n"] += 1
        return 10_000.0 if calls["n"] > 3 else 1.0

    monkeypatch.setattr(run_loop, "_memory_mb", memory)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False, max_memory_mb=100).run()
    monkeypatch.undo()
    assert result["status"] == "failed" and "Memory limit" in result["error"], result
    return result


async def test_a_failed_file_run_supersedes_its_dead_letters_and_a_rerun_adds_each_once(
        tmp_path: Path, monkeypatch) -> None:
    folder = _pipeline(tmp_path, "type: file\npath: out.jsonl\nformat: jsonl\n")
    failed = await _failing_run(folder, monkeypatch)
    assert not (folder / "out.jsonl").exists()  # rolled back: nothing was loaded
    queue = _queue(folder)
    mine = queue.page({"run_id": failed["run_id"]}, limit=1000)
    assert mine and {r.status for r in mine} == {DLQStatus.SUPERSEDED}
    assert {r.status for r in failed["dead_letters"].page(limit=1000)} == {DLQStatus.SUPERSEDED}

    rerun = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert rerun["status"] == "completed_with_dead_letters", rerun["error"]
    pending = queue.page({"status": "pending"}, limit=1000)
    assert sorted(int(r.record_data["id"]) for r in pending) == BAD  # once each, not twice
    assert queue.statistics()["by_status"] == {"pending": len(BAD), "superseded": len(mine)}

    with pytest.raises(ValueError, match="superseded"):
        await replay_dead_letters(folder, mine, dry_run=True)
    asked = await replay_dead_letters(folder, mine, dry_run=True, include_superseded=True)
    assert asked["total"] == len(mine)


async def test_a_failed_database_run_keeps_the_dead_letters_of_its_committed_batches(
        tmp_path: Path, monkeypatch) -> None:
    folder = _pipeline(tmp_path, "type: database\nurl: sqlite:///t.db\ntable: items\n"
                                 "create_table: true\n")
    failed = await _failing_run(folder, monkeypatch)
    with sqlite3.connect(folder / "t.db") as conn:  # each batch committed on its own
        loaded = [r[0] for r in conn.execute("SELECT id FROM items")]
    assert loaded
    letters = _queue(folder).page({"run_id": failed["run_id"]}, limit=1000)
    assert letters and {r.status for r in letters} == {DLQStatus.PENDING}
    assert max(int(r.record_data["id"]) for r in letters) < max(int(i) for i in loaded) + 10
