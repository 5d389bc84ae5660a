"""A run killed with SIGKILL resumes from its checkpoint and ends equal to a clean run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

KILLER = '''
import os, signal

def maybe_die(record, **_):
    if os.environ.get("KILL_AT") == str(record["id"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return record
'''

LOADS = {
    "sqlite": "type: database\ndatabase:\n  url: sqlite:///out/target.db\ntable: items\n"
              "write_method: insert\ncreate_table: true\n",
    "jsonl": "type: file\npath: out/items.jsonl\nformat: jsonl\n",
}


def _make(folder: Path, load: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text("id,name\n" + "".join(f"{i},item {i}\n" for i in range(1, 101)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text(
        "custom_function:\n  module: killer\n  function: maybe_die\n  mode: record\n")
    (folder / "killer.py").write_text(KILLER)
    (folder / "load.yaml").write_text(load)
    return folder


def _run(folder: Path, checkpoints: Path, kill_at: int | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KILL_AT": str(kill_at or "")}
    return subprocess.run(
        [sys.executable, "-m", "pycharter_gui.cli", "run", str(folder),
         "--checkpoint-dir", str(checkpoints), "--json", "--trust"],
        capture_output=True, text=True, env=env, timeout=120,
    )


def _content(folder: Path, kind: str) -> list:
    if kind == "sqlite":
        with sqlite3.connect(folder / "out" / "target.db") as db:
            return db.execute("SELECT id, name FROM items ORDER BY rowid").fetchall()
    return [json.loads(x) for x in (folder / "out" / "items.jsonl").read_text().splitlines()]


@pytest.mark.parametrize("kind", sorted(LOADS))
def test_killed_run_resumes_to_the_same_result_as_a_clean_run(tmp_path: Path, kind: str) -> None:
    clean = _make(tmp_path / "clean", LOADS[kind])
    assert _run(clean, tmp_path / "ck-clean", None).returncode == 0

    pipe = _make(tmp_path / "pipe", LOADS[kind])
    killed = _run(pipe, tmp_path / "ck", kill_at=55)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list((tmp_path / "ck").glob("*.json")), "a checkpoint must survive the kill"
    if kind == "jsonl":
        assert not (pipe / "out" / "items.jsonl").exists(), "no half-written target after a kill"

    resumed = _run(pipe, tmp_path / "ck", None)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["success"]
    assert _content(pipe, kind) == _content(clean, kind)
    assert len(_content(pipe, kind)) == 100
    assert not list((tmp_path / "ck").glob("*.json")), "checkpoint removed after success"
