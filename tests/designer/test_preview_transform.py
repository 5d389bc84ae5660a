"""Transform preview and JSONata console driven as a user, on cached samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.models.records_table_model import MarkRole
from pycharter_gui.designer.pipeline_tasks import compute_transform_preview, normalized_transform
from pycharter_gui.designer.trust import workspace_trust
from pycharter_gui.designer.views.jsonata_console import JsonataConsole
from pycharter_gui.designer.views.preview_panel import PreviewPanel
from pycharter_gui.designer.views.transform_preview_panel import TransformPreviewPanel

from .preview_support import copy_example

SAMPLE = [{"name": "Ann", "age": "41", "city": "Oslo"}, {"name": "Bob", "age": "n/a", "city": "Rome"},
          {"name": "Cy", "age": "7", "city": None}]


@pytest.fixture
def tpanel(qtbot) -> TransformPreviewPanel:
    widget = TransformPreviewPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 500)
    widget.show()
    return widget


def _pipeline(tmp_path: Path, transform: str) -> Path:
    folder = tmp_path / "ws" / "people"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "people.csv").write_text("name,age\nAnn,41\n", encoding="utf-8")
    (folder / "extract.yaml").write_text("type: file\npath: data/people.csv\n", encoding="utf-8")
    (folder / "transform.yaml").write_text(transform, encoding="utf-8")
    (folder / "load.yaml").write_text("type: file\npath: out/people.jsonl\nformat: jsonl\n", encoding="utf-8")
    return folder


def test_edit_a_rename_and_the_after_table_updates(qtbot, tpanel, tmp_path):
    tpanel.set_pipeline(_pipeline(tmp_path, "transform:\n  rename:\n    name: full_name\n"))
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000):
        tpanel.set_sample(SAMPLE)
    assert "full_name" in tpanel.after_model.columns()
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000) as updated:
        tpanel.set_transform("transform:\n  rename:\n    name: person\n")
    preview = updated.args[0]
    assert preview.renamed == {"name": "person"}
    assert tpanel.after_model.columns()[0] == "person"
    assert "full_name" not in tpanel.after_model.columns()
    header = tpanel.after_model.headerData(0, Qt.Orientation.Horizontal, MarkRole)
    assert header[0] == "renamed" and "name" in header[1]
    before_mark = tpanel.before_model.headerData(0, Qt.Orientation.Horizontal, MarkRole)
    assert before_mark == ("renamed", "renamed to person")


def test_debounce_collapses_quick_edits_into_one_run(qtbot, tpanel, tmp_path):
    tpanel.set_pipeline(_pipeline(tmp_path, "{}\n"))
    tpanel.set_sample(SAMPLE)
    results = []
    tpanel.preview_updated.connect(results.append)
    for name in ("a", "ab", "abc", "abcd"):
        tpanel.set_transform(f"transform:\n  rename:\n    name: {name}\n")
    qtbot.waitUntil(lambda: bool(results) and not tpanel.is_running(), timeout=5000)
    assert len(results) == 1 and results[0].renamed == {"name": "abcd"}


def test_rejected_record_appears_with_step_and_reason(qtbot, tpanel, tmp_path):
    tpanel.set_pipeline(_pipeline(tmp_path, "transform:\n  convert:\n    age: int\nstrict: true\n"))
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000):
        tpanel.set_sample(SAMPLE)
    assert tpanel.tabs.tabText(1) == "Rejected (1)"
    rows = tpanel.rejected_model.records()
    assert rows[0]["row"] == 2 and rows[0]["step"] == "convert"
    assert rows[0]["reason"] == "transformation_error" and "n/a" in rows[0]["message"]
    assert rows[0]["record"]["name"] == "Bob"
    # "41" -> 41 keeps its value: a type badge, not a changed cell; the column is converted
    col = tpanel.after_model.columns().index("age")
    cell = tpanel.after_model.index(0, col)
    assert tpanel.after_model.data(cell, MarkRole) is None
    assert tpanel.after_model.data(cell, Qt.ItemDataRole.DecorationRole) is not None
    assert "str → int" in tpanel.after_model.data(cell, Qt.ItemDataRole.ToolTipRole)
    assert tpanel.after_model.headerData(col, Qt.Orientation.Horizontal, MarkRole)[0] == "converted"


def test_non_strict_convert_marks_a_warning_cell(tmp_path):
    cfg = normalized_transform("transform:\n  convert:\n    age: int\n", tmp_path)
    preview = compute_transform_preview(SAMPLE, cfg)
    assert not preview.rejected and preview.warnings
    assert (1, "age") in preview.warning_cells


def test_bad_transform_yaml_shows_located_message(qtbot, tpanel, tmp_path):
    tpanel.set_pipeline(_pipeline(tmp_path, "{}\n"))
    tpanel.set_sample(SAMPLE)
    with qtbot.waitSignal(tpanel.preview_failed, timeout=5000) as failed:
        tpanel.set_transform("transform:\n  renam:\n    name: x\n")
    assert "renam" in failed.args[0] and tpanel.message_bar.isVisible()


def test_untrusted_workspace_skips_custom_function_and_says_why(qtbot, tpanel, tmp_path):
    folder = copy_example(tmp_path, "sales_custom_to_parquet")
    tpanel.set_pipeline(folder)
    sample = [{"region": "n", "rep": "kim", "month": "2026-01", "revenue": "100", "cost": "40"}]
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000) as updated:
        tpanel.set_sample(sample)
    assert updated.args[0].skipped_custom == "margins.add_margin"
    assert "margin" not in tpanel.after_model.columns()
    assert "not trusted" in tpanel.message_bar.text()
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000) as updated:
        workspace_trust().set_trusted(folder.parent)
    assert updated.args[0].skipped_custom is None
    assert "margin" in tpanel.after_model.columns()
    assert not tpanel.message_bar.isVisible()
    assert workspace_trust().is_trusted(folder.parent)


def test_an_earlier_no_can_be_changed_from_the_message_bar(qtbot, tpanel, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    folder = copy_example(tmp_path, "sales_custom_to_parquet")
    workspace_trust().set_trusted(folder.parent, False)  # answered "No" once
    tpanel.set_pipeline(folder)
    sample = [{"region": "n", "rep": "kim", "month": "2026-01", "revenue": "100", "cost": "40"}]
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000):
        tpanel.set_sample(sample)
    assert tpanel.message_bar.action_button.isVisible()
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(tpanel.preview_updated, timeout=5000) as updated:
        qtbot.mouseClick(tpanel.message_bar.action_button, Qt.MouseButton.LeftButton)
    assert asked, "the question was not asked again"
    assert updated.args[0].skipped_custom is None and workspace_trust().is_trusted(folder.parent)


def test_preview_panel_sample_feeds_transform_preview(qtbot, tpanel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    source = PreviewPanel()
    qtbot.addWidget(source)
    source.sample_changed.connect(tpanel.set_sample)
    source.set_pipeline(folder)
    tpanel.set_pipeline(folder)
    with qtbot.waitSignal(tpanel.preview_updated, timeout=10000) as updated:
        source.start_preview()
    preview = updated.args[0]
    assert len(preview.before) == 60 and preview.filtered > 0
    assert tpanel.after_model.columns()[:2] == ["order_id", "customer"]  # source order kept
    assert {"loaded_at", "customer_key"} <= set(preview.added)
    assert any(r.step == "convert" for r in preview.rejected)
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    out.mkdir(parents=True, exist_ok=True)
    assert tpanel.grab().save(str(out / "transform_preview_panel.png"))


def test_jsonata_console_live_output_and_error_position(qtbot, tmp_path):
    console = JsonataConsole()
    qtbot.addWidget(console)
    console.show()
    console.set_sample(SAMPLE)
    with qtbot.waitSignal(console.evaluated, timeout=5000) as done:
        qtbot.keyClicks(console.editor, "$count($)")
    assert done.args[0].output == 3 and console.output.toPlainText().strip() == "3"
    console.editor.clear()
    with qtbot.waitSignal(console.evaluated, timeout=5000) as done:
        qtbot.keyClicks(console.editor, "$sum(age")
    outcome = done.args[0]
    assert outcome.error and outcome.position is not None
    assert "column" in console.error_label.text()
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    assert console.grab().save(str(out / "jsonata_console.png"))
