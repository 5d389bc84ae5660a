"""Files the designer writes stay the user's files: mode, owner, syntax-error saves, undo view."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from pycharter_gui.designer.documents import PipelineDocument


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o644, 0o640])
def test_save_keeps_the_file_mode(qtbot, workspace: Path, mode: int):
    target = workspace / "people" / "load.yaml"
    target.chmod(mode)
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "table", "folks")
    assert doc.save() == [target]
    assert _mode(target) == mode
    assert "table: folks" in target.read_text()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root can give a file to another owner")
def test_save_keeps_owner_and_group(qtbot, workspace: Path):
    target = workspace / "people" / "load.yaml"
    os.chown(target, 4321, 4322)
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "table", "folks")
    doc.save()
    st = target.stat()
    assert (st.st_uid, st.st_gid) == (4321, 4322)


def test_new_file_gets_the_umask_default(qtbot, workspace: Path):
    folder = workspace / "half_done"
    doc = PipelineDocument("half_done", folder)
    doc.set_value("load", "type", "file")
    previous = os.umask(0o027)
    try:
        doc.save()
    finally:
        os.umask(previous)
    assert _mode(folder / "load.yaml") == 0o640
    assert [p.name for p in folder.iterdir() if p.name.endswith(".tmp")] == []
