"""Cancel pressed while a run is still being prepared stops it before it starts.

Found by the long-session test: the orchestrator is built on a worker ("Preparing the run…"),
and a Cancel in that window was ignored — the run then started and loaded anyway."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from pycharter_gui.designer.run_history import RunHistory
from pycharter_gui.designer.views.run_panel import RunPanel

from .preview_support import copy_example, snapshot


def test_cancel_during_preparation_stops_the_run_before_it_starts(qtbot, tmp_path: Path):
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.show()
    folder = copy_example(tmp_path, "orders_to_sqlite")
    before = snapshot(folder)
    panel.set_pipeline(folder)
    finished: list[object] = []
    panel.run_finished.connect(finished.append)
    with qtbot.waitSignal(panel.run_cancelled, timeout=30_000):
        assert panel.start_run(dry_run=False)
        assert panel.is_running() and panel.cancel_button.isEnabled()
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert not panel.is_running()
    assert panel.dry_run_button.isEnabled() and panel.run_button.isEnabled()
    assert "Cancelled" in panel.progress_label.text()
    qtbot.wait(300)
    assert finished == []
    assert snapshot(folder) == before  # nothing ran: no target, no DLQ
    assert RunHistory(folder.parent).entries() == []


def test_the_log_says_the_runs_status_not_success(qtbot, tmp_path: Path):
    """Found on a screenshot: a dry run with 3 dead letters ended its log with "Finished:
    success"; the log now says what the Runs panel and the CLI say."""
    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_pipeline(copy_example(tmp_path, "orders_to_sqlite"))
    with qtbot.waitSignal(panel.run_finished, timeout=30_000):
        assert panel.start_run(dry_run=True)
    log = panel.log_view.toPlainText()
    assert "Finished: completed with 3 dead letters" in log and "success" not in log
