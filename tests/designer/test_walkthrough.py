"""Issue 17, "Done when": the walkthrough pipeline built in the forms and dialogs only (never the
YAML tab) — CSV with bad values → rename, convert, add with arithmetic, filter, strict, a
contract inferred then tightened, a JSONata total → SQLite — then dry-run, counts checked
against the before/after."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views import dialogs

CSV = """order_id,qty,price,status
1,2,5,paid
2,x,7,paid
3,1,4,void
4,900,1,paid
5,3,2.5,paid
6,4,1.5,paid
"""


@pytest.fixture
def window(qtbot, tmp_path: Path):
    ws = tmp_path / "ws"
    ws.mkdir()
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.resize(1400, 900)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _new_pipeline_in_the_dialog(qtbot, monkeypatch, win: MainWindow) -> None:
    def choose(parent):
        from pycharter_gui.designer.workspace import list_templates, templates_dir

        dialog = dialogs.NewPipelineDialog({t: templates_dir() / t for t in list_templates()},
                                           parent)
        texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
        dialog.list.setCurrentRow(next(i for i, t in enumerate(texts)
                                       if t.startswith("CSV file to SQLite")))
        dialog.name_edit.setText("walk")
        qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                         Qt.MouseButton.LeftButton)
        return dialog.template(), dialog.name()

    monkeypatch.setattr(dialogs, "new_pipeline", choose)
    win.file_ops.new_pipeline()
    qtbot.waitUntil(lambda: (win.workspace.root / "walk" / "transform.yaml").exists(), timeout=10000)
    win.select_pipeline("walk")
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == "walk")


def _type_line(qtbot, edit: QLineEdit, text: str) -> None:
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    edit.editingFinished.emit()


def _pick(combo, text: str) -> None:
    """Choose the item ``text`` of a combo as a click in its popup would."""
    found = combo.findData(text)
    combo.setCurrentIndex(found if found >= 0 else combo.findText(text))
    combo.activated.emit(combo.currentIndex())


def _set_rows(table, rows: list[tuple[str, str]]) -> None:
    """Make a form's key/value table hold ``rows``, with its Add/Remove buttons and cells."""
    while table.table.rowCount() > len(rows):
        table.table.selectRow(table.table.rowCount() - 1)
        table.remove_button.click()
    while table.table.rowCount() < len(rows):
        table.add_button.click()
    for row, (key, value) in enumerate(rows):
        table.table.item(row, 0).setText(key)
        table.table.item(row, 1).setText(value)


def test_walkthrough_pipeline_from_forms_and_dialogs_dry_runs_with_the_expected_counts(
        qtbot, monkeypatch, window: MainWindow):
    win = window
    _new_pipeline_in_the_dialog(qtbot, monkeypatch, win)
    folder = win.current.path
    (folder / "data" / "orders.csv").write_text(CSV, encoding="utf-8")  # the analyst's data
    forms = win.editor.forms
    win.editor.tabs.setCurrentWidget(forms["extract"])
    _type_line(qtbot, forms["extract"].path_edit, "data/orders.csv")
    tform = forms["transform"]
    win.editor.tabs.setCurrentWidget(tform)
    _set_rows(tform.rename, [("qty", "quantity")])
    _set_rows(tform.convert, [("quantity", "int"), ("price", "float")])
    _set_rows(tform.defaults, [])
    _set_rows(tform.add_ops, [("amount", "${quantity} * ${price}")])
    qtbot.mouseClick(tform.filter.add_button, Qt.MouseButton.LeftButton)
    field, op, value = tform.filter._row_widgets(0)
    qtbot.keyClicks(field.lineEdit(), "status")
    _pick(op, "eq")
    qtbot.keyClicks(value, "paid")
    if not tform.strict.isChecked():
        qtbot.mouseClick(tform.strict, Qt.MouseButton.LeftButton,
                         pos=QPoint(6, tform.strict.height() // 2))
    win.editor.tabs.setCurrentWidget(forms["load"])
    table_edit = next(e for e in forms["load"].findChildren(QLineEdit)
                      if e.placeholderText() == "my_table")
    _type_line(qtbot, table_edit, "orders")

    # JSONata total from the console, written with its button
    docks = win.data_docks
    console = docks.jsonata
    with qtbot.waitSignal(docks.transform_preview.preview_updated, timeout=20000):
        win.actions_by_name["preview"].trigger()
    with qtbot.waitSignal(console.evaluated, timeout=10000) as done:
        console.mode_combo.setCurrentIndex(console.mode_combo.findData("record"))
        console.editor.setPlainText('$merge([$, {"total": amount + 1}])')
    assert done.args[0].output["total"] == 11  # on the first record as JSONata sees it
    qtbot.mouseClick(console.apply_button, Qt.MouseButton.LeftButton)

    # contract: inferred from the sample, reviewed in the dialog, written, then tightened
    contract = win.editor.contract
    win.editor.tabs.setCurrentWidget(contract)
    qtbot.waitUntil(contract.infer_button.isEnabled, timeout=10000)
    qtbot.mouseClick(contract.infer_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(contract.infer_dialog.write_button, Qt.MouseButton.LeftButton)
    table = contract.fields.table
    # Inferred from the sample after the transform: renamed, converted ('x' rejected by it)
    row = next(r for r in range(table.rowCount()) if table.item(r, 0).text() == "quantity")
    assert table.cellWidget(row, 1).currentText() == "integer"
    table.item(row, 4).setText("100")  # tightened: up to 100

    doc = win.current
    data = doc.data("transform")
    assert data["transform"]["rename"] == {"qty": "quantity"}
    assert data["transform"]["convert"] == {"quantity": "int", "price": "float"}
    assert data["transform"]["add"] == {"amount": "${quantity} * ${price}"}
    assert data["transform"]["filter"] == {"field": "status", "operator": "eq", "value": "paid"}
    assert data["strict"] is True or data["transform"].get("strict") is True
    assert data["jsonata"]["mode"] == "record"
    assert doc.value("load", "table") == "orders"
    assert doc.value("schema", "properties.quantity") == {"type": "integer", "maximum": 100}
    assert win.file_ops.save_current()

    tp = docks.transform_preview
    qtbot.waitUntil(lambda: not tp.is_running() and tp.last_preview is not None
                    and len(tp.last_preview.steps) == 6
                    and len(tp.last_preview.rejected) == 2, timeout=20000)
    preview = tp.last_preview
    outcome = []
    for signal in (docks.run_panel.run_finished, docks.run_panel.run_failed):
        signal.connect(outcome.append)
    qtbot.mouseClick(docks.run_panel.dry_run_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(outcome), timeout=60000)
    result = outcome[0]
    assert isinstance(result, dict), result
    # 6 rows: 'x' rejected by the strict convert, 900 by the contract, void filtered out
    assert result["extraction"]["total_records"] == 6
    assert result["dead_lettered"] == len(preview.rejected) == 2
    assert result["transformation"]["filtered"] == preview.filtered == 1
    assert result["loading"]["total_records"] == len(preview.records) == 3
    assert [s.title.split(" · ")[1] for s in preview.steps] == [
        "rename", "convert", "add", "filter", "jsonata", "contract"]
    assert not (folder / "output.db").exists()  # a dry run writes nothing
