"""Contract tab: schema.yaml as a table of fields beside its YAML, and inference from a sample.

Edits go through the document like the other forms (one undo stack, comments and layout of
untouched lines kept); a schema.yaml that does not exist yet is created by the first edit
and written when the pipeline is saved.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.views.forms.widgets import scalar_to_text
from pycharter_gui.designer.views.yaml_editor import YamlEditor
from pycharter_gui.designer.yaml_roundtrip import parse_scalar

KIND = "schema"
TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
# Table columns: header and the JSON Schema keyword each one edits.
COLUMNS = (("Field", ""), ("Type", "type"), ("Required", ""), ("Minimum", "minimum"),
           ("Maximum", "maximum"), ("Min length", "minLength"), ("Max length", "maxLength"),
           ("Pattern", "pattern"), ("Enum", "enum"))
KEYWORDS = tuple(k for _h, k in COLUMNS if k)
REQUIRED_COL = 2


def enum_text(value: Any) -> str:
    if not isinstance(value, list):
        return "" if value is None else scalar_to_text(value)
    items = [scalar_to_text(v) for v in value]
    return json.dumps(value) if any("," in i for i in items) else ", ".join(items)


def parse_enum(text: str) -> Any:
    text = text.strip()
    if not text or text.startswith("["):
        return parse_scalar(text) if text else None
    return [parse_scalar(part.strip()) for part in text.split(",") if part.strip()]


class SchemaFieldsTable(QWidget):
    """The ``properties`` and ``required`` of a JSON Schema as editable rows."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setHorizontalHeaderLabels([h for h, _k in COLUMNS])
        self.table.setAccessibleName("Contract fields")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.add_button, self.remove_button = QPushButton("Add field"), QPushButton("Remove")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.add_button)
        self.buttons.addWidget(self.remove_button)
        self.buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(self.buttons)
        self._props: dict[str, Any] = {}
        self.table.itemChanged.connect(self._on_table_item_changed)

    # -- reading and writing -----------------------------------------------------------------
    def set_schema(self, schema: dict[str, Any] | None) -> None:
        """Show ``schema``'s fields (other keywords of a field are kept, not shown)."""
        schema = schema if isinstance(schema, dict) else {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        if props == self.properties() and required == self.required() and props == self._props:
            return
        self._props = {str(k): (v if isinstance(v, dict) else {}) for k, v in props.items()}
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name, prop in self._props.items():
            self._append(name, prop, name in required)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()

    def properties(self) -> dict[str, Any]:
        """Each row's property: its original keywords, with the table's columns laid over."""
        out: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            name = self._text(row, 0)
            if not name:
                continue
            original = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole) or ""
            prop = dict(self._props.get(original, {}))
            for col, (_h, key) in enumerate(COLUMNS):
                if not key:
                    continue
                text = self._text(row, col)
                if key == "type" and "," in text:  # a union such as [string, "null"]
                    prop[key] = [t.strip() for t in text.split(",") if t.strip()]
                    continue
                value = parse_enum(text) if key == "enum" else (
                    text if key in ("type", "pattern") else parse_scalar(text)) if text else None
                if value is None:
                    prop.pop(key, None)
                elif prop.get(key) != value:
                    prop[key] = value
            out[name] = prop
        return out

    def required(self) -> list[str]:
        return [self._text(r, 0) for r in range(self.table.rowCount()) if self._text(r, 0)
                and self.table.item(r, REQUIRED_COL).checkState() == Qt.CheckState.Checked]

    # -- rows --------------------------------------------------------------------------------
    def _text(self, row: int, col: int) -> str:
        if col == 1 and isinstance(w := self.table.cellWidget(row, 1), QComboBox):
            return w.currentText().strip()
        item = self.table.item(row, col)
        return item.text().strip() if item is not None else ""

    def _append(self, name: str, prop: dict[str, Any], required: bool) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(Qt.ItemDataRole.UserRole, name)
        self.table.setItem(row, 0, name_item)
        typ = QComboBox()
        typ.setEditable(True)
        typ.addItems(TYPES)
        kind = prop.get("type")
        typ.setEditText("" if kind is None else
                        ", ".join(kind) if isinstance(kind, list) else str(kind))
        typ.setAccessibleName(f"Type of {name}")
        typ.activated.connect(self._on_type_changed)
        typ.lineEdit().editingFinished.connect(self._on_type_changed)
        self.table.setCellWidget(row, 1, typ)
        check = QTableWidgetItem()
        check.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                       | Qt.ItemFlag.ItemIsSelectable)
        check.setCheckState(Qt.CheckState.Checked if required else Qt.CheckState.Unchecked)
        self.table.setItem(row, REQUIRED_COL, check)
        for col, (_h, key) in enumerate(COLUMNS):
            if key and key != "type":
                value = prop.get(key)
                text = enum_text(value) if key == "enum" else (
                    "" if value is None else str(value) if key == "pattern"
                    else scalar_to_text(value))
                self.table.setItem(row, col, QTableWidgetItem(text))
        return row

    def _on_add_clicked(self) -> None:
        self.table.blockSignals(True)
        row = self._append("", {"type": "string"}, False)
        self.table.blockSignals(False)
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.edited.emit()

    def _on_type_changed(self, *_args: Any) -> None:
        self.edited.emit()

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.edited.emit()


