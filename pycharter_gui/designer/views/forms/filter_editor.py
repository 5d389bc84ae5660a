"""The ``filter`` operation as rows of field, operator and value (all rows must hold)."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer import theme
from pycharter_gui.designer.views.forms.fields import Catalog
from pycharter_gui.designer.views.forms.widgets import (
    FieldPicker,
    scalar_to_text,
    show_unknown,
    table_with_buttons,
    warning_label,
)
from pycharter_gui.designer.yaml_roundtrip import parse_scalar

# Every operator of config-format §4.2 (the engine's filters.OPERATORS), with words.
OPERATORS: dict[str, str] = {
    "eq": "= equals", "ne": "≠ differs from", "gt": "> greater than",
    "gte": "≥ at least", "lt": "< less than", "lte": "≤ at most",
    "in": "is one of", "not_in": "is none of", "contains": "contains text",
    "not_contains": "does not contain text", "is_null": "is empty (null)",
    "is_not_null": "is not empty",
}
NO_VALUE = {"is_null", "is_not_null"}
LIST_VALUE = {"in", "not_in"}


def value_text(operator: str, value: Any) -> str:
    """How a condition's value shows: ``a, b`` for in/not_in lists, YAML scalars otherwise."""
    if operator in LIST_VALUE and isinstance(value, list):
        items = [scalar_to_text(v) for v in value]
        return json.dumps(value) if any("," in i for i in items) else ", ".join(items)
    return "" if value is None else scalar_to_text(value)


def parse_value(operator: str, text: str) -> Any:
    """The YAML value of a typed value: a list for in/not_in (comma separated or ``[..]``)."""
    text = text.strip()
    if operator in LIST_VALUE and not text.startswith("["):
        return [parse_scalar(part.strip()) for part in text.split(",") if part.strip()]
    return parse_scalar(text)


