"""SIGKILL at random moments, then resume: every record is loaded or dead-lettered exactly once.

The injected-point kill tests (test_resume.py, test_resume_positions.py, test_db_resume.py)
cover the known windows; this one kills a real ``pycharter-etl run`` wherever the clock lands
(seeded, so a failure replays), several times in a row, before letting it finish. The target
and the dead-letter queue must then equal a clean run's: no row lost, none twice.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROWS = 30_000
BAD_EVERY = 97  # these rows carry a quantity that cannot be an int: strict -> dead letter
LOADS = {
    "sqlite": "type: database\ndatabase:\n  url: sqlite:///out/target.db\ntable: items\n"
              "write_method: insert\ncreate_table: true\n",
    "jsonl": "type: file\npath: out/items.jsonl\nformat: jsonl\n",
}


def _make(folder: Path, load: str) -> Path:
    folder.mkdir(parents=True)
    with open(folder / "in.csv", "w", encoding="utf-8") as fh:
        fh.write("id,qty\n")
        for i in range(1, ROWS + 1):
            fh.write(f"{i},{'x' if i % BAD_EVERY == 0 else i % 50}\n")
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 200\n")
    (folder / "transform.yaml").write_text("transform:\n  convert:\n    qty: int\nstrict: true\n")
    (folder / "load.yaml").write_text(load)
    return folder


def _cmd(folder: Path, checkpoints: Path) -> list[str]:
    return [sys.executable, "-m", "pycharter_gui.cli", "run", str(folder),
            "--checkpoint-dir", str(checkpoints), "--json"]


def _loaded_ids(folder: Path, kind: str) -> list[int]:
    if kind == "sqlite":
        with sqlite3.connect(folder / "out" / "target.db") as db:
            return sorted(r[0] for r in db.execute("SELECT id FROM items"))
    return sorted(json.loads(x)["id"] for x in (folder / "out" / "items.jsonl").read_text().splitlines())


def _complete(folder: Path, kind: str, expected: list[int]) -> bool:
    try:
        return set(_loaded_ids(folder, kind)) == set(expected)
    except (OSError, sqlite3.Error):  # no target yet
        return False


def _dead_ids(folder: Path) -> list[int]:
    path = folder / ".pycharter" / "dead_letters.jsonl"
    if not path.exists():
        return []
    return sorted(json.loads(x)["record_data"]["id"] for x in path.read_text().splitlines() if x.strip())


@pytest.mark.parametrize("kind", sorted(LOADS))
def test_random_kills_then_resume_load_every_record_once(tmp_path: Path, kind: str) -> None:
    rng = random.Random(f"kills-{kind}")
    clean = _make(tmp_path / "clean", LOADS[kind])
    started = time.monotonic()
    done = subprocess.run(_cmd(clean, tmp_path / "ck-clean"), capture_output=True, text=True,
                          timeout=120)
    duration = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    expected_loaded, expected_dead = _loaded_ids(clean, kind), _dead_ids(clean)
    assert len(expected_loaded) + len(expected_dead) == ROWS
    assert len(expected_dead) == ROWS // BAD_EVERY

    pipe = _make(tmp_path / "pipe", LOADS[kind])
    kills, finished = 0, False
    for _ in range(4):
        proc = subprocess.Popen(_cmd(pipe, tmp_path / "ck"), stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.1, 0.6) * duration)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=60)
        # Finished before the kill landed, or killed after its last commit had removed the
        # checkpoint (while the interpreter shut down): the work is done, a rerun would be a
        # new run of the pipeline (and insert again, as any second run does).
        if proc.returncode == 0 or (not list((tmp_path / "ck").glob("*.json"))
                                    and _complete(pipe, kind, expected_loaded)):
            finished = True
            break
    if not finished:
        final = subprocess.run(_cmd(pipe, tmp_path / "ck"), capture_output=True, text=True,
                               timeout=120)
        assert final.returncode == 0, final.stderr
    assert kills >= 1, "no kill landed while the run was going; the test proved nothing"
    assert _loaded_ids(pipe, kind) == expected_loaded, "rows lost or loaded twice"
    assert _dead_ids(pipe) == expected_dead, "dead letters lost or written twice"
