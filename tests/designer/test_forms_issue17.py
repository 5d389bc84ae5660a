"""Issue 17, "in forms, not only in YAML": the filter editor, every documented key in a form,
field pickers from the sample, the Contract tab and the new-pipeline dialog, driven as a user
would (type, click, pick) and checked on the YAML written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.views import dialogs
from pycharter_gui.designer.views.forms.contract import ContractForm
from pycharter_gui.designer.views.forms.extract import ExtractForm
from pycharter_gui.designer.views.forms.filter_editor import OPERATORS
from pycharter_gui.designer.views.forms.load import LoadForm
from pycharter_gui.designer.views.forms.transform import TransformForm
from pycharter_gui.designer.views.forms.widgets import FieldPicker
from tests.designer.test_forms_roundtrip import LOAD, TRANSFORM, changes

SAMPLE = [{"OrderID": "1", "Customer": "Ann", "Qty": "3", "Amount": "9.5"},
          {"OrderID": "2", "Customer": "Bob", "Qty": "x", "Amount": "4"}]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "orders"
    folder.mkdir()
    (folder / "extract.yaml").write_text("type: file\npath: orders.csv\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "load.yaml").write_text(LOAD)
    return folder


def _form(qtbot, cls: type, folder: Path, doc: PipelineDocument | None = None) -> Any:
    form = cls()
    qtbot.addWidget(form)
    form.set_document(doc or PipelineDocument("orders", folder))
    form.show()
    return form


def _pick(combo, text: str) -> None:
    """Choose the item ``text`` of a combo as a click in its popup would."""
    index = next(i for i in range(combo.count())
                 if combo.itemData(i) == text or combo.itemText(i) == text)
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


# -- 1. filter ----------------------------------------------------------------------------
def test_filter_editor_offers_every_operator_of_the_engine() -> None:
    from pycharter_gui.etl_generator.config.models_transform import FILTER_OPERATORS
    from pycharter_gui.etl_generator.transformers.filters import OPERATORS as ENGINE

    assert set(OPERATORS) == set(ENGINE) == set(FILTER_OPERATORS)


def test_filter_conditions_typed_in_the_form_are_written_and_combined(qtbot, folder):
    form = _form(qtbot, TransformForm, folder)
    doc, editor = form.doc, form.filter
    before = doc.text("transform")
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    field, op, value = editor._row_widgets(0)
    qtbot.keyClicks(field.lineEdit(), "quantity")
    _pick(op, "gte")
    qtbot.keyClicks(value, "2")
    text = doc.text("transform")
    assert "  filter:\n    field: quantity\n    operator: gte\n    value: 2\n" in text
    assert [removed for removed, _added in changes(before, text)] == [[]]  # only added lines
    assert doc.data("transform")["transform"]["filter"]["value"] == 2  # a number, not "2"

    # A second condition makes a list (all must hold); `in` takes comma-separated values.
    qtbot.mouseClick(editor.add_button, Qt.MouseButton.LeftButton)
    field, op, value = editor._row_widgets(1)
    qtbot.keyClicks(field.lineEdit(), "customer")
    _pick(op, "in")
    qtbot.keyClicks(value, "Ann, Bob")
    assert doc.data("transform")["transform"]["filter"] == [
        {"field": "quantity", "operator": "gte", "value": 2},
        {"field": "customer", "operator": "in", "value": ["Ann", "Bob"]}]

    # is_null needs no value: the value line goes away and the value box is disabled.
    _pick(editor._row_widgets(0)[1], "is_null")
    assert doc.data("transform")["transform"]["filter"][0] == {"field": "quantity",
                                                               "operator": "is_null"}
    assert not editor._row_widgets(0)[2].isEnabled()
    assert "# Clean the shop's column names" in doc.text("transform")
    assert "    Customer: \"customer\"\n" in doc.text("transform")


def test_editing_one_condition_of_a_list_changes_only_its_line(qtbot, folder):
    (folder / "transform.yaml").write_text(
        "transform:\n  filter:\n    # keep real orders\n    - field: qty   # units\n"
        "      operator: '>'\n      value: 0\n    - field: status\n      operator: in\n"
        "      value: [paid, shipped]   # not drafts\n")
    form = _form(qtbot, TransformForm, folder)
    before = form.doc.text("transform")
    assert form.filter._row_widgets(0)[1].currentData() == ">"  # an alias shows as written
    value = form.filter._row_widgets(1)[2]
    assert value.text() == "paid, shipped"
    value.selectAll()
    qtbot.keyClicks(value, "paid, shipped, refunded")
    assert changes(before, form.doc.text("transform")) == [(
        ["      value: [paid, shipped]   # not drafts\n"],
        ["      value: [paid, shipped, refunded]   # not drafts\n"])]


def test_removing_the_only_condition_removes_filter(qtbot, folder):
    (folder / "transform.yaml").write_text(
        "transform:\n  rename:\n    a: b\n  filter:\n    field: b\n    operator: ne\n"
        "    value: x\n")
    form = _form(qtbot, TransformForm, folder)
    qtbot.mouseClick(form.filter.remove_button, Qt.MouseButton.LeftButton)
    assert form.doc.text("transform") == "transform:\n  rename:\n    a: b\n"


# -- 2. every documented key --------------------------------------------------------------
def _click_box(qtbot, box) -> None:
    """Click a label-less check box on its indicator."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(6, box.height() // 2))


