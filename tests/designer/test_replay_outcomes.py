"""Outcomes in the designer tell the truth (DECISIONS.md "Nothing silent"): replay reports per
record loaded / filtered / dead-lettered again and only loaded records become resolved (a
record the transform filters out is not "loaded and marked resolved" while the target stays
unchanged), and the Runs panel shows a run's status, not "success" for a run with dead letters."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pycharter_gui.designer.run_history import RunEntry, RunHistory
from pycharter_gui.designer.views.dead_letter_panel import DeadLetterPanel
from pycharter_gui.designer.views.runs_panel import RunsPanel
from pycharter_gui.etl_generator import DeadLetterQueue
from pycharter_gui.etl_generator.replay import mark_replay_outcomes, replay_dead_letters

from .dlq_fixtures import TRANSFORM, make_dlq_pipeline, run_pipeline

WAIT = 10000
#: After the run, the transform drops "Bad 7": replaying it loads nothing.
FILTERING = TRANSFORM + "  filter:\n    field: name\n    operator: ne\n    value: Bad 7\n"


def _ids(folder: Path) -> set[int]:
    with sqlite3.connect(folder / "out.db") as conn:
        return {r[0] for r in conn.execute("SELECT id FROM people")}


@pytest.fixture
def pipeline(tmp_path: Path) -> tuple[Path, DeadLetterQueue]:
    folder = make_dlq_pipeline(tmp_path, "sqlite", n_good=5, n_bad_age=5, n_negative=0)
    assert run_pipeline(folder)["dead_lettered"] == 5
    (folder / "transform.yaml").write_text(FILTERING, encoding="utf-8")
    queue = DeadLetterQueue(storage_backend="sqlite",
                            storage_path=folder / ".pycharter" / "dead_letters.db")
    return folder, queue


async def test_each_record_reports_loaded_filtered_or_dead_lettered(pipeline) -> None:
    folder, queue = pipeline
    filtered, loaded, failing = (queue.page({"text": f'"Bad {i}"'})[0] for i in (7, 8, 9))
    edits = {filtered.id: {**filtered.record_data, "age": "30"},
             loaded.id: {**loaded.record_data, "age": "31"}}
    result = await replay_dead_letters(folder, [filtered, loaded, failing], edited=edits,
                                       dry_run=False)
    outcomes = result["outcomes"]
    assert [outcomes[r.id]["outcome"] for r in (filtered, loaded, failing)] == [
        "filtered", "loaded", "dead_lettered"]
    assert [outcomes[r.id]["ok"] for r in (filtered, loaded, failing)] == [False, True, False]
    assert (result["succeeded"], result["filtered"], result["failed"]) == (1, 1, 1)
    assert _ids(folder) == {1, 2, 3, 4, 5, 8}

    counts = mark_replay_outcomes(queue, [filtered, loaded, failing], result, edits)
    assert counts == {"resolved": 1, "filtered": 1, "failed": 1}
    status = {r.record_data["name"]: r.status.value for r in queue.page(limit=100)}
    assert status == {"Bad 6": "pending", "Bad 7": "pending", "Bad 8": "resolved",
                      "Bad 9": "pending", "Bad 10": "pending"}
    (kept,) = queue.page({"text": '"Bad 7"'})
    assert kept.record_data["age"] == "30"  # the edit is kept with the record
    assert kept.reason == filtered.reason and kept.metadata["replay_of"] == filtered.id


async def test_unedited_filtered_record_is_left_as_it_was(pipeline) -> None:
    folder, queue = pipeline
    (rec,) = queue.page({"text": '"Bad 7"'})
    rec.record_data["age"] = "30"  # as if the source had been fixed, without a panel edit
    result = await replay_dead_letters(folder, [rec], dry_run=False)
    assert result["outcomes"][rec.id]["outcome"] == "filtered"
    assert mark_replay_outcomes(queue, [rec], result) == {"resolved": 0, "filtered": 1, "failed": 0}
    assert queue.get(rec.id)[0].status.value == "pending"


def test_panel_says_filtered_records_were_not_loaded(qtbot, pipeline) -> None:
    folder, queue = pipeline
    panel = DeadLetterPanel()
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignals([panel.model.reloaded, panel.statistics_loaded], timeout=WAIT):
        panel.open_pipeline(folder)
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT):
        panel.filter_bar.text.setText('"Bad 7"')
        panel.filter_bar.text.returnPressed.emit()
    panel.view.selectRow(0)
    (rec,) = queue.page({"text": '"Bad 7"'})
    panel.edits[rec.id] = {**rec.record_data, "age": "30"}  # as the JSON editor keeps it

    with qtbot.waitSignal(panel.replay_finished, timeout=WAIT):
        panel.replay_selected()
    assert "0 would load" in panel.replay_bar.label.text()
    assert "1 filtered out by the transform" in panel.replay_bar.label.text()

    with qtbot.waitSignals([panel.replay_finished, panel.model.reloaded], timeout=WAIT):
        panel.replay_bar.confirm_button.click()
    text = panel.message_bar.text()
    assert "0 loaded and marked resolved" in text
    assert "1 filtered out by the transform (nothing loaded; kept pending)" in text
    assert 7 not in _ids(folder)
    assert queue.page({"text": '"Bad 7"'})[0].status.value == "pending"


def test_runs_panel_shows_status(qtbot, tmp_path: Path) -> None:
    folder = make_dlq_pipeline(tmp_path, "sqlite", n_good=5, n_bad_age=3, n_negative=0)
    history = RunHistory(tmp_path)
    entry = RunEntry.from_result(run_pipeline(folder), folder=folder, started_at=datetime.now(UTC))
    assert entry.status == "completed_with_dead_letters"
    history.append(entry)
    legacy = RunEntry.from_result({"success": True, "dead_lettered": 2, "run_id": "old"},
                                  folder=folder, started_at=datetime.now(UTC))
    legacy.status = ""  # an entry written before status was recorded
    history.append(legacy)
    history.append(RunEntry.from_result({"success": False, "status": "failed", "error": "boom"},
                                        folder=folder, started_at=datetime.now(UTC)))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT):
        panel.set_workspace(tmp_path)
    shown = [panel.tree.topLevelItem(i).text(3) for i in range(3)]
    assert shown == ["failed", "completed with 2 dead letters", "completed with 3 dead letters"]
    with qtbot.waitSignal(panel.run_selected, timeout=WAIT):
        panel.select_run(2)
    assert "completed with 3 dead letters" in panel.summary_label.text()
