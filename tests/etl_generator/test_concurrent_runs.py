"""Two runs loading the same target at once: the second fails naming the first, no data is lost
or duplicated, and the lock of a killed run is taken over."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

PG_URL = os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
N = 200

HOLDER = '''
import os, time
from pathlib import Path

def hold(record, **_):
    gate = Path(os.environ["GATE"])
    if str(record["id"]) == "1" and gate.exists():
        (gate / "started").write_text(str(os.getpid()))
        while not (gate / "release").exists():
            time.sleep(0.02)
    return record
'''


def _make(folder: Path, load: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text("id,name\n" + "".join(f"{i},item {i}\n" for i in range(1, N + 1)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 20\n")
    (folder / "transform.yaml").write_text(
        "custom_function:\n  module: holder\n  function: hold\n  mode: record\n")
    (folder / "holder.py").write_text(HOLDER)
    (folder / "load.yaml").write_text(load)
    return folder


def _cmd(folder: Path, checkpoints: Path | None) -> list[str]:
    extra = ["--checkpoint-dir", str(checkpoints)] if checkpoints else []
    return [sys.executable, "-m", "pycharter_gui.cli", "run", str(folder), "--json", "--trust",
            *extra]


def _race(folder: Path, gate: Path, checkpoints: Path | None = None
          ) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess, int]:
    """Start run A and hold it inside its first batch; run B meanwhile; then release A."""
    gate.mkdir()
    env = {**os.environ, "GATE": str(gate)}
    first = subprocess.Popen(_cmd(folder, checkpoints), env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (gate / "started").exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "run A never reached its first batch"
            time.sleep(0.02)
        second = subprocess.run(_cmd(folder, checkpoints), capture_output=True, text=True,
                                env={**os.environ, "GATE": str(gate / "none")}, timeout=60)
        (gate / "release").write_text("go")
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
    return (subprocess.CompletedProcess(first.args, first.returncode, out, err), second,
            first.pid)


def _assert_refused(second: subprocess.CompletedProcess, pid: int) -> None:
    assert second.returncode == 1, second.stdout + second.stderr
    error = json.loads(second.stdout)["error"]
    assert "Another run is loading into" in error and f"pid {pid}" in error, error


@pytest.mark.parametrize("checkpoints", [False, True])
def test_second_file_run_fails_naming_the_first_and_no_row_is_lost(
        tmp_path: Path, checkpoints: bool) -> None:
    pipe = _make(tmp_path / "pipe", "type: file\npath: out/items.jsonl\nformat: jsonl\n")
    first, second, pid = _race(pipe, tmp_path / "gate",
                               tmp_path / "ck" if checkpoints else None)
    assert first.returncode == 0, first.stdout + first.stderr
    _assert_refused(second, pid)
    rows = [json.loads(x) for x in (pipe / "out" / "items.jsonl").read_text().splitlines()]
    assert [str(r["id"]) for r in rows] == [str(i) for i in range(1, N + 1)]
    assert not (pipe / "out" / ".items.jsonl.parts").exists()


def test_lock_of_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    pipe = _make(tmp_path / "pipe", "type: file\npath: out/items.jsonl\nformat: jsonl\n")
    gate = tmp_path / "gate"
    gate.mkdir()
    proc = subprocess.Popen(_cmd(pipe, None), env={**os.environ, "GATE": str(gate)},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (gate / "started").exists():
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert json.loads((pipe / "out" / ".items.jsonl.lock").read_text())["pid"] == proc.pid
    again = subprocess.run(_cmd(pipe, None), capture_output=True, text=True, timeout=60,
                           env={**os.environ, "GATE": str(gate / "none")})
    assert again.returncode == 0, again.stdout + again.stderr
    assert len((pipe / "out" / "items.jsonl").read_text().splitlines()) == N


def _pg_or_skip() -> sa.Engine:
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable (see scripts/services.sh)")
    return engine


@pytest.mark.postgres
def test_two_truncate_and_load_runs_leave_no_duplicates(tmp_path: Path) -> None:
    engine = _pg_or_skip()
    table = f"t_{uuid.uuid4().hex[:10]}"
    pipe = _make(tmp_path / "pipe", f"type: database\nurl: {PG_URL}\ntable: {table}\n"
                                    "write_method: truncate_and_load\ncreate_table: true\n")
    try:
        first, second, pid = _race(pipe, tmp_path / "gate")
        assert first.returncode == 0, first.stdout + first.stderr
        _assert_refused(second, pid)
        with engine.connect() as conn:
            count = conn.exec_driver_sql(f'SELECT count(*), count(DISTINCT id) FROM "{table}"').one()
        assert tuple(count) == (N, N)
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f'DROP TABLE IF EXISTS "{table}"')
        engine.dispose()


def _hold_a_run(pipe: Path, gate: Path) -> subprocess.Popen:
    """Start a run of ``pipe`` and wait until it holds the target's lock inside its first batch."""
    gate.mkdir()
    run = subprocess.Popen(_cmd(pipe, None), env={**os.environ, "GATE": str(gate)},
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not (gate / "started").exists():
        assert time.monotonic() < deadline and run.poll() is None
        time.sleep(0.02)
    return run


def test_replay_is_refused_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    from pycharter_gui.etl_generator import DeadLetterRecord, LoadError, replay_dead_letters

    pipe = _make(tmp_path / "pipe", "type: file\npath: out/items.jsonl\nformat: jsonl\n")
    letter = DeadLetterRecord("pipe", {"id": "999", "name": "replayed"}, "load_error",
                              "disk was full", "OSError", "load")
    run = _hold_a_run(pipe, tmp_path / "gate")
    try:
        with pytest.raises(LoadError, match=f"Another run is loading into .*pid {run.pid}"):
            asyncio.run(replay_dead_letters(pipe, [letter], dry_run=False))
        dry = asyncio.run(replay_dead_letters(pipe, [letter], dry_run=True))  # writes nothing
        assert dry["succeeded"] == 1
    finally:
        (tmp_path / "gate" / "release").write_text("go")
        assert run.wait(timeout=60) == 0
    done = asyncio.run(replay_dead_letters(pipe, [letter], dry_run=False))
    assert done["succeeded"] == 1
    ids = [json.loads(x)["id"] for x in (pipe / "out" / "items.jsonl").read_text().splitlines()]
    assert len(ids) == N + 1 and ids[-1] == "999"


def test_dask_run_is_refused_while_a_run_holds_the_lock(tmp_path: Path) -> None:
    """The client takes the target's lock before it plans work on the cluster."""
    pytest.importorskip("distributed")
    from pycharter_gui.etl_generator import ETLOrchestrator

    pipe = _make(tmp_path / "pipe", "type: file\npath: out/items.jsonl\nformat: jsonl\n")
    run = _hold_a_run(pipe, tmp_path / "gate")
    try:
        result = asyncio.run(ETLOrchestrator(contract_dir=pipe, verbose=False).run(
            executor="dask", scheduler_address="tcp://127.0.0.1:9"))  # never contacted
    finally:
        (tmp_path / "gate" / "release").write_text("go")
        assert run.wait(timeout=60) == 0
    assert not result["success"]
    assert "Another run is loading into" in result["error"] and f"pid {run.pid}" in result["error"]
    assert len((pipe / "out" / "items.jsonl").read_text().splitlines()) == N