def test_strict_and_create_table_are_check_boxes_that_write_one_line(qtbot, folder):
    tform = _form(qtbot, TransformForm, folder)
    before = tform.doc.text("transform")
    assert tform.strict.isChecked()
    _click_box(qtbot, tform.strict)
    assert changes(before, tform.doc.text("transform")) == [(["strict: true\n"],
                                                            ["strict: false\n"])]
    lform = _form(qtbot, LoadForm, folder)
    box = lform.findChild(type(tform.strict), "create_table")
    assert box.isChecked() and box.isVisibleTo(lform)
    before = lform.doc.text("load")
    _click_box(qtbot, box)
    assert changes(before, lform.doc.text("load")) == [(["create_table: true\n"],
                                                        ["create_table: false\n"])]


def _model_keys(model: Any) -> dict[str, set[str]]:
    """Each field of a config model with its accepted spellings."""
    out = {}
    for name, info in model.model_fields.items():
        spellings = {info.alias or name}
        choices = getattr(info.validation_alias, "choices", None) or []
        spellings |= {c for c in choices if isinstance(c, str)}
        out[name] = spellings
    return out


# Keys the forms deliberately leave to the YAML tab, with why. Type-specific keys are not
# listed: each is checked on a config of its own type, where its row must be visible.
NOT_IN_FORMS: dict[str, str] = {}


@pytest.mark.parametrize("kind, type_name", [
    ("extract", "file"), ("extract", "database"), ("extract", "http"),
    ("extract", "cloud_storage"), ("transform", ""), ("load", "file"),
    ("load", "database"), ("load", "cloud_storage")])
def test_every_documented_key_has_a_visible_form_field(qtbot, tmp_path, kind, type_name):
    from pycharter_gui.etl_generator.config import models_extract, models_load
    from pycharter_gui.etl_generator.config.models_transform import TransformConfig

    model = {"extract": models_extract.EXTRACT_MODELS, "load": models_load.LOAD_MODELS}.get(
        kind, {"": TransformConfig})[type_name]
    folder = tmp_path / "p"
    folder.mkdir()
    texts = {"extract": "type: file\n", "transform": "transform: {}\n", "load": "type: file\n"}
    texts[kind] = {"": "transform: {}\n"}.get(type_name, f"type: {type_name}\n")
    if kind == "load" and type_name == "database":
        texts[kind] += "write_method: upsert\n"  # the primary key row shows for upsert
    if kind == "extract" and type_name == "http":
        texts[kind] += "pagination:\n  enabled: true\n"
    for k, text in texts.items():
        (folder / f"{k}.yaml").write_text(text)
    form = _form(qtbot, {"extract": ExtractForm, "transform": TransformForm,
                         "load": LoadForm}[kind], folder)
    form.show()
    shown = {form._full(k).split(".")[0] if kind != "transform" else k.split(".")[0]
             for b in form.bindings if b.widget.isVisibleTo(form) for k in b.keys}
    missing = {name for name, spellings in _model_keys(model).items()
               if not spellings & shown and name not in NOT_IN_FORMS}
    assert not missing, f"{kind} {type_name}: no visible form field for {sorted(missing)}"
    assert form.other_keys(form.doc.data(kind)) == {}


def test_other_keys_lists_only_keys_the_engine_does_not_know(qtbot, folder):
    (folder / "load.yaml").write_text(LOAD + "mystery: 1\ndatabase_options:\n  pool: 3\n")
    form = _form(qtbot, LoadForm, folder)
    assert form.other_keys(form.doc.data("load")) == {"mystery": 1,
                                                      "database_options": {"pool": 3}}


