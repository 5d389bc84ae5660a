"""Revision history, driven as a user: edit and save three times, diff two revisions, restore
(undoable), in a git workspace (commits hold only the pipeline's files) and a plain one."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.revisions import summarize_change
from pycharter_gui.designer.run_history import RunEntry, RunHistory

from .test_tests_panel import make_pipeline


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture(params=["git", "plain"])
def workspace(request, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    make_pipeline(root)
    if request.param == "git":
        git(tmp_path, "init", "-q")
        (tmp_path / "notes.txt").write_text("not the pipeline's\n")
        (tmp_path / "staged.txt").write_text("staged by the user\n")
        git(tmp_path, "add", "staged.txt")
    return root


def test_three_saves_diff_and_restore(qtbot, workspace: Path, monkeypatch) -> None:
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == "orders")
    history = win.data_docks.history_tests.history
    doc = win.current
    qtbot.waitUntil(lambda: history.store is not None)
    is_git = history.store.kind == "git"

    edits = [("transform.convert.qty", "float"), ("transform.convert.qty", "str"),
             ("transform.convert.id", "int")]
    for n, (key, value) in enumerate(edits, 1):
        doc.set_value("transform", key, value)
        if n == 2:
            qtbot.keyClicks(history.message_edit, "qty stays text")
        assert win.file_ops.save_current()
        qtbot.waitUntil(lambda n=n: len(history.revisions()) == n, timeout=10_000)
    revs = history.revisions()
    assert [r.message for r in revs][:2] == ["orders: transform convert: id + int", "qty stays text"]
    assert [r.summary for r in revs] == ["transform convert: id + int",
                                         "transform convert: qty float → str", "first revision"]

    entry = RunEntry(run_id="r1", pipeline="orders", folder=str(workspace / "orders"),
                     started_at="2026-01-01T00:00:00+00:00", dry_run=True, outcome="success")
    RunHistory(workspace).append(entry)
    assert RunHistory(workspace).entries()[0].revision == revs[0].id  # the run's revision

    # Diff the oldest and the newest.
    history.select(revs[0].id, revs[2].id)
    qtbot.waitUntil(lambda: "-    qty: float" in history.diff_view.toPlainText())
    text = history.diff_view.toPlainText()
    assert "+    qty: str" in text and "+    id: int" in text
    assert "qty float → str" in history.diff_label.text()

    # Restore the first revision: the editor changes, the files do not, Undo takes it back.
    saved = doc.text("transform")
    history.select(revs[2].id)
    with qtbot.waitSignal(history.restored, timeout=10_000):
        history.restore_button.click()
    assert "qty: float" in doc.text("transform") and "id: int" not in doc.text("transform")
    assert doc.is_dirty() and (workspace / "orders" / "transform.yaml").read_text() == saved
    doc.undo_stack.undo()
    assert doc.text("transform") == saved and not doc.is_dirty()
    win.close()

    if is_git:
        repo = workspace.parent
        files = set(git(repo, "log", "--name-only", "--format=").split())
        assert files == {f"ws/orders/{n}" for n in ("extract.yaml", "transform.yaml", "load.yaml")}
        status = git(repo, "status", "--porcelain").splitlines()
        assert "A  staged.txt" in status and "?? notes.txt" in status  # left as they were
        assert git(repo, "log", "-1", "--format=%s") == "orders: transform convert: id + int\n"
    else:
        snapshots = sorted((workspace / ".pycharter" / "history" / "orders").iterdir())
        assert len(snapshots) == 3
        assert {p.name for p in snapshots[0].iterdir()} == {
            "extract.yaml", "transform.yaml", "load.yaml", "meta.json"}


def test_summary_names_a_changed_convert() -> None:
    old = {"transform.yaml": "transform:\n  convert:\n    qty: int\n"}
    new = {"transform.yaml": "# a comment\ntransform:\n  convert:\n    qty: float\n"}
    assert summarize_change(old, new) == "transform convert: qty int → float"
    assert summarize_change(new, {"transform.yaml": "transform:\n  convert:\n    qty: float\n"}
                            ) == "transform.yaml: comments or layout"
    assert summarize_change(old, {"transform.yaml": "transform: [\n"}) == "transform.yaml edited"