class FilterEditor(QWidget):
    """Conditions of ``filter``; ``edited(value)`` with a mapping, a list or None."""

    edited = Signal(object)
    sealed = Signal()  # the end of one edit (an undo step)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 3, self)
        self.table.setHorizontalHeaderLabels(["Field", "Operator", "Value"])
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.table.verticalHeader().setVisible(False)
        self.table.setAccessibleName("Filter conditions")
        bar = table_with_buttons(self.table, self._on_add_clicked, self._on_remove_clicked,
                                 tips=("Add a condition", "Remove the selected condition"))
        self.add_button, self.remove_button = bar.add, bar.remove
        note = QLabel("A record is kept when every condition holds (they combine with AND).")
        theme.set_style(note, "color: $mid; font-size: 11px;")
        self.warning = warning_label("Filter")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addLayout(bar.layout)
        lay.addWidget(note)
        lay.addWidget(self.warning)
        self._as_list = False
        self._fields: Catalog = {}
        self._check = True
        self._loading = False
        self._fit_height()

    # -- value ------------------------------------------------------------------------------
    def conditions(self) -> list[dict[str, Any]]:
        """The rows with a field, as the file writes them."""
        out = []
        for row in range(self.table.rowCount()):
            field, op, value = self._row_widgets(row)
            name = field.currentText().strip()
            if not name:
                continue
            operator = str(op.currentData() or op.currentText())
            cond: dict[str, Any] = {"field": name, "operator": operator}
            if operator not in NO_VALUE and value.text().strip():
                cond["value"] = parse_value(operator, value.text())
            out.append(cond)
        return out

    def value(self) -> Any:
        """One mapping for one condition (unless the file holds a list), else the list."""
        conds = self.conditions()
        if not conds:
            return None
        return conds if self._as_list or len(conds) > 1 else conds[0]

    def set_value(self, value: Any) -> None:
        """Show a ``filter`` value: a mapping or a list of mappings."""
        self._as_list = isinstance(value, list)
        conds = [c for c in (value if isinstance(value, list) else [value])
                 if isinstance(c, dict)]
        if conds == self.conditions() and self.table.rowCount() == len(conds):
            return
        self._loading = True
        self.table.setRowCount(0)
        for cond in conds:
            self._append(cond)
        self._loading = False
        self._fit_height()
        self._mark_unknown()

    def set_fields(self, fields: Catalog, check: bool = True) -> None:
        """Offer ``fields`` in the Field column; with ``check``, mark names not among them."""
        if fields == self._fields and check == self._check:
            return
        self._fields, self._check = dict(fields), check
        for row in range(self.table.rowCount()):
            self._row_widgets(row)[0].set_fields(fields)
        self._mark_unknown()

    # -- rows -------------------------------------------------------------------------------
    def _row_widgets(self, row: int) -> tuple[FieldPicker, QComboBox, QLineEdit]:
        return (self.table.cellWidget(row, 0), self.table.cellWidget(row, 1),  # type: ignore[return-value]
                self.table.cellWidget(row, 2))

    def _append(self, cond: dict[str, Any]) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        field = FieldPicker()
        field.set_fields(self._fields)
        field.setEditText(str(cond.get("field") or ""))
        op = QComboBox()
        op.setAccessibleName("Operator")
        for name, words in OPERATORS.items():
            op.addItem(f"{name}  ({words})", name)
        operator = str(cond.get("operator") or "eq")
        if op.findData(operator) < 0:
            op.addItem(operator, operator)  # an alias such as '>=' shows as written
        op.setCurrentIndex(op.findData(operator))
        value = QLineEdit(value_text(operator, cond.get("value")))
        value.setAccessibleName("Value")
        field.lineEdit().textEdited.connect(self._on_text_edited)
        field.lineEdit().editingFinished.connect(self.sealed)
        field.activated.connect(self._on_choice_made)
        op.activated.connect(self._on_choice_made)
        value.textEdited.connect(self._on_text_edited)
        value.editingFinished.connect(self.sealed)
        for col, w in enumerate((field, op, value)):
            self.table.setCellWidget(row, col, w)
            (field.lineEdit() if w is field else w).installEventFilter(self)
        self._update_value_state(row)
        return row

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Focus in a row's widget selects that row (for Remove)."""
        if event.type() == QEvent.Type.FocusIn and isinstance(watched, QWidget):
            cell = watched if watched.parentWidget() is not None and not isinstance(
                watched.parentWidget(), FieldPicker) else watched.parentWidget()
            row = self.table.indexAt(cell.pos()).row()
            if row >= 0:
                self.table.setCurrentCell(row, self.table.indexAt(cell.pos()).column())
        return super().eventFilter(watched, event)

    def _update_value_state(self, row: int) -> None:
        _field, op, value = self._row_widgets(row)
        operator = op.currentData()
        value.setEnabled(operator not in NO_VALUE)
        value.setPlaceholderText("no value" if operator in NO_VALUE else
                                 "a, b, c" if operator in LIST_VALUE else "value")

    def _fit_height(self) -> None:
        rows = min(max(self.table.rowCount() + 1, 2), 6)
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height()
                                  + 2 * self.table.frameWidth() + rows * 30)
        self.table.verticalHeader().setDefaultSectionSize(30)

    def _mark_unknown(self) -> None:
        names = [c["field"] for c in self.conditions()]
        show_unknown(self.warning, names, self._fields, self._check and bool(self._fields))

    def _emit(self) -> None:
        if not self._loading:
            self._mark_unknown()
            self.edited.emit(self.value())

    # -- slots ------------------------------------------------------------------------------
    def _on_text_edited(self, _text: str) -> None:
        self._emit()

    def _on_choice_made(self, _index: int) -> None:
        for row in range(self.table.rowCount()):
            self._update_value_state(row)
        self._emit()
        self.sealed.emit()

    def _on_add_clicked(self) -> None:
        row = self._append({})
        self._fit_height()
        self._row_widgets(row)[0].setFocus()

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            row = self.table.rowCount() - 1  # nothing chosen: the last condition
        if row >= 0:
            self.table.removeRow(row)
            self._fit_height()
            self._emit()
            self.sealed.emit()