# -- 3. field pickers ---------------------------------------------------------------------
def _open_key_editor(qtbot, table, row: int) -> FieldPicker:
    table.table.setCurrentCell(row, 0)
    table.table.editItem(table.table.item(row, 0))
    picker = table.table.findChild(FieldPicker)
    assert picker is not None
    return picker


def _offered(picker) -> dict[str, str]:
    model = picker.model()
    return {model.index(r, 0).data(): model.index(r, 1).data() for r in range(model.rowCount())}


def test_pickers_offer_sample_fields_with_types_and_what_earlier_steps_made(qtbot, folder):
    form = _form(qtbot, TransformForm, folder)
    form.set_sample(SAMPLE)
    picker = _open_key_editor(qtbot, form.rename, 0)
    assert _offered(picker) == {"OrderID": "integer", "Customer": "string", "Qty": "string",
                                "Amount": "number"}
    # convert sees the renamed fields; its own "int" is a later step's business.
    picker = _open_key_editor(qtbot, form.convert, 0)
    offered = _offered(picker)
    assert "order_id" in offered and "quantity" in offered and "OrderID" not in offered
    # select sees what add made; quantity is an integer after convert.
    select_fields = form.step_fields()["select"]
    assert select_fields["quantity"] == "integer" and "customer_key" in select_fields
    # The filter is evaluated after select: it is offered only the selected fields.
    assert set(form.step_fields()["filter"]) == {"order_id", "customer", "quantity"}


def test_picking_a_field_in_a_key_cell_writes_it(qtbot, folder):
    form = _form(qtbot, TransformForm, folder)
    form.set_sample(SAMPLE)
    before = form.doc.text("transform")
    picker = _open_key_editor(qtbot, form.rename, 2)  # Qty: quantity
    _pick(picker, "Amount")
    form.rename.table.closePersistentEditor(form.rename.table.item(2, 0))
    assert changes(before, form.doc.text("transform")) == [(["    Qty: quantity\n"],
                                                            ["    Amount: quantity\n"])]


