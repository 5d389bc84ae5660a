"""Per-step before/after and the JSONata console on a pipeline with a filter and a rename before
JSONata (issue 17, "A before/after you can trust")."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.models.records_table_model import MarkRole
from pycharter_gui.designer.views.jsonata_console import JsonataConsole
from pycharter_gui.designer.views.transform_preview_panel import TransformPreviewPanel
from pycharter_gui.etl_generator import create_orchestrator

CSV = """order_id,qty,price,status
1,2,5,paid
2,x,7,paid
3,1,4,void
4,900,1,paid
5,3,2.5,paid
"""
TRANSFORM = """transform:
  rename:
    qty: quantity
  convert:
    quantity: int
    price: float
  add:
    amount: ${quantity} * ${price}
  filter:
    field: status
    operator: eq
    value: paid
strict: true
jsonata:
  expression: '$merge([$, {"total": amount + 1}])'
  mode: record
"""
SCHEMA = """type: object
properties:
  quantity:
    type: integer
    maximum: 100
"""
# the sample as the CSV reader types it (numbers typed, text kept)
SAMPLE = [{"order_id": 1, "qty": "2", "price": 5, "status": "paid"},
          {"order_id": 2, "qty": "x", "price": 7, "status": "paid"},
          {"order_id": 3, "qty": "1", "price": 4, "status": "void"},
          {"order_id": 4, "qty": "900", "price": 1, "status": "paid"},
          {"order_id": 5, "qty": "3", "price": 2.5, "status": "paid"}]


def _pipeline(tmp_path: Path) -> Path:
    folder = tmp_path / "ws" / "orders"
    folder.mkdir(parents=True)
    (folder / "orders.csv").write_text(CSV, encoding="utf-8")
    (folder / "extract.yaml").write_text("type: file\npath: orders.csv\n", encoding="utf-8")
    (folder / "transform.yaml").write_text(TRANSFORM, encoding="utf-8")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n", encoding="utf-8")
    (folder / "schema.yaml").write_text(SCHEMA, encoding="utf-8")
    return folder


def _shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def panel(qtbot, tmp_path):
    widget = TransformPreviewPanel()
    qtbot.addWidget(widget)
    widget.resize(1300, 520)
    widget.show()
    widget.set_pipeline(_pipeline(tmp_path))
    with qtbot.waitSignal(widget.preview_updated, timeout=10000):
        widget.set_sample(SAMPLE)
    return widget


def _cell(model, line: int, column: str):
    return model.index(line, model.columns().index(column))


def test_step_strip_counts_and_each_steps_input_beside_its_output(panel):
    strip = [panel.step_bar.tabText(i) for i in range(panel.step_bar.count())]
    assert strip == ["All steps  5 → 2", "1 · rename  5 → 5", "2 · convert  5 → 4",
                     "3 · add  4 → 4", "4 · filter  4 → 3", "5 · jsonata  3 → 3",
                     "6 · contract  3 → 2"]
    panel.step_bar.setCurrentIndex(4)  # the filter
    assert "Into 4 · filter" in panel.before_title.text()
    assert panel.before_model.total_rows() == panel.after_model.total_rows() == 4
    labels = [panel.after_model.headerData(i, Qt.Orientation.Vertical) for i in range(4)]
    assert labels == ["1", "3", "4", "5"]  # sample rows, the same on both sides
    assert panel.after_model.row_mark(1) == ("dropped", "filtered out by 4 · filter")
    assert panel.after_model.data(panel.after_model.index(1, 0)) == "filtered out by 4 · filter"
    assert panel.after_model.records()[2]["order_id"] == 4 == panel.before_model.records()[2]["order_id"]
    assert "4 in → 3 out · 0 rejected · 1 filtered" in panel.status_label.text()


def test_rows_stay_aligned_and_a_rejected_row_says_step_reason_and_field(qtbot, panel, tmp_path):
    assert panel.step_bar.currentIndex() == 0
    after, before = panel.after_model, panel.before_model
    assert [r.get("order_id") for r in after.records()] == [1, None, None, None, 5]
    assert [r["order_id"] for r in before.records()] == [1, 2, 3, 4, 5]
    assert after.row_mark(1)[0] == "mismatch" and "2 · convert" in after.row_mark(1)[1]
    assert after.row_mark(2) == ("dropped", "filtered out by 4 · filter")
    assert "6 · contract" in after.row_mark(3)[1]
    assert before.data(_cell(before, 1, "qty"), MarkRole)[0] == "mismatch"  # the field it broke
    panel.after_table.selectRow(3)
    assert panel.before_table.currentIndex().row() == 3
    text = panel.detail.toPlainText()
    assert "Sample row 4: rejected by 6 · contract" in text
    assert "reason: validation_error" in text and "field: quantity" in text
    assert "maximum of 100" in text
    panel.resize(1400, 430)
    assert panel.grab().save(str(_shots(tmp_path) / "before-after-steps.png"))


def test_only_changed_values_are_marked_and_type_changes_get_a_badge(panel):
    panel.step_bar.setCurrentIndex(2)  # convert: "2" -> 2 and 5 -> 5.0 keep their values
    view = panel.last_preview.steps[1]
    assert not view.changed_cells
    assert set(view.retyped_cells) == {(0, "quantity"), (0, "price"), (2, "quantity"),
                                       (2, "price"), (3, "quantity"), (3, "price"),
                                       (4, "quantity")}  # 2.5 was a float already
    after = panel.after_model
    cell = _cell(after, 0, "price")
    assert after.data(cell, MarkRole) is None
    assert after.data(cell, Qt.ItemDataRole.DecorationRole) is not None
    assert "int → float; the value is unchanged" in after.data(cell, Qt.ItemDataRole.ToolTipRole)
    panel.step_bar.setCurrentIndex(5)  # jsonata adds total, changes nothing else
    assert panel.last_preview.steps[4].added == ["total"]
    assert not panel.last_preview.steps[4].changed_cells


def test_counts_equal_a_dry_run_of_the_same_sample(panel, tmp_path):
    folder = tmp_path / "ws" / "orders"
    result = asyncio.run(create_orchestrator(str(folder)).run(dry_run=True))
    preview = panel.last_preview
    assert result["dead_lettered"] == len(preview.rejected) == 2  # a convert and a contract break
    assert result["transformation"]["filtered"] == preview.filtered == 1
    assert result["loading"]["total_records"] == len(preview.records) == 2
    assert panel.tabs.tabText(1) == "Rejected (2)"
    assert "5 in → 2 out · 2 rejected · 1 filtered" in panel.status_label.text()


@pytest.fixture
def console(qtbot, tmp_path):
    widget = JsonataConsole()
    qtbot.addWidget(widget)
    widget.resize(900, 420)
    widget.show()
    widget.set_pipeline(_pipeline(tmp_path))
    widget.set_transform(TRANSFORM)
    widget.set_sample(SAMPLE)
    return widget


def _evaluate(qtbot, console: JsonataConsole, text: str):
    with qtbot.waitSignal(console.evaluated, timeout=10000) as done:
        console.editor.setPlainText(text)
    return done.args[0]


def test_console_sees_the_records_after_the_simple_ops(qtbot, console):
    outcome = _evaluate(qtbot, console, "amount")
    assert outcome.output == [10.0, 900.0, 7.5]  # renamed, converted, filtered, strict-rejected
    assert "after the simple ops" in console.status_label.text()
    assert "Evaluated on 3 records" in console.status_label.text()
    assert _evaluate(qtbot, console, "$sum(quantity)").output == 905


def test_console_completes_field_names_and_functions(qtbot, console):
    qtbot.waitUntil(lambda: bool(console.input_records), timeout=10000)  # fields known
    console.editor.setFocus()
    qtbot.keyClicks(console.editor, "quan")
    completer = console.editor.completer
    assert completer.completionCount() == 1 and completer.currentCompletion() == "quantity"
    qtbot.keyClick(completer.popup(), Qt.Key.Key_Return)
    assert console.expression() == "quantity"
    console.editor.clear()
    qtbot.keyClicks(console.editor, "$su")
    words = [completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())]
    assert "$sum" in words and "$substring" in words


def test_console_errors_are_words_with_the_place_marked(qtbot, console, tmp_path):
    console.set_transform("{}\n")  # the raw sample: amount does not exist, qty is text
    outcome = _evaluate(qtbot, console, "$sum(qty)")
    assert outcome.error.startswith("$sum needs numbers, but argument 1 holds something else")
    assert "Object" not in outcome.error and "position -1" not in outcome.error
    outcome = _evaluate(qtbot, console, "$number(qty[1])")
    assert outcome.error.startswith("'x' is not a number")
    outcome = _evaluate(qtbot, console, "qty[0] * 2")
    assert outcome.position == 7 and "left side of * is not a number" in outcome.error
    [mark] = console.editor.extraSelections()
    assert mark.cursor.selectedText() == "*"
    assert "column 8, marked" in console.error_label.text()
    assert console.grab().save(str(_shots(tmp_path) / "jsonata-console.png"))
