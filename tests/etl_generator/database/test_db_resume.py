"""A CLI run loading a server database, killed with SIGKILL mid-way, resumes to a clean result.

Like tests/etl_generator/test_resume.py (SQLite/JSONL) but against the real PostgreSQL and
MariaDB servers: a custom function SIGKILLs its own process at a given record id; the rerun
with the same --checkpoint-dir must leave the table equal to a clean run's, with no duplicate
and nothing missing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)

KILLER = '''
import os, signal

def maybe_die(record, **_):
    if os.environ.get("KILL_AT") == str(record["id"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return record
'''
N = 100


def _make(folder: Path, url: str, table: str, write_method: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text(
        "id,name,amount\n" + "".join(f"{i},item {i},{i * 1.5}\n" for i in range(1, N + 1)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text(
        "convert:\n  id: int\n  amount: float\n"
        "custom_function:\n  module: killer\n  function: maybe_die\n  mode: record\n")
    (folder / "killer.py").write_text(KILLER)
    key = "primary_key: [id]\n" if write_method != "insert" else ""
    (folder / "load.yaml").write_text(
        f"type: database\ndatabase:\n  url: {url}\ntable: {table}\n"
        f"write_method: {write_method}\n{key}create_table: true\n")
    return folder


def _run(folder: Path, checkpoints: Path, kill_at: int | None) -> subprocess.CompletedProcess:
    env = {**os.environ, "KILL_AT": str(kill_at or "")}
    return subprocess.run(
        [sys.executable, "-m", "pycharter_gui.cli", "run", str(folder),
         "--checkpoint-dir", str(checkpoints), "--json", "--trust"],
        capture_output=True, text=True, env=env, timeout=240,
    )


def _content(db: Any, table: str) -> list[tuple]:
    return [(r["id"], r["name"], float(r["amount"])) for r in db.rows(table)]


SERVERS = [pytest.param("postgresql", marks=pytest.mark.postgres),
           pytest.param("mariadb", marks=pytest.mark.mariadb)]  # SQLite: ../test_resume.py


@pytest.mark.parametrize("write_method", ["insert", "upsert"])
@pytest.mark.parametrize("db", SERVERS, indirect=True)
def test_killed_run_resumes_to_the_same_table_as_a_clean_run(
        tmp_path: Path, db: Any, write_method: str) -> None:
    clean_table, table = db.unique_name(), db.unique_name()
    clean = _make(tmp_path / "clean", db.url, clean_table, write_method)
    done = _run(clean, tmp_path / "ck-clean", None)
    assert done.returncode == 0, done.stderr

    pipe = _make(tmp_path / "pipe", db.url, table, write_method)
    killed = _run(pipe, tmp_path / "ck", kill_at=55)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert list((tmp_path / "ck").glob("*.json")), "a checkpoint must survive the kill"
    assert [r[0] for r in _content(db, table)] == list(range(1, 51)), \
        "the five committed batches are in the table, nothing of the sixth"

    resumed = _run(pipe, tmp_path / "ck", None)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["success"], summary
    assert _content(db, table) == _content(db, clean_table)
    assert [r[0] for r in _content(db, table)] == list(range(1, N + 1))
    assert not list((tmp_path / "ck").glob("*.json")), "checkpoint removed after success"
