"""Small editing widgets the forms are made of: key/value tables, ordered lists, masked URLs."""

from __future__ import annotations

import json
import re
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
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

from pycharter_gui.designer.yaml_roundtrip import parse_scalar, scalar_display


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
        add, remove = QPushButton("Add"), QPushButton("Remove")
        add.setToolTip("Add a row")
        remove.setToolTip("Remove the selected row")
        add.clicked.connect(self._on_add_clicked)
        remove.clicked.connect(self._on_remove_clicked)
        buttons = QVBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addStretch(1)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        lay.addLayout(buttons)
        self.add_button, self.remove_button = add, remove
        self.table.itemChanged.connect(self._on_table_item_changed)

    def set_mapping(self, mapping: dict[str, Any] | None) -> None:
        mapping = mapping if isinstance(mapping, dict) else {}
        if mapping == self.mapping():
            return
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for k, v in mapping.items():
            self._append(str(k), scalar_to_text(v))
        self._fit_height()
        self.table.blockSignals(False)

    def _append(self, key: str, value: str) -> int:
        row = self.table.rowCount()
        self.table.insertRow(row)
        self.table.setItem(row, 0, QTableWidgetItem(key))
        self.table.setItem(row, 1, QTableWidgetItem(value))
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
        self.table.blockSignals(True)
        row = self._append("", "")
        self.table.blockSignals(False)
        self.table.setCurrentCell(row, 0)
        self.table.editItem(self.table.item(row, 0))

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row >= 0:
            self.table.removeRow(row)
            self._fit_height()
            self.edited.emit(self.mapping())

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.edited.emit(self.mapping())


class ListEditor(QWidget):
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
        left.addWidget(self.list)
        left.addWidget(self.input)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(left, 1)
        lay.addLayout(side)
        self.buttons = buttons

    def items(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def set_items(self, items: list[Any] | str | None) -> None:
        """Show ``items``; a single scalar shows as a one-row list."""
        if items is not None and not isinstance(items, (list, dict)):
            items = [items]  # ``primary_key: id``: one name written as a scalar
        items = [str(i) for i in items] if isinstance(items, list) else []
        if items != self.items():
            self.list.clear()
            self.list.addItems(items)

    def _emit(self, *_args: Any) -> None:
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


_CRED = re.compile(r"^(?P<head>[A-Za-z0-9+.-]+://[^:/@]*:)(?P<pw>[^@]+)(?P<tail>@.*)$")


def mask_url(url: str) -> str:
    """``postgresql://u:secret@h/db`` -> ``postgresql://u:••••@h/db`` (``${VAR}`` kept)."""
    m = _CRED.match(url or "")
    if not m or m.group("pw").startswith("${"):
        return url
    return m.group("head") + "••••" + m.group("tail")


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
