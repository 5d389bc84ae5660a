"""Contract tab: schema.yaml, coercion_rules.yaml and validation_rules.yaml as tables beside
their YAML, and inference of the schema from the transformed sample.

Edits go through the document like the other forms (one undo stack, comments and layout of
untouched lines kept); a file that does not exist yet is created by the first edit and
written when the pipeline is saved. A contract kept in schema.json, contract.yaml or
contract.json is shown read-only with a button that copies it into those YAML files.
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
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.documents import CONTRACT_FILES, PipelineDocument
from pycharter_gui.designer.pipeline_tasks import normalized_transform, without_custom_function
from pycharter_gui.designer.trust import workspace_trust
from pycharter_gui.designer.views.forms.fields import Catalog, sample_catalog, schema_catalog
from pycharter_gui.designer.views.forms.widgets import FieldDelegate, KeyValueTable, scalar_to_text
from pycharter_gui.designer.views.yaml_editor import YamlEditor
from pycharter_gui.designer.yaml_roundtrip import parse, parse_scalar, to_plain

KIND = "schema"
RULE_KINDS = ("coercion_rules", "validation_rules")
TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
# Table columns: header and the JSON Schema keyword each one edits.
COLUMNS = (("Field", ""), ("Type", "type"), ("Required", ""), ("Minimum", "minimum"),
           ("Maximum", "maximum"), ("Min length", "minLength"), ("Max length", "maxLength"),
           ("Pattern", "pattern"), ("Enum", "enum"))
KEYWORDS = tuple(k for _h, k in COLUMNS if k)
REQUIRED_COL = 2
# validation_rules.yaml columns: header, rule and the other spellings the engine accepts.
RULE_COLUMNS = (("Min", "min", ("minimum",)), ("Max", "max", ("maximum",)),
                ("Min length", "min_length", ("minLength",)),
                ("Max length", "max_length", ("maxLength",)), ("Pattern", "pattern", ()),
                ("Enum", "enum", ("allowed_values",)), ("Not null", "not_null", ("required",)),
                ("Unique", "unique", ()))
CHECK_RULES = ("not_null", "unique")


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


def _check_item(checked: bool) -> QTableWidgetItem:
    item = QTableWidgetItem()
    item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                  | Qt.ItemFlag.ItemIsSelectable)
    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    return item


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
        self.table.setItem(row, REQUIRED_COL, _check_item(required))
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


class ValidationRulesTable(QWidget):
    """validation_rules.yaml as one row per field (min, max, lengths, pattern, enum,
    not null, unique); rules the table has no column for are kept, not shown."""

    edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 1 + len(RULE_COLUMNS), self)
        self.table.setHorizontalHeaderLabels(["Field", *(h for h, _r, _a in RULE_COLUMNS)])
        self.table.setAccessibleName("Validation rules")
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.field_delegate = FieldDelegate(self.table)
        self.table.setItemDelegateForColumn(0, self.field_delegate)
        self.add_button, self.remove_button = QPushButton("Add field"), QPushButton("Remove")
        self.add_button.clicked.connect(self._on_add_clicked)
        self.remove_button.clicked.connect(self._on_remove_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self._rules: dict[str, dict[str, Any]] = {}
        self.table.itemChanged.connect(self._on_table_item_changed)

    def set_fields(self, fields: Catalog) -> None:
        """Offer ``fields`` in the Field column."""
        self.field_delegate.fields = dict(fields)

    def set_rules(self, rules: dict[str, Any] | None) -> None:
        rules = rules if isinstance(rules, dict) else {}
        shown = {str(k): (v if isinstance(v, dict) else {}) for k, v in rules.items()}
        if shown == self.rules() and shown == self._rules:
            return
        self._rules = shown
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name, field_rules in shown.items():
            self._append(name, field_rules)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()

    def rules(self) -> dict[str, dict[str, Any]]:
        """Each row's rules: the field's original rules with the table's columns laid over."""
        out: dict[str, dict[str, Any]] = {}
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            name = item.text().strip() if item is not None else ""
            if not name:
                continue
            rules = dict(self._rules.get(item.data(Qt.ItemDataRole.UserRole) or "", {}))
            for col, (_h, rule, aliases) in enumerate(RULE_COLUMNS, 1):
                key = next((k for k in (rule, *aliases) if k in rules), rule)
                cell = self.table.item(row, col)
                if rule in CHECK_RULES:
                    value = True if cell.checkState() == Qt.CheckState.Checked else None
                else:
                    text = cell.text().strip()
                    value = (None if not text else parse_enum(text) if rule == "enum"
                             else text if rule == "pattern" else parse_scalar(text))
                if value is None:
                    rules.pop(key, None)
                elif rules.get(key) != value:
                    rules[key] = value
            out[name] = rules
        return out

    def _append(self, name: str, rules: dict[str, Any]) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(Qt.ItemDataRole.UserRole, name)
        self.table.setItem(row, 0, name_item)
        for col, (_h, rule, aliases) in enumerate(RULE_COLUMNS, 1):
            value = next((rules[k] for k in (rule, *aliases) if k in rules), None)
            if rule in CHECK_RULES:
                self.table.setItem(row, col, _check_item(bool(value)))
            else:
                text = enum_text(value) if rule == "enum" else (
                    "" if value is None else str(value) if rule == "pattern"
                    else scalar_to_text(value))
                self.table.setItem(row, col, QTableWidgetItem(text))
        return row

    def _on_add_clicked(self) -> None:
        self.table.blockSignals(True)
        row = self._append("", {})
        self.table.blockSignals(False)
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self.edited.emit()

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.edited.emit()


