"""Pieces of the dead-letter panel: detail pane, JSON editor, filter bar."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, Qt, QTimeZone
from PySide6.QtWidgets import QDialogButtonBox

from pycharter_gui.designer.views.dlq_detail import DeadLetterDetailView
from pycharter_gui.designer.views.dlq_filters import DeadLetterFilterBar
from pycharter_gui.designer.views.json_editor import JsonEditDialog, json_html
from pycharter_gui.etl_generator import DeadLetterRecord


def test_detail_shows_traceback_and_nested_failing_field(qtbot) -> None:
    view = DeadLetterDetailView()
    qtbot.addWidget(view)
    view.show()
    rec = DeadLetterRecord("p", {"id": 1, "address": {"city": 5, "zip": "x"}}, "transformation_error",
                           "city must be text", "TypeError", "transform",
                           {"field": "address.city", "traceback": "Traceback...\n  File \"fix.py\", line 3"})
    view.show_record(rec)
    assert view.traceback.isVisible() and "fix.py" in view.traceback.toPlainText()
    assert "city must be text" in view.message.toPlainText()
    html = json_html(rec.record_data, highlight="address.city")
    marked = [line for line in html.split("<br>") if "#ffe58f" in line]
    assert len(marked) == 1 and "city" in marked[0] and "zip" not in marked[0]
    view.show_record(DeadLetterRecord("p", {"a": 1}, "load_error", "x", "E", "load"))
    assert not view.traceback.isVisible()


def test_json_editor_validates_as_you_type(qtbot) -> None:
    dialog = JsonEditDialog("abc", {"id": 1, "age": "x"}, field="age")
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled() and dialog.editor.textCursor().selectedText() == '"age"'
    dialog.editor.selectAll()
    qtbot.keyClicks(dialog.editor, '[1, 2]')
    assert not ok.isEnabled() and "JSON object" in dialog.status.text()
    dialog.editor.selectAll()
    qtbot.keyClicks(dialog.editor, '{"id": 1, "age": 4')
    assert not ok.isEnabled() and "Line 1" in dialog.status.text()
    qtbot.keyClicks(dialog.editor, "}")
    assert ok.isEnabled()
    with qtbot.waitSignal(dialog.record_edited) as blocker:
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert blocker.args == ["abc", {"id": 1, "age": 4}]


def test_filter_bar_builds_backend_filters(qtbot) -> None:
    bar = DeadLetterFilterBar()
    qtbot.addWidget(bar)
    flt = bar.filters()
    assert flt.status == ["pending", "retrying", "ignored"] and flt.reason is None
    with qtbot.waitSignal(bar.filters_changed):
        bar.stage.setCurrentText("load")
    with qtbot.waitSignal(bar.filters_changed):
        bar.use_from.click()
    bar.time_from.setDateTime(QDateTime.fromString("2024-05-01T10:00:00Z", Qt.DateFormat.ISODate)
                              .toTimeZone(QTimeZone.utc()))
    with qtbot.waitSignal(bar.filters_changed):  # typing waits for a pause, then searches
        qtbot.keyClicks(bar.text, "C0042")
    with qtbot.waitSignal(bar.filters_changed):
        bar.show_resolved.click()
    flt = bar.filters()
    assert flt.stage == "load" and flt.text == "C0042" and flt.status is None
    assert flt.time_from == "2024-05-01T10:00:00" and flt.time_to is None
