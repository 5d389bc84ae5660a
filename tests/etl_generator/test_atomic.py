"""Atomic writes keep the user's file mode, give new files the umask default, and never leave
a half-written target or a temporary file behind."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pycharter_gui.etl_generator.atomic import atomic_open, atomic_write


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o600, 0o664])
def test_existing_file_keeps_its_mode(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "load.yaml"
    target.write_text("a: 1\n")
    target.chmod(mode)
    atomic_write(target, "a: 2\n")
    assert target.read_text() == "a: 2\n"
    assert _mode(target) == mode


def test_new_file_gets_the_umask_default_or_the_mode_asked_for(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.yaml", "x")
        atomic_write(tmp_path / "secret.json", b"{}", file_mode=0o600)
    finally:
        os.umask(old)
    assert _mode(tmp_path / "new.yaml") == 0o640
    assert _mode(tmp_path / "secret.json") == 0o600


def test_a_failed_write_leaves_the_target_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    target.write_text("old")
    with pytest.raises(RuntimeError), atomic_open(target) as fh:
        fh.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_text_is_written_as_given(tmp_path: Path) -> None:
    target = tmp_path / "crlf.yaml"
    atomic_write(target, "a: 1\r\nb: 2\r\n")
    assert target.read_bytes() == b"a: 1\r\nb: 2\r\n"
