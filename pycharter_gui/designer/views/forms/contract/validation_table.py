"""The validation_rules.yaml page: one row per field with a column per rule."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.views.forms.contract.cells import check_item, enum_text, parse_enum
from pycharter_gui.designer.views.forms.fields import Catalog
from pycharter_gui.designer.views.forms.widgets import (
    FieldDelegate,
    add_row_and_edit,
    remove_current_row,
    scalar_to_text,
)
from pycharter_gui.designer.yaml_roundtrip import parse_scalar

# validation_rules.yaml columns: header, rule and the other spellings the engine accepts.
RULE_COLUMNS = (("Min", "min", ("minimum",)), ("Max", "max", ("maximum",)),
                ("Min length", "min_length", ("minLength",)),
                ("Max length", "max_length", ("maxLength",)), ("Pattern", "pattern", ()),
                ("Enum", "enum", ("allowed_values",)), ("Not null", "not_null", ("required",)),
                ("Unique", "unique", ()))
CHECK_RULES = ("not_null", "unique")


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
                self.table.setItem(row, col, check_item(bool(value)))
            else:
                text = enum_text(value) if rule == "enum" else (
                    "" if value is None else str(value) if rule == "pattern"
                    else scalar_to_text(value))
                self.table.setItem(row, col, QTableWidgetItem(text))
        return row

    def _on_add_clicked(self) -> None:
        add_row_and_edit(self.table, lambda: self._append("", {}))

    def _on_remove_clicked(self) -> None:
        if remove_current_row(self.table):
            self.edited.emit()

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.edited.emit()
