"""The schema.yaml page: a JSON Schema's properties and required as one row per field."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.views.forms.contract.cells import check_item, enum_text, parse_enum
from pycharter_gui.designer.views.forms.widgets import (
    add_row_and_edit,
    remove_current_row,
    scalar_to_text,
)
from pycharter_gui.designer.yaml_roundtrip import parse_scalar

TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"]
# Table columns: header and the JSON Schema keyword each one edits.
COLUMNS = (("Field", ""), ("Type", "type"), ("Required", ""), ("Minimum", "minimum"),
           ("Maximum", "maximum"), ("Min length", "minLength"), ("Max length", "maxLength"),
           ("Pattern", "pattern"), ("Enum", "enum"))
KEYWORDS = tuple(k for _h, k in COLUMNS if k)
REQUIRED_COL = 2


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
        self.table.setItem(row, REQUIRED_COL, check_item(required))
        for col, (_h, key) in enumerate(COLUMNS):
            if key and key != "type":
                value = prop.get(key)
                text = enum_text(value) if key == "enum" else (
                    "" if value is None else str(value) if key == "pattern"
                    else scalar_to_text(value))
                self.table.setItem(row, col, QTableWidgetItem(text))
        return row

    def _on_add_clicked(self) -> None:
        add_row_and_edit(self.table, lambda: self._append("", {"type": "string"}, False))

    def _on_remove_clicked(self) -> None:
        if remove_current_row(self.table):
            self.edited.emit()

    def _on_type_changed(self, *_args: Any) -> None:
        self.edited.emit()

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.edited.emit()