class InferDialog(QDialog):
    """The fields inferred from the sample, for review and edits before they are written."""

    def __init__(self, schema: dict[str, Any], parent: QWidget | None = None,
                 source: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Infer a contract from the sample")
        self.fields = SchemaFieldsTable(self)
        self.fields.set_schema(schema)
        self.note = QLabel(f"Types come from {source or 'the preview sample'}; a field present "
                           "in every sampled record is marked required. Tighten the rules here "
                           "or later in the Contract tab.")
        self.note.setWordWrap(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.write_button = box.addButton("Write to schema.yaml",
                                          QDialogButtonBox.ButtonRole.AcceptRole)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
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


def mapping_edits(old: dict[str, Any], new: dict[str, Any]) -> list[tuple[list[str], Any]]:
    """The key paths to set (value) or remove (None) to turn ``old`` into ``new``; a field's
    rules change one by one, so only their lines change."""
    edits: list[tuple[list[str], Any]] = [([k], None) for k in old if k not in new]
    for key, value in new.items():
        before = old.get(key)
        if isinstance(value, dict) and value and isinstance(before, dict) and before:
            edits += [([key, k], None) for k in before if k not in value]
            edits += [([key, k], v) for k, v in value.items() if before.get(k) != v]
        elif before != value or key not in old:
            edits.append(([key], value))
    return edits


def _page(table: QWidget, yaml: YamlEditor) -> QSplitter:
    splitter = QSplitter(Qt.Orientation.Vertical)
    splitter.addWidget(table)
    splitter.addWidget(yaml)
    splitter.setSizes([320, 200])
    return splitter


class ContractForm(QWidget):
    """Edit schema.yaml, coercion_rules.yaml and validation_rules.yaml as tables; the YAML
    below each follows every edit (and edits it back)."""

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
        self.convert_button = QPushButton("Copy into schema.yaml and rule files")
        self.convert_button.setAccessibleName("Convert contract")
        self.convert_button.clicked.connect(self.convert_other_contract)
        self.fields = SchemaFieldsTable()
        self.infer_button = QPushButton("Infer from sample…")
        self.infer_button.setAccessibleName("Infer from sample")
        self.infer_button.clicked.connect(self.infer_from_sample)
        self.fields.buttons.addWidget(self.infer_button)
        self.coercion = KeyValueTable("Field", "Coerce to (int, float, str, bool, date…)")
        self.coercion.table.setAccessibleName("Coercion rules")
        self.coercion.MAX_VISIBLE_ROWS = 12
        self.validation = ValidationRulesTable()
        self.yaml_views = {kind: YamlEditor() for kind in (KIND, *RULE_KINDS)}
        for kind, view in self.yaml_views.items():
            view.setAccessibleName(f"YAML editor {kind}")
            view.user_edited.connect(self._make_yaml_slot(kind))
            view.edit_paused.connect(self._seal)
        self.yaml = self.yaml_views[KIND]
        self.parts = QTabWidget()
        self.parts.setAccessibleName("Contract files")
        for kind, table in ((KIND, self.fields), ("coercion_rules", self.coercion),
                            ("validation_rules", self.validation)):
            self.parts.addTab(_page(table, self.yaml_views[kind]), f"{kind}.yaml")
        top = QHBoxLayout()
        top.addWidget(self.note, 1)
        top.addWidget(self.convert_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(16, 12, 16, 12)
        lay.addLayout(top)
        lay.addWidget(self.parts, 1)
        self.fields.edited.connect(self._on_fields_edited)
        self.coercion.edited.connect(self._on_coercion_edited)
        self.validation.edited.connect(self._on_validation_edited)
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
        self._update_rule_fields()

    def _update_infer_button(self) -> None:
        self.infer_button.setEnabled(bool(self.records) and self.fields.isEnabled())
        self.infer_button.setToolTip(
            "Propose fields, types and required from the preview sample after the transform"
            if self.records
            else "Preview the source first (F5): the sample is what the contract is inferred from")

    def _on_doc_text_changed(self, kind: str) -> None:
        if kind in self.yaml_views or kind == "transform":
            self.refresh()

    def other_contract(self) -> str | None:
        """The contract file the tab cannot edit in place (schema.json, contract.yaml,
        contract.json), while there is no schema.yaml on disk or in the editor."""
        doc = self.doc
        if doc is None or doc.exists(KIND) or doc.text(KIND):
            return None
        return next((f for f in CONTRACT_FILES if f != "schema.yaml"
                     and (doc.path / f).is_file()), None)

    def _other_note(self, name: str) -> str:
        if name == "schema.json":
            return ("This pipeline's schema is in schema.json. The designer edits YAML in "
                    "place (comments and layout kept), and its edits would not stay valid JSON, "
                    "so schema.json is shown read-only. Copy it into schema.yaml to edit it "
                    "here: runs read schema.yaml before schema.json.")
        return (f"{name} holds the whole contract in one file. Runs of this folder do not "
                "read it: they read schema.yaml (or schema.json), coercion_rules.yaml and "
                "validation_rules.yaml beside the configs. Copy it into those files to edit "
                f"it here and have runs apply it; {name} is left as it is.")

    def refresh(self) -> None:
        doc = self.doc
        self._loading = True
        try:
            other = self.other_contract()
            self.convert_button.setVisible(other is not None)
            for kind, view in self.yaml_views.items():
                view.setReadOnly(doc is None or other is not None)
                if kind != KIND or other is None:
                    view.set_text_preserving_cursor(doc.text(kind) if doc else "")
                    view.set_error_line(e.line if doc and (e := doc.parse_error(kind)) else None)
            for kind, table in ((KIND, self.fields), ("coercion_rules", self.coercion),
                                ("validation_rules", self.validation)):
                table.setEnabled(doc is not None and other is None
                                 and doc.parse_error(kind) is None)
            if other is not None:
                self.note.setText(self._other_note(other))
                self.yaml.set_text_preserving_cursor(
                    (doc.path / other).read_text(encoding="utf-8", errors="replace"))
                return
            self.note.setText(self._note())
            if doc is not None:
                self.fields.set_schema(doc.data(KIND))
                self.coercion.set_mapping(doc.data("coercion_rules"))
                self.validation.set_rules(doc.data("validation_rules"))
            self._update_rule_fields()
        finally:
            self._loading = False
            self._update_infer_button()

    def _note(self) -> str:
        doc = self.doc
        if doc is None:
            return ""
        for kind in self.yaml_views:
            if (error := doc.parse_error(kind)) is not None:
                return (f"{kind}.yaml does not parse at line {error.line}: {error.message}. "
                        "The table shows the last valid version.")
        if not doc.exists(KIND) and not doc.text(KIND):
            return ("No schema.yaml yet: add fields or infer them from the preview sample. "
                    "Each file is created with your first edit and written when you save.")
        return ("Records that break these rules go to the dead-letter queue; coercion rules "
                "convert values before the checks.")

    def _update_rule_fields(self) -> None:
        """The rule tables offer the schema's fields and the transformed sample's."""
        if self.doc is None:
            return
        fields = {**schema_catalog(self.doc.data(KIND)), **sample_catalog(self.records[:200])}
        self.coercion.set_fields(fields)
        self.validation.set_fields(fields)

    # -- writing -----------------------------------------------------------------------------
    def _seal(self) -> None:
        if self.doc is not None:
            self.doc.seal()

    def _make_yaml_slot(self, kind: str) -> Any:
        def on_edit(text: str) -> None:
            if self.doc is not None and not self._loading and self.other_contract() is None:
                self.doc.set_text(kind, text)
        return on_edit

    def write(self, kind: str, edits: list[tuple[list[str], Any]], label: str = "") -> None:
        """Apply ``edits`` (key path, value or None to remove) to ``kind`` as one undo step."""
        doc = self.doc
        if doc is None or doc.parse_error(kind) or not edits:
            return
        doc.undo_stack.beginMacro(label or f"Edit {kind}.yaml")
        for key, value in edits:
            if value is None:
                doc.delete_key(kind, key)
            else:
                doc.set_value(kind, key, value)
        doc.undo_stack.endMacro()
        doc.seal()

    def write_schema(self, properties: dict[str, Any], required: list[str]) -> None:
        """Write ``properties`` and ``required`` as one undo step (creating the file's
        ``type: object`` when it has none)."""
        if self.doc is None:
            return
        data = self.doc.data(KIND)
        edits: list[tuple[list[str], Any]] = []
        if "type" not in data:
            edits.append((["type"], "object"))
        if data.get("required") != required and (required or "required" in data):
            edits.append((["required"], required or None))
        if data.get("properties") != properties:
            edits.append((["properties"], properties or None))
        self.write(KIND, edits)

    def _on_fields_edited(self) -> None:
        if not self._loading:
            self.write_schema(self.fields.properties(), self.fields.required())

    def _on_coercion_edited(self, mapping: dict[str, Any]) -> None:
        if not self._loading and self.doc is not None:  # a row waits for its type
            rules = {k: v for k, v in mapping.items() if v not in ("", None)}
            self.write("coercion_rules", mapping_edits(self.doc.data("coercion_rules"), rules))

    def _on_validation_edited(self) -> None:
        if not self._loading and self.doc is not None:
            self.write("validation_rules", mapping_edits(self.doc.data("validation_rules"),
                                                         self.validation.rules()))

    def convert_other_contract(self) -> None:
        """Copy schema.json or a one-file contract into schema.yaml and the rule files (one
        undo step; written when the pipeline is saved)."""
        other = self.other_contract()
        if other is None or self.doc is None:
            return
        data = to_plain(parse((self.doc.path / other).read_text(encoding="utf-8")))
        data = data if isinstance(data, dict) else {}
        parts = {KIND: data} if other == "schema.json" else {
            kind: data.get(kind) for kind in (KIND, *RULE_KINDS)}
        doc = self.doc
        doc.undo_stack.beginMacro(f"Copy {other} into YAML files")
        for kind, part in parts.items():
            if isinstance(part, dict) and part:
                self.write(kind, mapping_edits(doc.data(kind), part))
        doc.undo_stack.endMacro()
        self.refresh()

    # -- inference ---------------------------------------------------------------------------
    def transformed_sample(self) -> tuple[list[dict[str, Any]], str]:
        """The sample as the contract sees it (after the unsaved transform, without an
        untrusted custom function), and where it comes from in words."""
        from pycharter_gui.etl_generator import transform_batch

        doc = self.doc
        if doc is None:
            return self.records, ""
        try:
            cfg = normalized_transform(doc.text("transform"), doc.path)
            if not workspace_trust().is_trusted(doc.path):
                cfg, _skipped = without_custom_function(cfg)
            return (transform_batch(self.records, cfg).records,
                    "the preview sample after the transform")
        except Exception as exc:  # a broken transform: say so and infer from the source
            return self.records, f"the source sample (the transform could not run: {exc})"

    def infer_from_sample(self) -> InferDialog | None:
        """Open the review dialog with the fields inferred from the transformed sample."""
        if not self.records or self.doc is None:
            return None
        from pycharter_gui.etl_generator import infer_schema

        records, source = self.transformed_sample()
        proposal = merge_inferred(infer_schema(records), self.doc.data(KIND))
        self.infer_dialog = InferDialog(proposal, self, source)
        self.infer_dialog.accepted.connect(self._on_infer_dialog_accepted)
        self.infer_dialog.open()
        return self.infer_dialog

    def _on_infer_dialog_accepted(self) -> None:
        if self.infer_dialog is not None:
            table = self.infer_dialog.fields
            self.write_schema(table.properties(), table.required())
