"""Form operations keep the user's file: every table/list add, remove, reorder and cell edit
changes only the touched line, byte for byte; new values are written plain where YAML allows."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer import yaml_roundtrip as yrt
from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.views.forms.load import LoadForm
from pycharter_gui.designer.views.forms.transform import TransformForm
from pycharter_gui.designer.views.forms.widgets import KeyValueTable, ListEditor
from pycharter_gui.designer.yaml_roundtrip import scalars

TRANSFORM = """\
# Clean the shop's column names and types before loading.
transform:
  rename:
    OrderID: order_id   # the shop's id
    Customer: "customer"
    Qty: quantity
  convert:
    order_id: int
    quantity: 'int'   # quoted on purpose
  add:
    loaded_at: now()  # expressions are evaluated per record
    customer_key: lower(${customer})
  select:
    - order_id   # first
    # then the rest
    - customer
    - quantity
# A value that cannot be converted sends the record to the dead-letter queue.
strict: true
"""

LOAD = """\
# Load into SQLite.
type: database
database:
  url: sqlite:///output/shop.db
table: orders
write_method: upsert
primary_key: order_id   # one column
create_table: true
"""


def changes(old: str, new: str) -> list[tuple[list[str], list[str]]]:
    """(removed lines, added lines) of each changed hunk between two texts."""
    a, b = old.splitlines(keepends=True), new.splitlines(keepends=True)
    return [(a[i1:i2], b[j1:j2]) for tag, i1, i2, j1, j2 in
            difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes() if tag != "equal"]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "orders"
    folder.mkdir()
    (folder / "extract.yaml").write_text("type: file\npath: orders.csv\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "load.yaml").write_text(LOAD)
    return folder


@pytest.fixture
def tform(qtbot, folder: Path) -> TransformForm:
    form = TransformForm()
    qtbot.addWidget(form)
    form.set_document(PipelineDocument("orders", folder))
    return form


def _add_row(qtbot, table: KeyValueTable, key: str, value: str) -> None:
    qtbot.mouseClick(table.add_button, Qt.MouseButton.LeftButton)
    row = table.table.rowCount() - 1
    table.table.item(row, 0).setText(key)
    table.table.item(row, 1).setText(value)


def _remove_row(qtbot, table: KeyValueTable, row: int) -> None:
    table.table.setCurrentCell(row, 0)
    qtbot.mouseClick(table.remove_button, Qt.MouseButton.LeftButton)


def _click(qtbot, editor: ListEditor, button: str, row: int) -> None:
    editor.list.setCurrentRow(row)
    qtbot.mouseClick(editor.buttons[button], Qt.MouseButton.LeftButton)


def test_table_add_row_writes_one_plain_line(qtbot, tform: TransformForm):
    doc = tform.doc
    _add_row(qtbot, tform.rename, "Amount", "amount")
    _add_row(qtbot, tform.convert, "Qty", "int")
    _add_row(qtbot, tform.add_ops, "flag", "yes")
    assert changes(TRANSFORM, doc.text("transform")) == [
        ([], ["    Amount: amount\n"]),
        ([], ["    Qty: int\n"]),
        ([], ["    flag: 'yes'\n"]),  # plain yes is a boolean to YAML 1.1 readers
    ]
    assert doc.value("transform", "transform.add.flag") == "yes"


def test_table_remove_row_removes_only_its_line(qtbot, tform: TransformForm):
    doc = tform.doc
    _remove_row(qtbot, tform.rename, 1)
    assert changes(TRANSFORM, doc.text("transform")) == [(['    Customer: "customer"\n'], [])]
    _remove_row(qtbot, tform.add_ops, 1)
    assert changes(TRANSFORM, doc.text("transform"))[1] == (
        ["    customer_key: lower(${customer})\n"], [])
    assert "    loaded_at: now()  # expressions are evaluated per record\n" in doc.text(
        "transform")


def test_table_cell_edits_touch_one_line_and_keep_comment_and_quotes(qtbot, tform):
    doc = tform.doc
    tform.rename.table.item(0, 1).setText("id")      # value of a commented row
    tform.rename.table.item(1, 1).setText("client")  # value of a double-quoted row
    tform.convert.table.item(0, 0).setText("id")     # a key (the row is renamed in place)
    assert changes(TRANSFORM, doc.text("transform")) == [
        (["    OrderID: order_id   # the shop's id\n", '    Customer: "customer"\n'],
         ["    OrderID: id   # the shop's id\n", '    Customer: "client"\n']),
        (["    order_id: int\n"], ["    id: int\n"]),
    ]


def test_list_add_remove_reorder_touch_only_their_lines(qtbot, tform: TransformForm):
    doc = tform.doc
    tform.select.input.setText("loaded_at")
    qtbot.mouseClick(tform.select.buttons["Add"], Qt.MouseButton.LeftButton)
    assert changes(TRANSFORM, doc.text("transform")) == [([], ["    - loaded_at\n"])]
    before = doc.text("transform")
    _click(qtbot, tform.select, "Down", 0)  # order_id (with its comment) below customer
    assert doc.text("transform") == before.replace(
        "    - order_id   # first\n    # then the rest\n    - customer\n",
        "    - customer\n    # then the rest\n    - order_id   # first\n")
    before = doc.text("transform")
    _click(qtbot, tform.select, "Remove", 3)
    assert changes(before, doc.text("transform")) == [(["    - loaded_at\n"], [])]


def test_table_reorder_moves_lines_with_their_comments(qtbot, tform: TransformForm):
    doc = tform.doc
    mapping = doc.value("transform", "transform.rename")
    reordered = {k: mapping[k] for k in ("Qty", "OrderID", "Customer")}
    assert doc.set_value("transform", "transform.rename", reordered)
    assert changes(TRANSFORM, doc.text("transform")) == [
        ([], ["    Qty: quantity\n"]), (["    Qty: quantity\n"], [])]
    assert list(doc.value("transform", "transform.rename")) == ["Qty", "OrderID", "Customer"]


def test_every_operation_undoes_to_the_original_bytes(qtbot, tform: TransformForm):
    doc = tform.doc
    _add_row(qtbot, tform.rename, "Amount", "amount")
    _remove_row(qtbot, tform.add_ops, 0)
    _click(qtbot, tform.select, "Up", 2)
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert doc.text("transform") == TRANSFORM
    tform.refresh()
    assert tform.rename.mapping() == {"OrderID": "order_id", "Customer": "customer",
                                      "Qty": "quantity"}


def test_text_that_reads_as_another_type_shows_quoted_and_stays_text(qtbot, folder: Path):
    (folder / "transform.yaml").write_text(
        "transform:\n  defaults:\n    code: '007'\n    count: 7\n    note: ok\n")
    form = TransformForm()
    qtbot.addWidget(form)
    form.set_document(doc := PipelineDocument("orders", folder))
    cells = [form.defaults.table.item(r, 1).text() for r in range(3)]
    assert cells == ["'007'", "7", "ok"]
    form.defaults.table.item(2, 1).setText("fine")  # another row: '007' must stay text
    assert doc.text("transform") == (
        "transform:\n  defaults:\n    code: '007'\n    count: 7\n    note: fine\n")


def test_scalar_primary_key_shows_and_keeps_its_spelling(qtbot, folder: Path):
    form = LoadForm()
    qtbot.addWidget(form)
    form.set_document(doc := PipelineDocument("orders", folder))
    assert form.primary_key.items() == ["order_id"]
    form.primary_key.input.setText("customer")
    qtbot.mouseClick(form.primary_key.buttons["Add"], Qt.MouseButton.LeftButton)
    assert changes(LOAD, doc.text("load")) == [
        (["primary_key: order_id   # one column\n"],
         ["primary_key: [order_id, customer]   # one column\n"])]
    doc.undo_stack.undo()
    _click(qtbot, form.primary_key, "Remove", 0)
    assert doc.value("load", "primary_key") is None  # the last name removed: key removed
    doc.undo_stack.undo()
    form.primary_key.list.item(0).setText("id")  # edited in place: stays a scalar
    form.primary_key.edited.emit(form.primary_key.items())
    assert changes(LOAD, doc.text("load")) == [
        (["primary_key: order_id   # one column\n"], ["primary_key: id   # one column\n"])]


def test_form_edit_parses_once_and_refresh_reads_cells_without_a_yaml_load(
        qtbot, tform: TransformForm, monkeypatch):
    parses, loads = [], []
    real_parse, real_load = yrt.parse, scalars.SAFE_YAML.load
    monkeypatch.setattr(yrt, "parse", lambda text: parses.append(1) or real_parse(text))
    monkeypatch.setattr(scalars.SAFE_YAML, "load", lambda s: loads.append(s) or real_load(s))
    tform.rename.table.item(0, 1).setText("id")
    assert len(parses) == 1
    tform.refresh()
    assert loads == []


@pytest.mark.parametrize(("value", "text"), [
    ("amount", "amount"), ("int", "int"), ("now()", "now()"), ("yes", "'yes'"),
    ("1", "'1'"), ("a: b", "'a: b'"), ("", "''"), ("null", "'null'"), ("1:20", "'1:20'")])
def test_new_values_are_plain_unless_plain_changes_the_meaning(value: str, text: str):
    assert yrt.scalar_text(yrt.to_yaml_value(value)) == text


def test_empty_quoted_value_does_not_force_quotes_on_the_new_value():
    text = "m:\n  a: ''\n"
    data = yrt.parse(text)
    assert yrt.set_value_text(text, data, "m.a", "amount", yrt.YamlStyle()) == "m:\n  a: amount\n"


def test_delete_keeps_the_rest_byte_identical():
    text = "a: 1  # c\nb:\n- x\n# note on c\nc: |\n  line\nd: 2\n"
    data = yrt.parse(text)
    assert yrt.delete_key_text(text, data, "b", yrt.YamlStyle()) == (
        "a: 1  # c\n# note on c\nc: |\n  line\nd: 2\n")
    data = yrt.parse(text)
    assert yrt.delete_key_text(text, data, "c", yrt.YamlStyle()) == (
        "a: 1  # c\nb:\n- x\n# note on c\nd: 2\n")
