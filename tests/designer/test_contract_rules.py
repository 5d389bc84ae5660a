"""Issue 17, Contract tab: coercion and validation rules edited as tables beside their YAML,
a contract kept in schema.json or contract.yaml, inference from the transformed sample, and
field pickers for the extract form's single-name keys; driven as a user would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.views.forms.contract import ContractForm
from pycharter_gui.etl_generator import load_pipeline_config
from tests.designer.test_forms_roundtrip import LOAD, TRANSFORM

SAMPLE = [{"OrderID": "1", "Customer": "Ann", "Qty": "3"},
          {"OrderID": "2", "Customer": "Bob", "Qty": "5"}]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "orders"
    folder.mkdir()
    (folder / "extract.yaml").write_text("type: file\npath: orders.csv\n")
    (folder / "transform.yaml").write_text(TRANSFORM)
    (folder / "load.yaml").write_text(LOAD)
    return folder


def _contract(qtbot, folder: Path) -> ContractForm:
    form = ContractForm()
    qtbot.addWidget(form)
    form.set_document(PipelineDocument("orders", folder))
    form.show()
    return form


def _tab(form: ContractForm, name: str) -> None:
    tabs = form.parts
    tabs.setCurrentIndex(next(i for i in range(tabs.count()) if tabs.tabText(i) == name))


def _rows(table: Any) -> dict[str, int]:
    return {table.item(r, 0).text(): r for r in range(table.rowCount())}


def test_coercion_rules_table_creates_the_file_undoably_and_saves_it(qtbot, folder):
    form = _contract(qtbot, folder)
    doc = form.doc
    _tab(form, "coercion_rules.yaml")
    table = form.coercion.table
    qtbot.mouseClick(form.coercion.add_button, Qt.MouseButton.LeftButton)
    table.item(0, 0).setText("quantity")
    table.item(0, 1).setText("int")
    assert doc.text("coercion_rules") == "quantity: int\n"
    assert form.yaml_views["coercion_rules"].toPlainText() == "quantity: int\n"
    assert doc.dirty_kinds() == ["coercion_rules"]
    assert not (folder / "coercion_rules.yaml").exists()
    doc.save()
    assert (folder / "coercion_rules.yaml").read_text() == "quantity: int\n"
    assert load_pipeline_config(folder).contract["coercion_rules"] == {"quantity": "int"}
    # The YAML view edits it back into the table.
    form.yaml_views["coercion_rules"].user_edited.emit("quantity: int\ncustomer: str\n")
    assert _rows(table) == {"quantity": 0, "customer": 1}
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert doc.text("coercion_rules") == ""


def test_validation_rules_table_edits_one_line_per_rule(qtbot, folder):
    original = ("# checked after coercion\nquantity:\n  minimum: 1   # at least one\n"
                "customer:\n  not_null: true\n")
    (folder / "validation_rules.yaml").write_text(original)
    form = _contract(qtbot, folder)
    doc = form.doc
    _tab(form, "validation_rules.yaml")
    table = form.validation.table
    rows = _rows(table)
    assert table.item(rows["quantity"], 1).text() == "1"  # Min shows the 'minimum' spelling
    assert table.item(rows["customer"], 7).checkState() == Qt.CheckState.Checked
    table.item(rows["quantity"], 2).setText("100")  # Max
    assert doc.text("validation_rules") == (
        "# checked after coercion\nquantity:\n  minimum: 1   # at least one\n  max: 100\n"
        "customer:\n  not_null: true\n")
    table.item(rows["customer"], 8).setCheckState(Qt.CheckState.Checked)  # Unique
    assert doc.data("validation_rules")["customer"] == {"not_null": True, "unique": True}
    table.selectRow(rows["quantity"])
    qtbot.mouseClick(form.validation.remove_button, Qt.MouseButton.LeftButton)
    assert "quantity" not in doc.data("validation_rules")
    assert "# checked after coercion" in doc.text("validation_rules")
    doc.save()
    contract = load_pipeline_config(folder).contract
    assert contract["validation_rules"] == {"customer": {"not_null": True, "unique": True}}
    for _ in range(3):  # remove, unique, max: one step each
        doc.undo_stack.undo()
    assert doc.text("validation_rules") == original
    assert _rows(table) == {"quantity": 0, "customer": 1}


def test_schema_json_is_shown_read_only_and_copied_into_schema_yaml(qtbot, folder):
    (folder / "schema.json").write_text('{"type": "object", "required": ["id"], '
                                        '"properties": {"id": {"type": "integer"}}}')
    form = _contract(qtbot, folder)
    doc = form.doc
    assert "schema.json is shown read-only" in form.note.text()
    assert "would not stay valid JSON" in form.note.text()
    assert form.yaml.isReadOnly() and not form.fields.isEnabled()
    assert form.convert_button.isVisible()
    qtbot.mouseClick(form.convert_button, Qt.MouseButton.LeftButton)
    assert doc.data("schema") == {"type": "object", "required": ["id"],
                                  "properties": {"id": {"type": "integer"}}}
    assert form.fields.isEnabled() and not form.yaml.isReadOnly()
    assert not form.convert_button.isVisible()
    doc.undo_stack.undo()  # one step takes the copy back
    assert doc.text("schema") == "" and form.convert_button.isVisible()


def test_contract_yaml_is_split_into_the_files_runs_read(qtbot, folder):
    (folder / "contract.yaml").write_text(
        "schema:\n  type: object\n  properties:\n    id: {type: integer}\n"
        "coercion_rules:\n  id: int\nvalidation_rules:\n  id:\n    min: 1\n")
    assert load_pipeline_config(folder).contract is None  # runs do not read contract.yaml
    form = _contract(qtbot, folder)
    assert "Runs of this folder do not read it" in form.note.text()
    qtbot.mouseClick(form.convert_button, Qt.MouseButton.LeftButton)
    form.doc.save()
    contract = load_pipeline_config(folder).contract
    assert contract["schema"]["properties"] == {"id": {"type": "integer"}}
    assert contract["coercion_rules"] == {"id": "int"}
    assert contract["validation_rules"] == {"id": {"min": 1}}
    assert _rows(form.validation.table) == {"id": 0}


def test_infer_from_sample_uses_the_fields_after_the_transform(qtbot, folder):
    form = _contract(qtbot, folder)
    form.set_sample(SAMPLE)
    qtbot.mouseClick(form.infer_button, Qt.MouseButton.LeftButton)
    dialog = form.infer_dialog
    review = dialog.fields.table
    rows = _rows(review)
    # rename Qty -> quantity, convert to int, add, select: what the contract will see.
    assert set(rows) == {"order_id", "customer", "quantity"}
    assert review.cellWidget(rows["quantity"], 1).currentText() == "integer"
    assert "after the transform" in dialog.note.text()
    qtbot.mouseClick(dialog.write_button, Qt.MouseButton.LeftButton)
    assert set(form.doc.data("schema")["properties"]) == {"order_id", "customer", "quantity"}


def test_infer_follows_the_unsaved_transform(qtbot, folder):
    form = _contract(qtbot, folder)
    form.doc.set_text("transform", "transform:\n  rename:\n    Qty: amount\n")
    form.set_sample(SAMPLE)
    dialog = form.infer_from_sample()
    assert set(_rows(dialog.fields.table)) == {"OrderID", "Customer", "amount"}


# -- column pickers for single-name keys ----------------------------------------------------
DB_EXTRACT = ("type: database\ndatabase:\n  url: sqlite:///shop.db\ntable: orders\n"
              "incremental:\n  column: updated\n")


@pytest.mark.parametrize("attr, key", [("incremental_column", "incremental.column"),
                                       ("partition_column", "partition_by.column")])
def test_single_name_columns_pick_from_the_sample_and_mark_unknown_names(qtbot, folder, attr,
                                                                          key):
    from pycharter_gui.designer.views.forms.extract import ExtractForm

    (folder / "extract.yaml").write_text(DB_EXTRACT)
    form = ExtractForm()
    qtbot.addWidget(form)
    form.set_document(PipelineDocument("orders", folder))
    form.show()
    picker = getattr(form, attr)
    assert not picker.pick_button.isVisibleTo(form)  # no sample yet: nothing to offer
    form.set_sample([{"id": 1, "updated_at": "2024-01-02", "name": "Ann"}])
    assert picker.pick_button.isVisibleTo(form)
    qtbot.mouseClick(picker.pick_button, Qt.MouseButton.LeftButton)
    model = picker.completer.model()
    offered = {model.index(r, 0).data(): model.index(r, 1).data()
               for r in range(model.rowCount())}
    assert offered == {"id": "integer", "updated_at": "date", "name": "string"}
    picker.completer.activated[str].emit("updated_at")
    assert form.doc.value("extract", key) == "updated_at"
    assert picker.warning.isHidden()
    picker.edit.selectAll()
    qtbot.keyClicks(picker.edit, "updatd_at")
    assert form.doc.value("extract", key) == "updatd_at"
    assert "'updatd_at' is not a field of the sample; did you mean 'updated_at'?" in \
        picker.warning.text()
