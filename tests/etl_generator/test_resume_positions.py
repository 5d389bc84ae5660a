"""A checkpoint records the source position in records and what the run was made with: a resume
with another batch size continues at the same record, and a changed source or config refuses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

KILLER = '''
import os, signal

def maybe_die(record, **_):
    if os.environ.get("KILL_AT") == str(record["id"]):
        os.kill(os.getpid(), signal.SIGKILL)
    return record
'''
N = 100
LOAD = "type: file\npath: out/items.jsonl\nformat: jsonl\nwrite_mode: overwrite\n"


def _make(folder: Path, load: str = LOAD) -> Path:
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text("id,name\n" + "".join(f"{i},item {i}\n" for i in range(1, N + 1)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text(
        "custom_function:\n  module: killer\n  function: maybe_die\n  mode: record\n")
    (folder / "killer.py").write_text(KILLER)
    (folder / "load.yaml").write_text(load)
    return folder


def run_cli(folder: Path, checkpoints: Path, kill_at: int | None = None,
            *extra: str) -> subprocess.CompletedProcess:
    """``pycharter-etl run --json`` with a checkpoint folder; KILL_AT kills at that record id."""
    env = {**os.environ, "KILL_AT": str(kill_at or "")}
    return subprocess.run(
        [sys.executable, "-m", "pycharter_gui.cli", "run", str(folder), "--checkpoint-dir",
         str(checkpoints), "--json", "--trust", *extra], capture_output=True, text=True, env=env, timeout=60)


def _ids(folder: Path) -> list[int]:
    lines = (folder / "out" / "items.jsonl").read_text().splitlines()
    return [int(json.loads(x)["id"]) for x in lines]


def _killed(tmp_path: Path) -> Path:
    pipe = _make(tmp_path / "pipe")
    killed = run_cli(pipe, tmp_path / "ck", 55)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    return pipe


@pytest.mark.parametrize("new_size", [7, 25])
def test_resume_with_another_batch_size_continues_at_the_same_record(
        tmp_path: Path, new_size: int) -> None:
    pipe = _killed(tmp_path)
    (pipe / "extract.yaml").write_text(f"path: in.csv\nbatch_size: {new_size}\n")
    resumed = run_cli(pipe, tmp_path / "ck")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["extraction"]["total_records"] == N
    assert summary["loading"]["total_records"] == N
    assert _ids(pipe) == list(range(1, N + 1))


@pytest.mark.parametrize("change", ["source", "transform"])
def test_resume_refuses_when_the_source_or_config_changed(tmp_path: Path, change: str) -> None:
    pipe = _killed(tmp_path)
    if change == "source":
        with open(pipe / "in.csv", "a") as f:
            f.write("101,item 101\n")
        named = "the source files"
    else:
        (pipe / "transform.yaml").write_text(
            "rename:\n  name: title\n"
            "custom_function:\n  module: killer\n  function: maybe_die\n  mode: record\n")
        named = "transform.yaml"
    refused = run_cli(pipe, tmp_path / "ck")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    error = json.loads(refused.stdout)["error"]
    assert "Cannot resume" in error and named in error and "--no-resume" in error, error
    assert not (pipe / "out" / "items.jsonl").exists()
    assert list((tmp_path / "ck").glob("*.json")), "the checkpoint is kept for the user to decide"

    fresh = run_cli(pipe, tmp_path / "ck", None, "--no-resume")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert len(_ids(pipe)) == N + (change == "source")


# -- a kill between a batch's commit and its checkpoint ---------------------------------------
LAUNCH = '''
import os, signal, sys
from pycharter_gui.etl_generator import checkpoints
from pycharter_gui.cli import main

method = os.environ.get("KILL_IN", "save")
real = getattr(checkpoints.CheckpointManager, method)

def patched(self, *args, **kwargs):
    # save(id, stage, batch_num, ...): the batch is committed, its checkpoint not yet written;
    # delete(id) (after the run's commit): the target is final, the checkpoint still there
    if method == "delete" or str(args[2]) == os.environ.get("KILL_AT_CHECKPOINT"):
        os.kill(os.getpid(), signal.SIGKILL)
    return real(self, *args, **kwargs)

setattr(checkpoints.CheckpointManager, method, patched)
sys.exit(main())
'''
SERVERS = {
    "postgresql": os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                                 "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
    "mariadb": os.environ.get("PYCHARTER_TEST_MARIADB_URL",
                              "mysql+pymysql://root@127.0.0.1:3306/test"),
}


def _engine_or_skip(kind: str, tmp_path: Path) -> sa.Engine:
    url = f"sqlite:///{tmp_path / 'target.db'}" if kind == "sqlite" else SERVERS[kind]
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{kind} is not reachable: {exc}")
        pytest.skip(f"{kind} is not reachable (see scripts/services.sh)")
    return engine


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres),
                                  pytest.param("mariadb", marks=pytest.mark.mariadb)])
def test_kill_between_commit_and_checkpoint_replays_nothing(tmp_path: Path, kind: str) -> None:
    engine = _engine_or_skip(kind, tmp_path)
    table = f"t_{uuid.uuid4().hex[:10]}"
    pipe = tmp_path / "pipe"
    pipe.mkdir()
    (pipe / "in.csv").write_text("id,name\n" + "".join(f"{i},item {i}\n" for i in range(1, N + 1)))
    (pipe / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (pipe / "transform.yaml").write_text("convert:\n  id: int\n")
    (pipe / "load.yaml").write_text(
        f"type: database\nurl: {engine.url.render_as_string(hide_password=False)}\n"
        f"table: {table}\nwrite_method: insert\ncreate_table: true\n")
    (tmp_path / "launch.py").write_text(LAUNCH)
    cmd = [sys.executable, str(tmp_path / "launch.py"), "run", str(pipe), "--checkpoint-dir",
           str(tmp_path / "ck"), "--json"]
    try:
        killed = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "KILL_AT_CHECKPOINT": "5"})
        assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
        resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        summary = json.loads(resumed.stdout)
        assert summary["loading"]["total_records"] == N
        with engine.connect() as conn:
            ids = [r[0] for r in conn.exec_driver_sql(f"SELECT id FROM {table} ORDER BY id")]
            progress = conn.exec_driver_sql("SELECT count(*) FROM _pycharter_progress").scalar()
        assert ids == list(range(1, N + 1))
        if kind == "sqlite":  # the servers' table is shared with other tests
            assert progress == 0, "a finished run leaves no progress row"
    finally:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        engine.dispose()


def test_unwritable_checkpoint_folder_fails_before_loading(tmp_path: Path) -> None:
    pipe = _make(tmp_path / "pipe")
    (tmp_path / "blocker").write_text("a file where the checkpoint folder should be")
    failed = run_cli(pipe, tmp_path / "blocker" / "ck")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "Cannot write checkpoints" in json.loads(failed.stdout)["error"]
    assert not (pipe / "out" / "items.jsonl").exists()


def test_append_killed_after_the_final_rename_appends_nothing_twice(tmp_path: Path) -> None:
    pipe = _make(tmp_path / "pipe", "type: file\npath: out/items.jsonl\nformat: jsonl\n"
                                    "write_mode: append\n")
    (pipe / "out").mkdir()
    (pipe / "out" / "items.jsonl").write_text('{"id": 0, "name": "before"}\n')
    (tmp_path / "launch.py").write_text(LAUNCH)
    cmd = [sys.executable, str(tmp_path / "launch.py"), "run", str(pipe), "--checkpoint-dir",
           str(tmp_path / "ck"), "--json", "--trust"]
    killed = subprocess.run(cmd, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "KILL_IN": "delete"})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert _ids(pipe) == list(range(N + 1)), "the kill came after the target was renamed"
    resumed = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert _ids(pipe) == list(range(N + 1))
    assert sorted(p.name for p in (pipe / "out").iterdir()) == ["items.jsonl"]
