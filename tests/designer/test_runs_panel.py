"""Runs panel: lists the workspace's history, shows a run's summary and log."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from pycharter_gui.designer.run_history import RunEntry, RunHistory
from pycharter_gui.designer.views.runs_panel import RunsPanel


def _entry(run_id: str, outcome: str, dead: int = 0) -> RunEntry:
    return RunEntry(run_id=run_id, pipeline="orders", folder="/x/orders",
                    started_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC).isoformat(), dry_run=True,
                    outcome=outcome, duration_seconds=1.5, params={"day": "2026-01-01"},
                    counts={"extracted": 60, "transformed": 42, "loaded": 42, "dead_lettered": dead,
                            "dlq_by_reason": {"validation_error": dead} if dead else {}},
                    log=["10:00:00 started", "10:00:01 Finished: success"])


def test_history_round_trip_newest_first_and_torn_line(tmp_path: Path):
    history = RunHistory(tmp_path)
    history.append(_entry("a", "success"))
    history.append(_entry("b", "failed"))
    with history.path.open("a", encoding="utf-8") as fh:
        fh.write('{"run_id": "torn", "pipel')  # a crash mid-write
    assert [e.run_id for e in history.entries()] == ["b", "a"]


def test_runs_panel_lists_and_shows_summary_and_log(qtbot, tmp_path: Path):
    history = RunHistory(tmp_path)
    history.append(_entry("a", "success", dead=2))
    history.append(_entry("b", "cancelled"))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=5000):  # read on a worker thread
        panel.set_workspace(tmp_path)
    assert [e.run_id for e in panel.entries()] == ["b", "a"]
    assert panel.tree.topLevelItem(0).text(3) == "cancelled"
    with qtbot.waitSignal(panel.run_selected, timeout=1000) as sel:
        panel.select_run(1)
    assert sel.args[0].run_id == "a"
    assert "validation_error: 2" in panel.summary_label.text()
    assert "day=2026-01-01" in panel.summary_label.text()
    assert "Finished: success" in panel.log_view.toPlainText()
    assert panel.dead_letters_button.isVisible()
    with qtbot.waitSignal(panel.dead_letters_requested, timeout=1000) as dl:
        panel.dead_letters_button.click()
    assert dl.args == ["a"]
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    out.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(out / "runs_panel.png"))
