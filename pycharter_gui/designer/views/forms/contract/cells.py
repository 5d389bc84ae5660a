"""Table cells shared by the contract pages: enum lists as text and check boxes."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QTableWidgetItem,
)

from pycharter_gui.designer.views.forms.widgets import scalar_to_text
from pycharter_gui.designer.yaml_roundtrip import parse_scalar


def enum_text(value: Any) -> str:
    """An enum list as one cell's text: ``a, b`` (JSON when an item holds a comma)."""
    if not isinstance(value, list):
        return "" if value is None else scalar_to_text(value)
    items = [scalar_to_text(v) for v in value]
    return json.dumps(value) if any("," in i for i in items) else ", ".join(items)


def parse_enum(text: str) -> Any:
    """The enum of a cell's text (``a, b`` or a YAML list); None when empty."""
    text = text.strip()
    if not text or text.startswith("["):
        return parse_scalar(text) if text else None
    return [parse_scalar(part.strip()) for part in text.split(",") if part.strip()]


def check_item(checked: bool) -> QTableWidgetItem:
    """A checkable, selectable cell, checked or not."""
    item = QTableWidgetItem()
    item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled
                  | Qt.ItemFlag.ItemIsSelectable)
    item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
    return item
