"""Dead letters are never lost or duplicated silently: a DLQ that cannot be written fails the
run after saving the records to a fallback file the error names, and a run killed with
SIGKILL and resumed writes each dead letter exactly once (issue 13; issue 14 #5)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from dlq_helpers import make_records

from pycharter_gui.cli import main
from pycharter_gui.etl_generator.dead_letter import DeadLetterQueue

CSV = "id,v\n" + "".join(f"{i},{'bad' if i % 7 == 0 else i}\n" for i in range(1, 101))
TRANSFORM = "transform:\n  convert:\n    v: int\nstrict: true\n"


def _folder(root: Path, dlq_path: str) -> Path:
    folder = root / "pipe"
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text(CSV)
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "load.yaml").write_text(
        "type: file\npath: out/items.jsonl\nformat: jsonl\n"
        f"dead_letter_queue:\n  enabled: true\n  backend: file\n  path: {dlq_path}\n")
    return folder


def test_unwritable_dlq_fails_the_cli_run_and_keeps_the_records(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = _folder(tmp_path, "blocker/dead_letters.jsonl")
    (folder / "blocker").write_text("a file where the DLQ folder should be")  # unwritable as root too

    out = io.StringIO()
    code = main(["run", str(folder), "--json"], out=out)
    summary = json.loads(out.getvalue())

    assert code == 1
    assert summary["success"] is False and summary["status"] == "failed"
    (fallback,) = (tmp_path / "tmp" / "pycharter-dead-letters").iterdir()
    assert str(fallback) in summary["error"] and "blocker/dead_letters.jsonl" in summary["error"]
    assert fallback.stat().st_mode & 0o777 == 0o600
    saved = [json.loads(line) for line in fallback.read_text().splitlines()]
    assert [d["record_data"]["id"] for d in saved] == [7]  # the first bad record, batch 0
    assert saved[0]["reason"] == "transformation_error"
    assert not (folder / "out" / "items.jsonl").exists()  # the failed run committed nothing


def test_discard_from_batch_keeps_other_runs_and_earlier_batches(tmp_path) -> None:
    queue = DeadLetterQueue(storage_backend="file", storage_path=tmp_path / "dlq.jsonl")
    records = make_records(6)
    for i, rec in enumerate(records):
        rec.metadata.update(run_id="other" if i == 5 else "r1", batch_index=i)
    queue.add_records(records)
    assert queue.discard_from_batch("r1", 3) == 2
    assert [r.metadata["batch_index"] for r in queue.page(limit=10)] == [0, 1, 2, 5]


#: Runs the pipeline with the Python API and SIGKILLs itself when batch KILL_AT has been
#: written (its dead letters stored, the batch committed) but not yet checkpointed.
KILLING_RUN = """
import asyncio, json, os, signal, sys
from pycharter_gui.etl_generator import ETLOrchestrator, run_loop

kill_at = int(os.environ.get("KILL_AT") or -1)
record_load = run_loop.PipelineRun.record_load

async def killing_record_load(self, load_result, batch_index):
    if batch_index == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    await record_load(self, load_result, batch_index)

run_loop.PipelineRun.record_load = killing_record_load
result = asyncio.run(ETLOrchestrator(contract_dir=sys.argv[1], checkpoint_dir=sys.argv[2],
                                     verbose=False).run())
print(json.dumps({k: v for k, v in result.items() if k != "dead_letters"}))
"""


def _run(folder: Path, checkpoints: Path, kill_at: int | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KILL_AT": "" if kill_at is None else str(kill_at)}
    return subprocess.run([sys.executable, "-c", KILLING_RUN, str(folder), str(checkpoints)],
                          capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize("kill_at", [0, 5])
def test_resumed_run_writes_each_dead_letter_once(tmp_path, kill_at: int) -> None:
    folder = _folder(tmp_path, ".pycharter/dead_letters.jsonl")
    checkpoints = tmp_path / "checkpoints"
    killed = _run(folder, checkpoints, kill_at)
    assert killed.returncode == -9, killed.stderr
    dlq = folder / ".pycharter" / "dead_letters.jsonl"
    assert dlq.exists()  # the killed batch's dead letters were written before the kill

    resumed = _run(folder, checkpoints, None)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["status"] == "completed_with_dead_letters"
    assert result["dead_lettered"] == 14 and result["loading"]["total_records"] == 86

    letters = [json.loads(line) for line in dlq.read_text().splitlines()]
    assert sorted(int(d["record_data"]["id"]) for d in letters) == list(range(7, 101, 7))
    assert {d["metadata"]["run_id"] for d in letters} == {result["run_id"]}
    loaded = [json.loads(line)["id"] for line in (folder / "out" / "items.jsonl").read_text().splitlines()]
    assert sorted(int(i) for i in loaded) == [i for i in range(1, 101) if i % 7]
