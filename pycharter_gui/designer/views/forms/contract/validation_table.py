"""The validation_rules.yaml page: one row per field with a column per rule."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidgetItem, QWidget

from pycharter_gui.designer.views.forms.contract.cells import check_item
from pycharter_gui.designer.views.forms.contract.field_rows import (
    FieldRowsTable,
    keyword_text,
    keyword_value,
    lay_over,
)
from pycharter_gui.designer.views.forms.fields import Catalog
from pycharter_gui.designer.views.forms.widgets import FieldDelegate

# validation_rules.yaml columns: header, rule and the other spellings the engine accepts.
RULE_COLUMNS = (("Min", "min", ("minimum",)), ("Max", "max", ("maximum",)),
                ("Min length", "min_length", ("minLength",)),
                ("Max length", "max_length", ("maxLength",)), ("Pattern", "pattern", ()),
                ("Enum", "enum", ("allowed_values",)), ("Not null", "not_null", ("required",)),
                ("Unique", "unique", ()))
CHECK_RULES = ("not_null", "unique")


class ValidationRulesTable(FieldRowsTable):
    """validation_rules.yaml as one row per field (min, max, lengths, pattern, enum,
    not null, unique); rules the table has no column for are kept, not shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(["Field", *(h for h, _r, _a in RULE_COLUMNS)], "Validation rules", parent)
        self.field_delegate = FieldDelegate(self.table)
        self.table.setItemDelegateForColumn(0, self.field_delegate)
        self._rules: dict[str, dict[str, Any]] = {}

    def set_fields(self, fields: Catalog) -> None:
        """Offer ``fields`` in the Field column."""
        self.field_delegate.fields = dict(fields)

    def set_rules(self, rules: dict[str, Any] | None) -> None:
        rules = rules if isinstance(rules, dict) else {}
        shown = {str(k): (v if isinstance(v, dict) else {}) for k, v in rules.items()}
        if shown == self.rules() and shown == self._rules:
            return
        self._rules = shown
        self._fill(shown.items())

    def rules(self) -> dict[str, dict[str, Any]]:
        """Each row's rules: the field's original rules with the table's columns laid over."""
        out: dict[str, dict[str, Any]] = {}
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            name = item.text().strip() if item is not None else ""
            if not name:
                continue
            rules = dict(self._rules.get(self._original_name(row), {}))
            for col, (_h, rule, aliases) in enumerate(RULE_COLUMNS, 1):
                key = next((k for k in (rule, *aliases) if k in rules), rule)
                cell = self.table.item(row, col)
                if rule in CHECK_RULES:
                    value = True if cell.checkState() == Qt.CheckState.Checked else None
                else:
                    value = keyword_value(rule, cell.text().strip())
                lay_over(rules, key, value)
            out[name] = rules
        return out

    def _append(self, name: str, rules: dict[str, Any]) -> int:
        row = self._new_row(name)
        for col, (_h, rule, aliases) in enumerate(RULE_COLUMNS, 1):
            value = next((rules[k] for k in (rule, *aliases) if k in rules), None)
            if rule in CHECK_RULES:
                self.table.setItem(row, col, check_item(bool(value)))
            else:
                self.table.setItem(row, col, QTableWidgetItem(keyword_text(rule, value)))
        return row

    def _append_new(self) -> int:
        return self._append("", {})