def test_unknown_names_are_marked_with_the_closest_field(qtbot, folder):
    form = _form(qtbot, TransformForm, folder)
    form.set_sample(SAMPLE)
    assert form.rename.warning.isHidden()
    form.rename.table.item(2, 0).setText("Qtty")
    assert not form.rename.warning.isHidden()
    assert "'Qtty' is not a field of the sample; did you mean 'Qty'?" in \
        form.rename.warning.text()
    form.select.input.setText("custmer")
    qtbot.mouseClick(form.select.buttons["Add"], Qt.MouseButton.LeftButton)
    assert "did you mean 'customer'?" in form.select.warning.text()
    # The filter field is checked against what reaches the filter.
    qtbot.mouseClick(form.filter.add_button, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(form.filter._row_widgets(0)[0].lineEdit(), "custome")
    assert "did you mean 'customer'?" in form.filter.warning.text()


def test_select_list_picks_from_the_popup(qtbot, folder):
    form = _form(qtbot, TransformForm, folder)
    form.set_sample(SAMPLE)
    assert form.select.pick_button.isVisibleTo(form)
    form.select.completer.activated[str].emit("loaded_at")
    assert form.doc.data("transform")["transform"]["select"][-1] == "loaded_at"


def test_primary_key_offers_the_transform_output_and_schema_fields(qtbot, folder):
    doc = PipelineDocument("orders", folder)
    form = _form(qtbot, LoadForm, folder, doc)
    assert form.step_fields()["out"] == {}  # no sample, no schema.yaml: nothing to offer
    (folder / "schema.yaml").write_text(
        "type: object\nproperties:\n  OrderID: {type: integer}\n  Qty: {type: string}\n")
    doc.load()
    form.refresh()
    out = form.step_fields()["out"]
    assert out == {"order_id": "integer", "quantity": "integer"}  # select then keeps these
    form.primary_key.set_items(["order"])
    assert "did you mean 'order_id'?" in form.primary_key.warning.text()


# -- 4. contract --------------------------------------------------------------------------
def test_contract_table_edits_schema_yaml_line_by_line(qtbot):
    folder = Path(__file__).resolve().parents[2] / "resources/examples/orders_to_sqlite"
    doc = PipelineDocument("orders", folder)
    form = _form(qtbot, ContractForm, folder, doc)
    table = form.fields.table
    assert table.rowCount() == 7
    rows = {table.item(r, 0).text(): r for r in range(table.rowCount())}
    assert table.item(rows["status"], 8).text() == "paid, shipped"
    before = doc.text("schema")
    table.item(rows["quantity"], 4).setText("100")  # maximum
    assert changes(before, doc.text("schema")) == [(
        ["  quantity: {type: integer, minimum: 1}\n"],
        ["  quantity: {type: integer, minimum: 1, maximum: 100}\n"])]
    table.item(rows["product"], 2).setCheckState(Qt.CheckState.Checked)
    assert "required: [order_id, customer, product, quantity, unit_price]\n" in \
        doc.text("schema")
    assert form.yaml.toPlainText() == doc.text("schema")  # the YAML view follows
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.text("schema") == before
    assert not doc.is_dirty()


def test_infer_from_sample_is_reviewed_then_creates_schema_yaml(qtbot, folder):
    doc = PipelineDocument("orders", folder)
    form = _form(qtbot, ContractForm, folder, doc)
    assert not form.infer_button.isEnabled()  # no sample yet
    assert "No schema.yaml yet" in form.note.text()
    form.set_sample(SAMPLE)
    qtbot.mouseClick(form.infer_button, Qt.MouseButton.LeftButton)
    dialog = form.infer_dialog
    assert dialog is not None and dialog.isVisible()
    assert doc.text("schema") == ""  # nothing is written before the review
    review = dialog.fields.table
    rows = {review.item(r, 0).text(): r for r in range(review.rowCount())}
    # Inferred from the records the contract sees: after rename, convert, add and select.
    assert review.cellWidget(rows["quantity"], 1).currentText() == "integer"
    review.item(rows["quantity"], 3).setText("1")  # tighten: minimum 1
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    schema = doc.data("schema")
    assert schema["type"] == "object"
    assert schema["required"] == ["order_id", "customer", "quantity"]
    assert schema["properties"]["quantity"] == {"type": "integer", "minimum": 1}
    assert doc.dirty_kinds() == ["schema"]
    assert not (folder / "schema.yaml").exists()
    doc.save()
    assert (folder / "schema.yaml").read_text() == doc.text("schema")
    doc.undo_stack.undo()  # one step undoes the whole inference
    assert doc.text("schema") == ""


def test_contract_yaml_view_edits_the_document(qtbot, folder):
    doc = PipelineDocument("orders", folder)
    form = _form(qtbot, ContractForm, folder, doc)
    form.yaml.user_edited.emit("type: object\nproperties:\n  id: {type: integer}\n")
    assert form.fields.table.item(0, 0).text() == "id"
    assert doc.value("schema", "properties.id.type") == "integer"


# -- 5. dialogs ---------------------------------------------------------------------------
def test_yaml_error_question_offers_save_anyway(qtbot, monkeypatch):
    seen = {}

    def exec_(box: QMessageBox) -> int:
        seen["labels"] = [b.text() for b in box.buttons()]
        return int(QMessageBox.StandardButton.Save)

    monkeypatch.setattr(QMessageBox, "exec", exec_)
    monkeypatch.undo()  # conftest replaced dialogs.ask; use the real one here
    monkeypatch.setattr(QMessageBox, "exec", exec_)
    answer = dialogs.ask(None, "Save a file with a YAML error?", "line 3: bad.\n\nSave anyway?",
                         dialogs.Button.Save | dialogs.Button.Cancel, dialogs.Button.Cancel)
    assert answer == dialogs.Button.Save
    assert "Save anyway" in seen["labels"]


def test_new_pipeline_dialog_describes_each_template(qtbot):
    from pycharter_gui.designer.workspace import list_templates, templates_dir

    dialog = dialogs.NewPipelineDialog({t: templates_dir() / t for t in list_templates()})
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    csv = next(t for t in texts if t.startswith("CSV file to SQLite"))
    assert "Read records from a CSV file, then write records into a SQLite" in csv
    assert "Creates: extract.yaml, transform.yaml, load.yaml, data/input.csv" in csv
    assert dialog.minimumWidth() >= 600  # room for its title
    dialog.list.setCurrentRow(texts.index(csv))
    assert dialog.name() == "csv_to_sqlite"
    dialog.name_edit.setText("shop_orders")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.StandardButton.Ok),
                     Qt.MouseButton.LeftButton)
    assert (dialog.template(), dialog.name()) == ("csv_to_sqlite", "shop_orders")
