"""Contract tab: schema.yaml, coercion_rules.yaml and validation_rules.yaml as tables beside
their YAML, and inference of the schema from the transformed sample.

Edits go through the document like the other forms (one undo stack, comments and layout of
untouched lines kept); a file that does not exist yet is created by the first edit and
written when the pipeline is saved. A contract kept in schema.json, contract.yaml or
contract.json is shown read-only with a button that copies it into those YAML files.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.documents import CONTRACT_FILES, PipelineDocument
from pycharter_gui.designer.views.forms.contract.infer import (
    InferDialog,
    merge_inferred,
    transformed_sample,
)
from pycharter_gui.designer.views.forms.contract.schema_table import SchemaFieldsTable
from pycharter_gui.designer.views.forms.contract.validation_table import ValidationRulesTable
from pycharter_gui.designer.views.forms.fields import sample_catalog, schema_catalog
from pycharter_gui.designer.views.forms.widgets import KeyValueTable
from pycharter_gui.designer.views.yaml_editor import YamlEditor
from pycharter_gui.designer.yaml_roundtrip import parse, to_plain

KIND = "schema"
RULE_KINDS = ("coercion_rules", "validation_rules")


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
        return transformed_sample(self.doc, self.records)

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
