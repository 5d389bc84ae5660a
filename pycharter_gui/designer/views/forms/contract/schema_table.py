"""The schema.yaml page: a JSON Schema's properties and required as one row per field."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHeaderView,
    QTableWidgetItem,
    QWidget,
)

from pycharter_gui.designer.views.forms.contract.cells import check_item
from pycharter_gui.designer.views.forms.contract.field_rows import (
    FieldRowsTable,
    keyword_text,
    keyword_value,
    lay_over,
)

TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
# Table columns: header and the JSON Schema keyword each one edits.
COLUMNS = (("Field", ""), ("Type", "type"), ("Required", ""), ("Minimum", "minimum"),
           ("Maximum", "maximum"), ("Min length", "minLength"), ("Max length", "maxLength"),
           ("Pattern", "pattern"), ("Enum", "enum"))
KEYWORDS = tuple(k for _h, k in COLUMNS if k)
REQUIRED_COL = 2


class SchemaFieldsTable(FieldRowsTable):
    """The ``properties`` and ``required`` of a JSON Schema as editable rows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__([h for h, _k in COLUMNS], "Contract fields", parent)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self._props: dict[str, Any] = {}

    # -- reading and writing -----------------------------------------------------------------
    def set_schema(self, schema: dict[str, Any] | None) -> None:
        """Show ``schema``'s fields (other keywords of a field are kept, not shown)."""
        schema = schema if isinstance(schema, dict) else {}
        props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
        required = schema.get("required") if isinstance(schema.get("required"), list) else []
        if props == self.properties() and required == self.required() and props == self._props:
            return
        self._props = {str(k): (v if isinstance(v, dict) else {}) for k, v in props.items()}
        self._fill((name, prop, name in required) for name, prop in self._props.items())

    def properties(self) -> dict[str, Any]:
        """Each row's property: its original keywords, with the table's columns laid over."""
        out: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            name = self._text(row, 0)
            if not name:
                continue
            prop = dict(self._props.get(self._original_name(row), {}))
            for col, (_h, key) in enumerate(COLUMNS):
                if not key:
                    continue
                text = self._text(row, col)
                if key == "type" and "," in text:  # a union such as [string, "null"]
                    prop[key] = [t.strip() for t in text.split(",") if t.strip()]
                    continue
                lay_over(prop, key, keyword_value(key, text))
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
        row = self._new_row(name)
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
        self.table.setItem(row, REQUIRED_COL, check_item(required))
        for col, (_h, key) in enumerate(COLUMNS):
            if key and key != "type":
                self.table.setItem(row, col, QTableWidgetItem(keyword_text(key, prop.get(key))))
        return row

    def _append_new(self) -> int:
        return self._append("", {"type": "string"}, False)

    def _on_type_changed(self, *_args: Any) -> None:
        self.edited.emit()
