"""``FieldRowsTable``: what the schema and validation pages share, one row per field."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QTableWidget, QTableWidgetItem, QWidget

from pycharter_gui.designer.views.forms.contract.cells import enum_text, parse_enum
from pycharter_gui.designer.views.forms.widgets import (
    add_row_and_edit,
    refill_table,
    remove_current_row,
    scalar_to_text,
    table_with_buttons,
)
from pycharter_gui.designer.yaml_roundtrip import parse_scalar

TEXT_KEYWORDS = ("type", "pattern")  # their cells are taken as written, never as YAML


def keyword_text(key: str, value: Any) -> str:
    """How a field's ``key`` (an enum, a pattern, a bound) shows in its cell."""
    if key == "enum":
        return enum_text(value)
    if value is None:
        return ""
    return str(value) if key in TEXT_KEYWORDS else scalar_to_text(value)


def keyword_value(key: str, text: str) -> Any:
    """The value of ``key`` typed as ``text`` in its cell (None when the cell is empty)."""
    if not text:
        return None
    if key == "enum":
        return parse_enum(text)
    return text if key in TEXT_KEYWORDS else parse_scalar(text)


def lay_over(keywords: dict[str, Any], key: str, value: Any) -> None:
    """Put a cell's ``value`` of ``key`` into a field's ``keywords``: None removes the key, an
    equal value leaves it as written."""
    if value is None:
        keywords.pop(key, None)
    elif keywords.get(key) != value:
        keywords[key] = value


class FieldRowsTable(QWidget):
    """A table of one row per field (column 0: its name) with Add field and Remove under it;
    ``edited()`` after each change. Each row's name cell also keeps the name it was shown
    with, so a renamed field keeps its other keywords.

    Subclasses write ``_append(name, ...)`` (a row from the file) and ``_append_new()``.
    """

    edited = Signal()

    def __init__(self, headers: list[str], name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.table = QTableWidget(0, len(headers), self)
        self.table.setHorizontalHeaderLabels(headers)
        self.table.setAccessibleName(name)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        bar = table_with_buttons(self.table, self._on_add_clicked, self._on_remove_clicked,
                                 add_text="Add field", beside=False)
        self.add_button, self.remove_button = bar.add, bar.remove
        self.buttons = bar.buttons  # a page may add its own buttons here
        self.setLayout(bar.layout)
        self.table.itemChanged.connect(self._on_table_item_changed)

    def _fill(self, rows: Iterable[tuple[Any, ...]]) -> None:
        """Show ``rows`` (each the arguments of one ``_append``) without emitting edits."""
        refill_table(self.table, rows, self._append)
        self.table.resizeColumnsToContents()

    def _append(self, name: str, *args: Any) -> int:
        raise NotImplementedError

    def _append_new(self) -> int:
        raise NotImplementedError

    def _new_row(self, name: str) -> int:
        """Add a row holding only its name cell; its index."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        name_item = QTableWidgetItem(name)
        name_item.setData(Qt.ItemDataRole.UserRole, name)
        self.table.setItem(row, 0, name_item)
        return row

    def _original_name(self, row: int) -> str:
        """The name row ``row`` was shown with ("" for a row added here)."""
        item = self.table.item(row, 0)
        return (item.data(Qt.ItemDataRole.UserRole) if item is not None else "") or ""

    def _on_add_clicked(self) -> None:
        add_row_and_edit(self.table, self._append_new)

    def _on_remove_clicked(self) -> None:
        if remove_current_row(self.table):
            self.edited.emit()

    def _on_table_item_changed(self, _item: QTableWidgetItem) -> None:
        self.edited.emit()
