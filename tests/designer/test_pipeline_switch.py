"""Switching pipelines A → B → A: every data panel shows the selected pipeline's own state.

Before/after, the JSONata console, the Run panel and the Runs panel keep their state per
pipeline and restore it on return, or say plainly that the pipeline has none yet.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pycharter_gui.designer.main_window import MainWindow


def _pipeline(root: Path, name: str, header: str, rows: str, rename: str) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text(f"{header}\n{rows}", encoding="utf-8")
    (folder / "extract.yaml").write_text("type: file\npath: data.csv\n", encoding="utf-8")
    (folder / "transform.yaml").write_text(f"transform:\n  rename:\n    {rename}\n", encoding="utf-8")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n", encoding="utf-8")


@pytest.fixture
def window(qtbot, tmp_path: Path):
    ws = tmp_path / "ws"
    _pipeline(ws, "alpha", "id,name", "1,Ann\n2,Bob\n", "name: full_name")
    _pipeline(ws, "beta", "code,city", "x,Oslo\ny,Rome\nz,Nice\n", "city: town")
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    select(qtbot, win, "alpha")
    yield win
    win.close()


def select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name)


def preview(qtbot, win: MainWindow) -> None:
    tp = win.data_docks.transform_preview
    with qtbot.waitSignal(tp.preview_updated, timeout=15000):
        win.actions_by_name["preview"].trigger()


def test_before_after_uses_each_pipelines_own_sample(qtbot, window: MainWindow):
    tp = window.data_docks.transform_preview
    preview(qtbot, window)
    assert tp.after_model.columns() == ["id", "full_name"]
    select(qtbot, window, "beta")
    assert tp.before_model.rowCount() == 0 and tp.after_model.rowCount() == 0
    assert "No sample of beta yet" in tp.status_label.text()
    qtbot.wait(400)  # the debounced re-run must not apply beta's transform to alpha's sample
    assert tp.after_model.rowCount() == 0 and tp.last_preview is None
    preview(qtbot, window)
    assert tp.after_model.columns() == ["code", "town"] and tp.after_model.rowCount() == 3
    select(qtbot, window, "alpha")
    assert tp.after_model.columns() == ["id", "full_name"]  # alpha's own, at once
    assert [r["name"] for r in tp.before_model.records()] == ["Ann", "Bob"]


def test_a_preview_in_flight_never_feeds_the_next_pipeline(qtbot, window: MainWindow):
    docks = window.data_docks
    window.actions_by_name["preview"].trigger()
    select(qtbot, window, "beta")  # alpha's preview is still on its way
    qtbot.wait(1000)
    assert docks.transform_preview.before_model.rowCount() == 0
    assert "No sample of beta yet" in docks.transform_preview.status_label.text()
    assert docks.jsonata._sample == []


def test_jsonata_console_keeps_each_pipelines_expression_and_sample(qtbot, window: MainWindow):
    console = window.data_docks.jsonata
    preview(qtbot, window)
    with qtbot.waitSignal(console.evaluated, timeout=5000) as done:
        console.editor.setPlainText("$count($)")
    assert done.args[0].output == 2
    select(qtbot, window, "beta")
    assert console.expression() == "" and console.output.toPlainText() == ""
    assert "No sample of beta yet" in console.status_label.text()
    with qtbot.waitSignal(console.evaluated, timeout=5000):
        console.editor.setPlainText("$count($) + 100")
    assert "No sample of beta" in console.status_label.text()  # checked, not run on alpha's rows
    with qtbot.waitSignal(console.evaluated, timeout=5000) as done:
        select(qtbot, window, "alpha")
    assert console.expression() == "$count($)" and done.args[0].output == 2
    with qtbot.waitSignal(console.evaluated, timeout=5000) as done:
        select(qtbot, window, "beta")
    assert console.expression() == "$count($) + 100"


def test_run_and_runs_panels_show_the_selected_pipelines_runs(qtbot, window: MainWindow):
    docks = window.data_docks
    run, runs = docks.run_panel, docks.runs
    finished = qtbot.waitSignal(run.run_finished, timeout=15000)
    with qtbot.waitSignal(runs.refreshed, timeout=15000), finished:
        window.actions_by_name["dry_run"].trigger()
    summary = run.summary_label.text()
    assert "extracted 2" in summary and "Dry run of alpha" in run.log_view.toPlainText()
    assert [e.pipeline for e in runs.entries()] == ["alpha"]
    with qtbot.waitSignal(runs.refreshed, timeout=5000):
        select(qtbot, window, "beta")
    assert run.summary_label.text() == "" and run.log_view.toPlainText() == ""
    assert run.progress_label.text() == "No run of beta yet." and run.last_result is None
    assert runs.entries() == [] and runs.summary_label.text() == "No runs of beta yet."
    with qtbot.waitSignal(runs.refreshed, timeout=5000):
        select(qtbot, window, "alpha")
    assert run.summary_label.text() == summary and "Dry run of alpha" in run.log_view.toPlainText()
    assert run.last_result is not None and len(runs.entries()) == 1


def test_a_run_finishing_while_another_pipeline_is_shown_stays_with_its_pipeline(
        qtbot, window: MainWindow):
    run = window.data_docks.run_panel
    with qtbot.waitSignal(run.run_finished, timeout=15000):
        window.actions_by_name["dry_run"].trigger()
        qtbot.waitUntil(lambda: run._handle is not None, timeout=10000)
        select(qtbot, window, "beta")
    assert run.log_view.toPlainText() == "" and "Finished" not in run.progress_label.text()
    assert run.summary_label.text() == "" and run.dry_run_button.isEnabled()
    select(qtbot, window, "alpha")
    assert "Finished: completed" in run.log_view.toPlainText()
    assert "extracted 2" in run.summary_label.text()
