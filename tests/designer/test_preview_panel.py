"""Source preview panel driven as a user: examples, load more, cancel, errors, detail pane."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from pycharter_gui.designer.models.records_table_model import (
    FullJsonRole,
    MarkRole,
    RecordRole,
    RecordsTableModel,
)
from pycharter_gui.designer.views.preview_panel import PreviewPanel

from .preview_support import SlowExtractor, copy_example, make_slow_pipeline


@pytest.fixture
def panel(qtbot) -> PreviewPanel:
    widget = PreviewPanel()
    qtbot.addWidget(widget)
    widget.resize(1000, 500)
    widget.show()
    yield widget
    if widget.is_running():
        with qtbot.waitSignal(widget._handle.finished, timeout=5000):
            widget.cancel()


@pytest.mark.parametrize("name, first_col", [
    ("orders_to_sqlite", "OrderID"), ("customers_json_to_jsonl", "id"), ("sales_custom_to_parquet", "region"),
])
def test_preview_example_shows_first_rows_with_types(qtbot, panel, tmp_path, name, first_col):
    panel.set_pipeline(copy_example(tmp_path, name))
    panel.n_spin.setValue(10)
    with qtbot.waitSignal(panel.preview_finished, timeout=10000) as done:
        qtbot.mouseClick(panel.preview_button, Qt.MouseButton.LeftButton)
    assert done.args == [10]
    model = panel.model
    assert model.rowCount() == 10
    assert model.columns()[0] == first_col
    header = model.headerData(0, Qt.Orientation.Horizontal)
    assert header.startswith(first_col) and "\n" in header
    assert "first row in" in panel.status_label.text()
    assert not panel.message_bar.isVisible()


def test_load_more_appends_from_the_same_stream(qtbot, panel, tmp_path):
    panel.set_pipeline(copy_example(tmp_path, "orders_to_sqlite"))
    panel.n_spin.setValue(20)
    with qtbot.waitSignal(panel.preview_finished, timeout=10000):
        panel.start_preview()
    first_ids = [r["OrderID"] for r in panel.sample()]
    assert panel.more_button.isEnabled()
    with qtbot.waitSignal(panel.preview_finished, timeout=10000) as more:
        qtbot.mouseClick(panel.more_button, Qt.MouseButton.LeftButton)
    assert more.args == [40]
    ids = [r["OrderID"] for r in panel.sample()]
    assert ids[:20] == first_ids and len(set(ids)) == 40  # continued, not restarted
    assert panel.model.rowCount() == 40


def test_source_preview_marks_contract_mismatches(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    # Source columns that match the contract's names are judged against it.
    (folder / "data" / "orders.csv").write_text(
        "order_id,customer,status\n1,Ann,paid\n2,Bob,lost\n", encoding="utf-8")
    (folder / "transform.yaml").write_text("{}\n", encoding="utf-8")
    panel.set_pipeline(folder)
    with qtbot.waitSignal(panel.preview_finished, timeout=10000):
        panel.start_preview()
    col = panel.model.columns().index("status")
    mark = panel.model.data(panel.model.index(1, col), MarkRole)
    assert mark[0] == "mismatch" and "paid" in mark[1]
    assert panel.model.data(panel.model.index(0, col), MarkRole) is None


def test_cancel_slow_source_stops_it_at_once(qtbot, panel, tmp_path):
    panel.set_pipeline(make_slow_pipeline(tmp_path, delay=0.05, batch_size=5))
    panel.n_spin.setValue(100_000)
    with qtbot.waitSignal(panel.preview_started, timeout=5000):
        panel.start_preview()
    qtbot.waitUntil(lambda: panel.model.total_rows() >= 10, timeout=10000)
    assert panel.cancel_button.isVisible()
    with qtbot.waitSignal(panel.preview_cancelled, timeout=5000):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert SlowExtractor.closed.wait(2), "the source generator was not closed"
    produced = SlowExtractor.produced
    rows = panel.model.total_rows()
    # The generator is closed, so nothing more can be produced; and nothing more is shown.
    with qtbot.waitSignal(panel._handle.finished, timeout=2000, raising=False):
        pass
    assert SlowExtractor.produced == produced
    assert panel.model.total_rows() == rows <= produced * 5
    assert not panel.more_button.isEnabled()
    assert "Cancelled" in panel.status_label.text()


def test_config_error_shows_in_message_bar_not_a_dialog(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    panel.set_pipeline(folder, {"extract": "type: file\npath: data/orders.csv\nformta: csv\n"})
    with qtbot.waitSignal(panel.preview_failed, timeout=10000) as failed:
        panel.start_preview()
    assert "formta" in failed.args[0]
    assert panel.message_bar.isVisible() and "formta" in panel.message_bar.text()


def test_unsaved_yaml_texts_are_used(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    (folder / "data" / "other.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    panel.set_pipeline(folder, {"extract": "type: file\npath: data/other.csv\n"})
    with qtbot.waitSignal(panel.preview_finished, timeout=10000):
        panel.start_preview()
    assert panel.model.columns() == ["a", "b"]


def test_missing_file_is_a_message(qtbot, panel, tmp_path):
    folder = copy_example(tmp_path, "orders_to_sqlite")
    (folder / "data" / "orders.csv").unlink()
    panel.set_pipeline(folder)
    with qtbot.waitSignal(panel.preview_failed, timeout=10000) as failed:
        panel.start_preview()
    assert "orders.csv" in failed.args[0]


def test_nested_values_are_compact_and_detail_pane_pretty(qtbot, panel, tmp_path):
    panel.set_pipeline(copy_example(tmp_path, "customers_json_to_jsonl"))
    with qtbot.waitSignal(panel.preview_finished, timeout=10000):
        panel.start_preview()
    model = panel.model
    col = model.columns().index("profile")
    index = model.index(0, col)
    assert model.data(index, FullJsonRole).startswith("{\n")
    assert isinstance(model.data(index, RecordRole)["profile"], dict)
    panel.table.setCurrentIndex(index)
    assert json.loads(panel.detail.toPlainText()) == model.data(index, RecordRole)["profile"]
    qtbot.mouseClick(panel.detail_record_check, Qt.MouseButton.LeftButton)
    assert json.loads(panel.detail.toPlainText())["id"] == model.data(index, RecordRole)["id"]


def test_column_summary_popup(qtbot, panel, tmp_path):
    panel.set_pipeline(copy_example(tmp_path, "orders_to_sqlite"))
    with qtbot.waitSignal(panel.preview_finished, timeout=10000):
        panel.start_preview()
    section = panel.model.columns().index("Qty")
    qtbot.mouseClick(panel.table.horizontalHeader().viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(panel.table.horizontalHeader().sectionViewportPosition(section) + 5, 5))
    qtbot.waitUntil(panel.summary_popup.isVisible, timeout=5000)  # summarised off the GUI thread
    text = panel.summary_popup.label.text()
    assert "Nulls" in text and "Distinct" in text and panel.summary_popup.chart().plotted()  # drawn
    panel.summary_popup.hide()


def test_records_model_is_lazy_and_valid(qtmodeltester):
    model = RecordsTableModel()
    model.set_records([{"i": i, "nested": {"a": [i]}} for i in range(1200)])
    assert model.rowCount() == 500 and model.canFetchMore(model.index(-1, -1))
    model.fetchMore(model.index(-1, -1))
    assert model.rowCount() == 1000
    qtmodeltester.check(model)
    assert model.column_type("i") == "int" and model.column_type("nested") == "object"


def test_screenshot_preview_panel(qtbot, panel, tmp_path):
    panel.set_pipeline(copy_example(tmp_path, "orders_to_sqlite"))
    with qtbot.waitSignal(panel.preview_finished, timeout=10000):
        panel.start_preview()
    panel.table.setCurrentIndex(panel.model.index(2, 1))
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    out.mkdir(parents=True, exist_ok=True)
    assert panel.grab().save(str(out / "preview_panel.png"))
