"""Rows a database target rejects are dead-lettered before their batch commits (issue 14 #5):
a SIGKILL right after the batch's commit (its progress row counts the rejects) loses none, and
a SIGKILL after they were stored but before the commit stores none twice."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

N, BATCH, BAD_EVERY = 100, 10, 7

#: Runs the pipeline with the Python API and SIGKILLs itself at KILL_AT's batch, either
#: right after its commit ("after_commit": record_load, which once stored the rejects, not yet
#: run) or right before it ("before_commit": the progress row about to be written).
KILLING_RUN = """
import asyncio, json, os, signal, sys
from pycharter_gui.etl_generator import ETLOrchestrator, run_loop
from pycharter_gui.etl_generator.database import load

kill_at = int(os.environ.get("KILL_AT") or -1)
where = os.environ.get("KILL_WHERE", "after_commit")
record_load = run_loop.PipelineRun.record_load
save_progress = load.save_progress

async def killing_record_load(self, load_result, batch_index):
    if where == "after_commit" and batch_index == kill_at:
        os.kill(os.getpid(), signal.SIGKILL)
    await record_load(self, load_result, batch_index)

def killing_save_progress(conn, table, run_key, state):
    if where == "before_commit" and state["batch_num"] == kill_at + 1:
        os.kill(os.getpid(), signal.SIGKILL)
    save_progress(conn, table, run_key, state)

run_loop.PipelineRun.record_load = killing_record_load
load.save_progress = killing_save_progress
checkpoints = sys.argv[2] if len(sys.argv) > 2 else None
result = asyncio.run(ETLOrchestrator(contract_dir=sys.argv[1], checkpoint_dir=checkpoints,
                                     verbose=False).run())
print(json.dumps({k: v for k, v in result.items() if k != "dead_letters"}))
"""

DLQS = {
    "jsonl": "",
    # a database DLQ beside the SQLite target: the same file, the batch's own transaction
    "same_database": "dead_letter_queue:\n  enabled: true\n  backend: database\n",
}


def _pipeline(root: Path, dlq: str) -> Path:
    folder = root / "pipe"
    folder.mkdir()
    (folder / "in.csv").write_text("id,v\n" + "".join(
        f"{i},{-i if i % BAD_EVERY == 0 else i}\n" for i in range(1, N + 1)))
    (folder / "extract.yaml").write_text(f"path: in.csv\nbatch_size: {BATCH}\n")
    (folder / "transform.yaml").write_text("convert:\n  id: int\n  v: int\n")
    (folder / "load.yaml").write_text(
        "type: database\nurl: sqlite:///target.db\ntable: items\nwrite_method: insert\n" + dlq)
    with sqlite3.connect(folder / "target.db") as conn:  # the database rejects v < 0
        conn.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, v INTEGER CHECK (v >= 0))")
    return folder


def _run(folder: Path, checkpoints: Path | None, kill_at: int | None = None,
         where: str = "after_commit") -> subprocess.CompletedProcess:
    env = {**os.environ, "KILL_AT": "" if kill_at is None else str(kill_at), "KILL_WHERE": where}
    args = [sys.executable, "-c", KILLING_RUN, str(folder)]
    if checkpoints is not None:
        args.append(str(checkpoints))
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)


def _dead_ids(folder: Path, dlq: str) -> list[int]:
    if dlq == "jsonl":
        path = folder / ".pycharter" / "dead_letters.jsonl"
        lines = path.read_text().splitlines() if path.exists() else []
        return sorted(int(json.loads(x)["record_data"]["id"]) for x in lines)
    with sqlite3.connect(folder / "target.db") as conn:
        (table,) = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name LIKE '%dead%'")]
        return sorted(int(json.loads(r[0])["id"]) for r in conn.execute(
            f'SELECT record_data FROM "{table}"'))


def _loaded_ids(folder: Path) -> list[int]:
    with sqlite3.connect(folder / "target.db") as conn:
        return [r[0] for r in conn.execute("SELECT id FROM items ORDER BY id")]


BAD = list(range(BAD_EVERY, N + 1, BAD_EVERY))
GOOD = [i for i in range(1, N + 1) if i % BAD_EVERY]


@pytest.mark.parametrize("where", ["after_commit", "before_commit"])
@pytest.mark.parametrize("dlq", list(DLQS))
def test_a_kill_around_the_commit_resumes_with_each_reject_dead_lettered_once(
        tmp_path: Path, dlq: str, where: str) -> None:
    folder = _pipeline(tmp_path, DLQS[dlq])
    checkpoints = tmp_path / "checkpoints"
    killed = _run(folder, checkpoints, 4, where)  # batch 4 holds id 42, which is rejected
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    resumed = _run(folder, checkpoints)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    assert result["status"] == "completed_with_dead_letters", result["error"]
    assert result["dead_lettered"] == len(BAD) and result["loading"]["total_records"] == len(GOOD)
    assert _loaded_ids(folder) == GOOD
    assert _dead_ids(folder, dlq) == BAD


@pytest.mark.parametrize("dlq", list(DLQS))
def test_a_kill_after_a_commit_without_checkpoints_keeps_that_batchs_rejects(
        tmp_path: Path, dlq: str) -> None:
    folder = _pipeline(tmp_path, DLQS[dlq])
    killed = _run(folder, None, 4)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    committed = _loaded_ids(folder)
    assert committed == [i for i in GOOD if i <= 5 * BATCH]  # batches 0-4 are in the table
    assert _dead_ids(folder, dlq) == [i for i in BAD if i <= 5 * BATCH]
