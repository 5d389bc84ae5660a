"""What a killed run leaves beside a file target is removed by a later run (issue 14 #6):
only the target's own temp files and staging that nothing can resume, and only while no live
run holds the target's lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator

# Kills the CLI run with SIGKILL right before the assembled file is renamed onto the target.
KILL_BEFORE_RENAME = textwrap.dedent("""
    import os, signal, sys
    from pycharter_gui.etl_generator.loaders import file
    def die(tmp, final, **_):
        os.kill(os.getpid(), signal.SIGKILL)
    file.replace_file = die
    from pycharter_gui.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def _pipeline(folder: Path, rows: int = 50) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "in.csv").write_text("id,name\n" + "".join(f"{i},n{i}\n" for i in range(rows)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 10\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    return folder


def _leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if ".tmp" in p.name or ".parts" in str(p))


def test_a_kill_before_the_rename_leaves_temp_files_the_next_run_removes(tmp_path) -> None:
    folder = _pipeline(tmp_path / "pipe")
    killed = subprocess.run([sys.executable, "-c", KILL_BEFORE_RENAME, "run", str(folder)],
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    left = _leftovers(folder)
    assert any(name.startswith(".out.jsonl.") and name.endswith(".tmp") for name in left), left
    again = subprocess.run([sys.executable, "-m", "pycharter_gui.cli", "run", str(folder),
                            "--param", "other=1"], capture_output=True, text=True, timeout=60)
    assert again.returncode == 0, again.stderr
    assert _leftovers(folder) == []
    assert len((folder / "out.jsonl").read_text().splitlines()) == 50


def _plant(folder: Path) -> dict[str, Path]:
    parts = folder / ".out.jsonl.parts"
    files = {
        "assembled": folder / ".out.jsonl.1a2b3c4d.tmp",
        "stream": folder / ".out.jsonl.5e6f7a8b.stream.tmp",
        "scratch": parts / "killed-no-checkpoint" / "part-00001-10.jsonl",
        "half_part": parts / "resumable" / "part-00002-10.jsonl.tmp",
        # kept: a checkpointed run's committed part, other targets' and the user's files
        "resumable_part": parts / "resumable" / "part-00001-10.jsonl",
        "other_target": folder / ".other.jsonl.1a2b3c4d.tmp",
        "users": folder / "notes.tmp",
    }
    for path in files.values():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    (parts / "killed-no-checkpoint" / "SCRATCH").touch()
    return files


async def test_a_run_removes_only_its_own_patterns(tmp_path) -> None:
    folder = _pipeline(tmp_path / "pipe")
    files = _plant(folder)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    gone = {k for k, p in files.items() if not p.exists()}
    assert gone == {"assembled", "stream", "scratch", "half_part"}
    assert not (folder / ".out.jsonl.parts" / "killed-no-checkpoint").exists()


async def test_a_run_without_checkpoints_marks_its_staging_as_scratch(tmp_path) -> None:
    from pycharter_gui.etl_generator.loaders.file import FileLoadSession

    folder = _pipeline(tmp_path / "pipe")
    cfg = {"type": "file", "path": str(folder / "out.jsonl"), "format": "jsonl"}
    scratch = FileLoadSession(cfg, dry_run=False, run_key="a", resumable=False)
    await scratch.open()
    kept = FileLoadSession(cfg, dry_run=False, run_key="b", resumable=True)
    await kept.open()
    assert (scratch.staging / "SCRATCH").exists() and not (kept.staging / "SCRATCH").exists()


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pycharter_gui.etl_generator.loaders.run_lock import target_lock
    cfg = {"type": "file", "path": sys.argv[1]}
    with target_lock(cfg, run_id="holder"):
        print("locked", flush=True)
        time.sleep(60)
""")


@pytest.mark.skipif(os.name != "posix", reason="flock")
async def test_nothing_is_removed_while_a_live_run_holds_the_lock(tmp_path) -> None:
    folder = _pipeline(tmp_path / "pipe")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(folder / "out.jsonl")],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        files = _plant(folder)  # planted after the holder took the lock: they may be its own
        result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
        assert result["success"] is False and "holder" in result["error"]
        assert all(p.exists() for p in files.values())
    finally:
        holder.kill()
        holder.wait()
