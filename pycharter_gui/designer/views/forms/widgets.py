"""Small editing widgets the forms are made of: editable tables and their Add/Remove set-up,
key/value tables, ordered lists, masked URLs, the "other keys" list. Field picking is
``field_pickers``' (its names are re-exported here, where the forms have always found them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any, NamedTuple

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QBoxLayout,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.views.forms.field_pickers import (
    FieldCompleter,
    FieldDelegate,
    FieldPicker,
    FieldPicking,
    field_model,
    show_unknown,
    unknown_brush,
    warning_label,
)
from pycharter_gui.designer.views.forms.fields import Catalog
from pycharter_gui.designer.yaml_roundtrip import parse_scalar, scalar_display
from pycharter_gui.etl_generator import mask_url as mask_url_secrets

__all__ = [
    "FieldCompleter", "FieldDelegate", "FieldPicker", "FieldPicking", "KeyValueTable",
    "ListEditor", "MaskedUrlEdit", "OtherKeysTable", "TableButtons", "add_row_and_edit",
    "append_text_row", "field_model", "mask_url", "refill_table", "remove_current_row",
    "scalar_to_text", "show_unknown", "table_with_buttons", "unknown_brush", "warning_label",
]


def add_row_and_edit(table: QTableWidget, append: Callable[[], int]) -> None:
    """Append a row (``append`` returns its index) without emitting edits, and start editing
    its first cell."""
    table.blockSignals(True)
    row = append()
    table.blockSignals(False)
    table.setCurrentCell(row, 0)
    table.editItem(table.item(row, 0))


def refill_table(table: QTableWidget, rows: Iterable[Sequence[Any]],
                 append: Callable[..., int]) -> None:
    """Replace the table's rows by ``rows`` (each the arguments of one ``append``) without
    emitting edits: showing a file's value is not an edit."""
    table.blockSignals(True)
    table.setRowCount(0)
    for row in rows:
        append(*row)
    table.blockSignals(False)


def append_text_row(table: QTableWidget, texts: Sequence[str]) -> int:
    """Append a row of plain text cells; its index."""
    row = table.rowCount()
    table.insertRow(row)
    for col, text in enumerate(texts):
        table.setItem(row, col, QTableWidgetItem(text))
    return row


def remove_current_row(table: QTableWidget) -> bool:
    """Remove the table's current row; False when no row is current."""
    row = table.currentRow()
    if row < 0:
        return False
    table.removeRow(row)
    return True


class TableButtons(NamedTuple):
    """What ``table_with_buttons`` made: the two buttons, their box and the whole layout."""

    add: QPushButton
    remove: QPushButton
    buttons: QBoxLayout  # more buttons go here (after the stretch)
    layout: QBoxLayout


def table_with_buttons(table: QTableWidget, on_add: Callable[[], None],
                       on_remove: Callable[[], None], *, add_text: str = "Add",
                       tips: tuple[str, str] | None = None, beside: bool = True) -> TableButtons:
    """An editable table with its Add and Remove buttons: in a column beside it (``beside``)
    or in a row under it, stretch after; the layout is not installed and has no margins."""
    add, remove = QPushButton(add_text), QPushButton("Remove")
    if tips is not None:
        add.setToolTip(tips[0])
        remove.setToolTip(tips[1])
    add.clicked.connect(on_add)
    remove.clicked.connect(on_remove)
    buttons = QVBoxLayout() if beside else QHBoxLayout()
    buttons.addWidget(add)
    buttons.addWidget(remove)
    buttons.addStretch(1)
    layout = QHBoxLayout() if beside else QVBoxLayout()
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(table, 1)
    layout.addLayout(buttons)
    return TableButtons(add, remove, buttons, layout)


def scalar_to_text(value: Any) -> str:
    """How a YAML value shows in a cell: ``true``, ``null``, ``50``, ``'1'`` for text that
    would read as a number, JSON for a nested value; ``parse_scalar`` reads it back."""
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return scalar_display(value)


