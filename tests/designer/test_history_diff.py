"""Issue 19, revision history: review what a save writes (File ▸ Review changes…, and before
each save when that is on), the History panel's side-by-side diff, and Show the run; driven
as a user would."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMenu

from pycharter_gui.designer import theme
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.run_history import RunEntry, RunHistory
from pycharter_gui.designer.views.diff_view import ReviewChangesDialog

from .conftest import open_window
from .test_tests_panel import make_pipeline

Std = QDialogButtonBox.StandardButton
QTY = "transform.convert.qty"


@pytest.fixture
def window(qtbot, tmp_path: Path):
    make_pipeline(tmp_path / "ws")
    with open_window(qtbot, tmp_path / "ws", select="orders") as win:
        yield win


def file_menu(win: MainWindow) -> QMenu:
    return next(m for m in win.menuBar().findChildren(QMenu) if m.title() == "&File")


def answer_review(qtbot, button: Std, seen: list[ReviewChangesDialog]) -> None:
    """When the review dialog comes up, note it and press ``button`` in it."""
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, ReviewChangesDialog):
            QTimer.singleShot(20, answer)
            return
        seen.append(dialog)
        qtbot.mouseClick(dialog.buttons.button(button), Qt.MouseButton.LeftButton)
    QTimer.singleShot(0, answer)


def test_review_changes_before_saving(qtbot, window: MainWindow) -> None:
    acts = window.actions_by_name
    assert {acts["review"], acts["review_before_save"]} <= set(file_menu(window).actions())
    assert not acts["review"].isEnabled()  # nothing to review yet
    doc = window.current
    transform = doc.file_path("transform")
    on_disk = transform.read_text()

    # Turned on from the File menu (remembered); a save shows its diff first: Cancel keeps it.
    acts["review_before_save"].trigger()
    assert acts["review_before_save"].isChecked() and window.settings.review_before_save
    doc.set_value("transform", QTY, "float")
    assert acts["review"].isEnabled()
    seen: list[ReviewChangesDialog] = []
    answer_review(qtbot, Std.Cancel, seen)
    acts["save"].trigger()
    dialog = seen[0]
    assert "transform convert: qty int → float" in dialog.summary.text()
    assert ("changed", 4, "    qty: int", 4, "    qty: float") in dialog.diff.rows()
    assert [r[2] for r in dialog.diff.rows() if r[0] == "file"] == ["transform.yaml"]
    assert transform.read_text() == on_disk and doc.is_dirty()

    # Save in the review writes the file.
    answer_review(qtbot, Std.Save, seen)
    acts["save"].trigger()
    assert "qty: float" in transform.read_text() and not doc.is_dirty()

    # File ▸ Review changes… with the option off: Close leaves it unsaved, Save saves.
    acts["review_before_save"].trigger()
    assert not window.settings.review_before_save
    doc.set_value("transform", QTY, "str")
    answer_review(qtbot, Std.Close, seen)
    acts["review"].trigger()
    assert "qty: float" in transform.read_text() and doc.is_dirty()
    answer_review(qtbot, Std.Save, seen)
    acts["review"].trigger()
    assert "qty: str" in transform.read_text() and not doc.is_dirty()
    assert len(seen) == 4
    assert window.file_ops.save_current()  # off: no review (nothing left to write either)


def _save(qtbot, win: MainWindow, key: str, value: str, count: int) -> None:
    history = win.data_docks.history_tests.history
    win.current.set_value("transform", key, value)
    assert win.file_ops.save_current()
    qtbot.waitUntil(lambda: len(history.revisions()) == count, timeout=10_000)


def test_side_by_side_diff_scrolls_together(qtbot, window: MainWindow) -> None:
    history = window.data_docks.history_tests.history
    doc = window.current
    qtbot.waitUntil(lambda: history.store is not None)
    for n in range(60):  # a long file: the panes scroll
        doc.set_value("transform", f"transform.convert.c{n:02}", "int")
    _save(qtbot, window, QTY, "int", 1)
    for n in range(0, 60, 2):
        doc.set_value("transform", f"transform.convert.c{n:02}", "float")
    _save(qtbot, window, QTY, "float", 2)
    revs = history.revisions()
    window.data_docks.history_tests.docks["history"].raise_()

    with qtbot.waitSignal(history.diff_shown, timeout=10_000):
        history.select(revs[0].id)  # what the newest changed
    view = history.diff
    assert view.side_by_side_box.isChecked() and view.stack.currentIndex() == 0
    left, right = view.left.toPlainText().split("\n"), view.right.toPlainText().split("\n")
    assert len(left) == len(right) == len(view.rows())  # aligned row for row
    row = left.index(next(line for line in left if line.endswith("qty: int")))
    assert right[row].endswith("qty: float")
    assert left[0].startswith("transform.yaml (") and right[0].startswith("transform.yaml (")
    # the changed lines in the theme's colours, both sides
    marks = {side: {s.cursor.blockNumber(): s.format.background().color().name()
                    for s in pane.extraSelections()}
             for side, pane in (("left", view.left), ("right", view.right))}
    assert marks["left"][row] == theme.color("mark_mismatch")
    assert marks["right"][row] == theme.color("mark_added")
    assert sum(1 for r in view.rows() if r[0] == "changed") == 31

    # Scrolling one pane scrolls the other.
    bar = view.left.verticalScrollBar()
    assert bar.maximum() > 0
    bar.setValue(bar.maximum())
    assert view.right.verticalScrollBar().value() == bar.maximum()
    view.right.verticalScrollBar().setValue(3)
    assert bar.value() == 3

    # The unified diff is one click away.
    qtbot.mouseClick(view.side_by_side_box, Qt.MouseButton.LeftButton)
    assert view.stack.currentWidget() is view.unified and view.unified.isVisible()
    text = view.unified.toPlainText()
    assert "-    qty: int" in text and "+    qty: float" in text


def test_show_the_run_of_a_revision(qtbot, window: MainWindow, tmp_path: Path) -> None:
    docks = window.data_docks
    history, runs = docks.history_tests.history, docks.runs
    workspace = tmp_path / "ws"
    qtbot.waitUntil(lambda: history.store is not None)

    def record_run(run_id: str) -> None:
        RunHistory(workspace).append(RunEntry(
            run_id=run_id, pipeline="orders", folder=str(workspace / "orders"),
            started_at=f"2026-01-0{len(run_id)}T00:00:00+00:00", dry_run=True,
            outcome="success"))

    _save(qtbot, window, QTY, "float", 1)
    record_run("a")  # used the first revision
    _save(qtbot, window, QTY, "str", 2)
    record_run("bb")  # used the second
    _save(qtbot, window, QTY, "int", 3)  # no run used the third
    old, newest = history.revisions()[2], history.revisions()[0]
    docks.history_tests.docks["history"].raise_()  # History on top, Runs behind it
    assert runs.visibleRegion().isEmpty()

    with qtbot.waitSignal(history.diff_shown, timeout=10_000):
        history.select(newest.id)
    assert not history.show_run_button.isEnabled()
    with qtbot.waitSignal(history.diff_shown, timeout=10_000):
        history.select(old.id)
    assert history.show_run_button.isEnabled()
    # The Runs list has not read the runs yet: it does, then selects the one.
    with qtbot.waitSignal(runs.refreshed, timeout=10_000):
        qtbot.mouseClick(history.show_run_button, Qt.MouseButton.LeftButton)
    current = runs.tree.currentItem()
    assert current is not None and runs.entries()[runs.tree.indexOfTopLevelItem(current)].run_id == "a"
    assert old.id == runs.entries()[runs.tree.indexOfTopLevelItem(current)].revision
    assert not runs.visibleRegion().isEmpty()  # the Runs dock was raised
