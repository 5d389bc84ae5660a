"""Run panel driven as a user: dry run counts, nothing written, cancel, confirm, history."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.run_history import RunHistory
from pycharter_gui.designer.trust import workspace_trust
from pycharter_gui.designer.views.run_panel import RunPanel

from .preview_support import SlowExtractor, copy_example, make_slow_pipeline, snapshot


@pytest.fixture
def panel(qtbot) -> RunPanel:
    widget = RunPanel()
    qtbot.addWidget(widget)
    widget.resize(900, 500)
    widget.show()
    yield widget
    if widget.is_running():
        with qtbot.waitSignal(widget._handle.finished, timeout=5000):
            widget.cancel()


def test_dry_run_counts_and_writes_nothing(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    before = snapshot(folder)
    panel.set_pipeline(folder)
    with qtbot.waitSignal(panel.run_finished, timeout=30000) as done:
        qtbot.mouseClick(panel.dry_run_button, Qt.MouseButton.LeftButton)
    result = done.args[0]
    assert result["success"] and result["dry_run"]
    assert result["extraction"]["total_records"] == 60
    assert result["loading"]["total_records"] == 42
    assert result["dlq_by_reason"] == {"validation_error": 2, "transformation_error": 1}
    text = panel.summary_label.text()
    assert "extracted 60" in text and "would load 42" in text and "validation_error: 2" in text
    assert panel.dead_letters_button.isVisible()
    assert snapshot(folder) == before  # byte for byte: no target, no DLQ file, no checkpoint
    with qtbot.waitSignal(panel.dead_letters_requested, timeout=1000) as dl:
        qtbot.mouseClick(panel.dead_letters_button, Qt.MouseButton.LeftButton)
    assert dl.args == [result["run_id"]]
    entries = RunHistory(folder.parent).entries()
    assert entries[0].outcome == "success" and entries[0].counts["dead_lettered"] == 3
    assert entries[0].dry_run and any("Dry run" in line for line in entries[0].log)


def test_run_history_records_the_run_parameters(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    panel.set_pipeline(folder)
    panel.set_params({"region": "eu"})
    with qtbot.waitSignal(panel.run_finished, timeout=30000):
        qtbot.mouseClick(panel.dry_run_button, Qt.MouseButton.LeftButton)
    assert RunHistory(folder.parent).entries()[0].params == {"region": "eu"}


def test_cancel_mid_dry_run(qtbot, panel, tmp_path):
    folder = make_slow_pipeline(tmp_path, delay=0.02, batch_size=5)
    panel.set_pipeline(folder)
    with qtbot.waitSignal(panel.run_started, timeout=5000):
        panel.start_run(dry_run=True)
    qtbot.waitUntil(lambda: SlowExtractor.produced >= 5, timeout=10000)
    assert panel.cancel_button.isEnabled()
    with qtbot.waitSignal(panel.run_cancelled, timeout=5000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert SlowExtractor.closed.wait(1.0), "the source kept running after Cancel"
    qtbot.waitUntil(lambda: panel.dry_run_button.isEnabled(), timeout=2000)
    assert not (folder / "output").exists()
    assert RunHistory(folder.parent).entries()[0].outcome == "cancelled"
    assert "Cancelled" in panel.progress_label.text()


def test_real_run_asks_naming_the_target_and_can_be_declined(qtbot, panel, tmp_path):
    folder = make_slow_pipeline(tmp_path, delay=0.0, total=30, batch_size=10)
    panel.set_pipeline(folder)
    asked: list[str] = []
    panel.confirm_run = lambda target: asked.append(target) or False
    assert panel.start_run(dry_run=False)  # the orchestrator is built on a worker, then it asks
    qtbot.waitUntil(lambda: bool(asked) and not panel.is_running(), timeout=10000)
    assert "out.jsonl" in asked[0] and panel._handle is None
    assert not (folder / "output").exists()
    panel.confirm_run = lambda target: True
    with qtbot.waitSignal(panel.run_finished, timeout=10000) as done:
        qtbot.mouseClick(panel.run_button, Qt.MouseButton.LeftButton)
    assert done.args[0]["loading"]["total_records"] == 30
    lines = (folder / "output" / "out.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 30 and '"label"' in lines[0]


def test_config_error_goes_to_the_message_bar(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    panel.set_pipeline(folder, {"load": "type: file\npath: out.csv\nformat: xls\n"})
    with qtbot.waitSignal(panel.run_failed, timeout=5000) as failed:
        panel.start_run(dry_run=True)
    assert "load" in failed.args[0] and panel.message_bar.isVisible()


def test_untrusted_dry_run_skips_custom_function_and_says_so(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "sales_custom_to_parquet")
    panel.set_pipeline(folder)
    with qtbot.waitSignal(panel.run_finished, timeout=30000) as done:
        panel.start_run(dry_run=True)
    assert done.args[0]["skipped_custom_function"] == "margins.add_margin"
    assert "not trusted" in panel.message_bar.text()
    assert "skipped" in panel.summary_label.text()
    assert "margins.add_margin" in panel.log_view.toPlainText()
    workspace_trust().set_trusted(folder.parent)
    with qtbot.waitSignal(panel.run_finished, timeout=30000) as done:
        panel.start_run(dry_run=True)
    assert done.args[0]["skipped_custom_function"] is None
    # trusted, the custom function runs and rejects its one bad record
    assert done.args[0]["dlq_by_reason"] == {"transformation_error": 1}


def test_screenshot_run_panel(qtbot, panel, tmp_path):
    panel.set_pipeline(copy_example(tmp_path, "orders_to_sqlite"))
    with qtbot.waitSignal(panel.run_finished, timeout=30000):
        panel.start_run(dry_run=True)
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    out.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(out / "run_panel.png"))