class KeyValueTable(QWidget):
    """Editable two-column table of a mapping; ``edited(new_dict)`` after each change."""

    edited = Signal(dict)
    MAX_VISIBLE_ROWS = 6

    def __init__(self, key_header: str = "Key", value_header: str = "Value",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, 2, self)
        self.table.setHorizontalHeaderLabels([key_header, value_header])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self._fit_height()
        bar = table_with_buttons(self.table, self._on_add_clicked, self._on_remove_clicked,
                                 tips=("Add a row", "Remove the selected row"))
        self.add_button, self.remove_button = bar.add, bar.remove
        self.table.itemChanged.connect(self._on_table_item_changed)
        self.key_delegate = FieldDelegate(self.table)
        self.table.setItemDelegateForColumn(0, self.key_delegate)
        self.warning = warning_label(key_header)
        self._check_keys = False
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(2)
        outer.addLayout(bar.layout)
        outer.addWidget(self.warning)

    def set_fields(self, fields: Catalog, check: bool = False) -> None:
        """Offer ``fields`` in the key column; with ``check``, mark keys that are not fields."""
        self.key_delegate.fields = dict(fields)
        self._check_keys = check and bool(fields)
        self._mark_unknown()

    def _mark_unknown(self) -> None:
        fields = self.key_delegate.fields
        names = []
        for row in range(self.table.rowCount()):
            item = self.table.item(row, 0)
            if item is None:
                continue
            unknown = self._check_keys and item.text().strip() not in fields
            if unknown:
                names.append(item.text().strip())
            if (item.foreground() == unknown_brush()) != unknown:
                self.table.blockSignals(True)
                item.setForeground(unknown_brush() if unknown else QBrush())
                self.table.blockSignals(False)
        show_unknown(self.warning, names, fields, self._check_keys)

    def set_mapping(self, mapping: dict[str, Any] | None) -> None:
        mapping = mapping if isinstance(mapping, dict) else {}
        if mapping == self.mapping():
            return
        refill_table(self.table, ((str(k), scalar_to_text(v)) for k, v in mapping.items()),
                     self._append)
        self._fit_height()
        self._mark_unknown()

    def _append(self, key: str, value: str) -> int:
        row = append_text_row(self.table, (key, value))
        self._fit_height()
        return row

    def _fit_height(self) -> None:
        """Show every row up to ``MAX_VISIBLE_ROWS`` (a form in a scroll area would otherwise
        squeeze the table to its minimum and hide rows behind a tiny scroll bar)."""
        rows = min(max(self.table.rowCount() + 1, 2), self.MAX_VISIBLE_ROWS)
        frame = 2 * self.table.frameWidth()
        height = (self.table.horizontalHeader().sizeHint().height() + frame
                  + rows * self.table.verticalHeader().defaultSectionSize())
        self.table.setFixedHeight(height)

    def mapping(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            k = self.table.item(row, 0)
            v = self.table.item(row, 1)
            key = k.text().strip() if k else ""
            if key:
                out[key] = parse_scalar(v.text() if v else "")
        return out

    def _on_add_clicked(self) -> None:
        add_row_and_edit(self.table, lambda: self._append("", ""))

    def _on_remove_clicked(self) -> None:
        if remove_current_row(self.table):
            self._fit_height()
            self.edited.emit(self.mapping())

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self._mark_unknown()
        self.edited.emit(self.mapping())


class ListEditor(QWidget, FieldPicking):
    """Ordered list of names with add / remove / move up / move down; ``edited(list)``."""

    edited = Signal(list)

    def __init__(self, placeholder: str = "field name", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget(self)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
        self.list.setMaximumHeight(150)
        self.input = QLineEdit(self)
        self.input.setPlaceholderText(placeholder)
        self.input.returnPressed.connect(self._on_add_clicked)
        self._init_picking(self.input, "List")
        self._check = False
        buttons = {}
        side = QVBoxLayout()
        for name, tip in (("Add", "Add the name typed below"), ("Remove", "Remove selected"),
                          ("Up", "Move up"), ("Down", "Move down")):
            b = QPushButton(name)
            b.setToolTip(tip)
            side.addWidget(b)
            buttons[name] = b
        side.addStretch(1)
        buttons["Add"].clicked.connect(self._on_add_clicked)
        buttons["Remove"].clicked.connect(self._on_remove_clicked)
        buttons["Up"].clicked.connect(self._on_up_clicked)
        buttons["Down"].clicked.connect(self._on_down_clicked)
        self.list.model().rowsMoved.connect(self._emit)
        left = QVBoxLayout()
        left.setSpacing(2)
        left.addWidget(self.list)
        row = QHBoxLayout()
        row.addWidget(self.input, 1)
        row.addWidget(self.pick_button)
        left.addLayout(row)
        left.addWidget(self.warning)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(left, 1)
        lay.addLayout(side)
        self.buttons = buttons

    def items(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_fields(self, fields: Catalog, check: bool = False) -> None:
        """Offer ``fields`` for new rows; with ``check``, mark names that are not fields."""
        self._offer_fields(fields)
        self._check = check and bool(fields)
        self._mark_unknown()

    def _mark_unknown(self) -> None:
        names = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            unknown = self._check and item.text() not in self._fields
            if unknown:
                names.append(item.text())
            item.setForeground(unknown_brush() if unknown else QBrush())
        show_unknown(self.warning, names, self._fields, self._check)

    def _on_completer_activated(self, name: str) -> None:
        self.input.setText(name)
        self._on_add_clicked()

    def set_items(self, items: list[Any] | str | None) -> None:
        """Show ``items``; a single scalar shows as a one-row list."""
        if items is not None and not isinstance(items, (list, dict)):
            items = [items]  # ``primary_key: id``: one name written as a scalar
        items = [str(i) for i in items] if isinstance(items, list) else []
        if items != self.items():
            self.list.clear()
            self.list.addItems(items)
        self._mark_unknown()

    def _emit(self, *_args: Any) -> None:
        self._mark_unknown()
        self.edited.emit(self.items())

    def _on_add_clicked(self) -> None:
        name = self.input.text().strip()
        if name:
            self.list.addItem(name)
            self.input.clear()
            self._emit()

    def _on_remove_clicked(self) -> None:
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)
            self._emit()

    def _move(self, delta: int) -> None:
        row = self.list.currentRow()
        target = row + delta
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)
        self._emit()

    def _on_up_clicked(self) -> None:
        self._move(-1)

    def _on_down_clicked(self) -> None:
        self._move(1)


def mask_url(url: str) -> str:
    """``postgresql://u:secret@h/db`` -> ``postgresql://u:••••@h/db`` (``${VAR}`` kept; a
    password holding ``@`` is hidden whole: the engine's ``mask_url``)."""
    return mask_url_secrets(url, mask="••••") if url else url


class MaskedUrlEdit(QLineEdit):
    """A URL field that hides an inline password except while it is being edited."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._real = ""

    def real_text(self) -> str:
        return self.text() if self.hasFocus() else self._real

    def set_real_text(self, text: str) -> None:
        self._real = text
        self.blockSignals(True)
        self.setText(text if self.hasFocus() else mask_url(text))
        self.blockSignals(False)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.blockSignals(True)
        self.setText(self._real)
        self.blockSignals(False)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self._real = self.text()
        super().focusOutEvent(event)
        self.blockSignals(True)
        self.setText(mask_url(self._real))
        self.blockSignals(False)


class OtherKeysTable(QTableWidget):
    """Read-only list of keys the form does not know; they are kept in the file untouched."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(0, 2, parent)
        self.setHorizontalHeaderLabels(["Key", "Value (edit in the YAML tab)"])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMaximumHeight(140)
        self.setAccessibleName("Other keys")

    def set_items(self, items: dict[str, Any]) -> None:
        self.setRowCount(0)
        for k, v in items.items():
            row = self.rowCount()
            self.insertRow(row)
            self.setItem(row, 0, QTableWidgetItem(k))
            self.setItem(row, 1, QTableWidgetItem(scalar_to_text(v)))
            self.item(row, 0).setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
        self.setVisible(bool(items))