class InferDialog(QDialog):
    """The fields inferred from the sample, for review and edits before they are written."""

    def __init__(self, schema: dict[str, Any], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Infer a contract from the sample")
        self.fields = SchemaFieldsTable(self)
        self.fields.set_schema(schema)
        note = QLabel("Types come from the preview sample; a field present in every sampled "
                      "record is marked required. Tighten the rules here or later in the "
                      "Contract tab.")
        note.setWordWrap(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.write_button = box.addButton("Write to schema.yaml",
                                          QDialogButtonBox.ButtonRole.AcceptRole)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(note)
        lay.addWidget(self.fields, 1)
        lay.addWidget(box)
        self.resize(820, 420)


def merge_inferred(inferred: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """``inferred``, keeping the rules already written for a field (and fields not sampled)."""
    props = dict(current.get("properties") or {})
    for name, prop in (inferred.get("properties") or {}).items():
        props[name] = {**prop, **props[name]} if isinstance(props.get(name), dict) else prop
    required = list(dict.fromkeys([*(current.get("required") or []),
                                   *(inferred.get("required") or [])]))
    return {"properties": props, "required": required}


class ContractForm(QWidget):
    """Edit schema.yaml as fields; the YAML below follows every edit (and edits it back)."""

    title = "Contract"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Contract form")
        self.doc: PipelineDocument | None = None
        self.records: list[dict[str, Any]] = []
        self.infer_dialog: InferDialog | None = None
        self._loading = False
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setAccessibleName("Contract note")
        self.fields = SchemaFieldsTable()
        self.infer_button = QPushButton("Infer from sample…")
        self.infer_button.setAccessibleName("Infer from sample")
        self.infer_button.clicked.connect(self.infer_from_sample)
        self.fields.buttons.addWidget(self.infer_button)
        self.yaml = YamlEditor()
        self.yaml.setAccessibleName("YAML editor schema")
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.fields)
        splitter.addWidget(self.yaml)
        splitter.setSizes([320, 200])
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.addWidget(self.note)
        lay.addWidget(splitter, 1)
        self.fields.edited.connect(self._on_fields_edited)
        self.yaml.user_edited.connect(self._on_yaml_user_edited)
        self.yaml.edit_paused.connect(self._seal)
        self._update_infer_button()

    def set_document(self, doc: PipelineDocument | None) -> None:
        if self.doc is not None:
            self.doc.text_changed.disconnect(self._on_doc_text_changed)
        if doc is not self.doc:
            self.records = []
        self.doc = doc
        if doc is not None:
            doc.text_changed.connect(self._on_doc_text_changed)
        self.refresh()

    def set_sample(self, records: list[dict[str, Any]] | None) -> None:
        self.records = list(records or [])
        self._update_infer_button()

    def _update_infer_button(self) -> None:
        self.infer_button.setEnabled(bool(self.records) and self.isEnabled())
        self.infer_button.setToolTip(
            "Propose fields, types and required from the preview sample" if self.records
            else "Preview the source first (F5): the sample is what the contract is inferred from")

    def _on_doc_text_changed(self, kind: str) -> None:
        if kind == KIND:
            self.refresh()

    def other_contract(self) -> str | None:
        """The name of a contract file other than schema.yaml that the engine would use."""
        found = self.doc.contract_file() if self.doc is not None else None
        return found.name if found is not None and found.name != "schema.yaml" else None

    def refresh(self) -> None:
        doc = self.doc
        self._loading = True
        try:
            other = self.other_contract()
            error = doc.parse_error(KIND) if doc else None
            self.fields.setEnabled(doc is not None and other is None and error is None)
            self.yaml.setReadOnly(doc is None or other is not None)
            if other is not None:
                self.note.setText(f"This pipeline's contract is {other}; the Contract tab edits "
                                  "schema.yaml only, so it is shown read-only here.")
                self.yaml.set_text_preserving_cursor(
                    (doc.path / other).read_text(encoding="utf-8", errors="replace"))
                return
            text = doc.text(KIND) if doc else ""
            self.yaml.set_text_preserving_cursor(text)
            self.yaml.set_error_line(error.line if error else None)
            if error is not None:
                self.note.setText(f"schema.yaml does not parse at line {error.line}: "
                                  f"{error.message}. The table shows the last valid version.")
            elif doc is not None and not doc.file_path(KIND).is_file() and not text:
                self.note.setText("No schema.yaml yet: add fields or infer them from the preview "
                                  "sample. The file is created with your first edit and written "
                                  "when you save.")
            else:
                self.note.setText("Records that break these rules go to the dead-letter queue.")
            self.fields.set_schema(doc.data(KIND) if doc else {})
        finally:
            self._loading = False
            self._update_infer_button()

    # -- writing -----------------------------------------------------------------------------
    def _seal(self) -> None:
        if self.doc is not None:
            self.doc.seal()

    def write_schema(self, properties: dict[str, Any], required: list[str]) -> None:
        """Write ``properties`` and ``required`` as one undo step (creating the file's
        ``type: object`` when it has none)."""
        doc = self.doc
        if doc is None or doc.parse_error(KIND):
            return
        data = doc.data(KIND)
        changes: list[tuple[str, Any]] = []
        if "type" not in data:
            changes.append(("type", "object"))
        if data.get("required") != required and (required or "required" in data):
            changes.append(("required", required or None))
        if data.get("properties") != properties:
            changes.append(("properties", properties or None))
        if not changes:
            return
        doc.undo_stack.beginMacro("Edit schema.yaml")
        for key, value in changes:
            if value is None:
                doc.delete_key(KIND, key)
            else:
                doc.set_value(KIND, key, value)
        doc.undo_stack.endMacro()
        doc.seal()

    def _on_fields_edited(self) -> None:
        if not self._loading:
            self.write_schema(self.fields.properties(), self.fields.required())

    def _on_yaml_user_edited(self, text: str) -> None:
        if self.doc is not None and not self._loading and self.other_contract() is None:
            self.doc.set_text(KIND, text)

    def infer_from_sample(self) -> InferDialog | None:
        """Open the review dialog with the fields inferred from the sample."""
        if not self.records or self.doc is None:
            return None
        from pycharter_gui.etl_generator import infer_schema

        proposal = merge_inferred(infer_schema(self.records), self.doc.data(KIND))
        self.infer_dialog = InferDialog(proposal, self)
        self.infer_dialog.accepted.connect(self._on_infer_dialog_accepted)
        self.infer_dialog.open()
        return self.infer_dialog

    def _on_infer_dialog_accepted(self) -> None:
        if self.infer_dialog is not None:
            table = self.infer_dialog.fields
            self.write_schema(table.properties(), table.required())
