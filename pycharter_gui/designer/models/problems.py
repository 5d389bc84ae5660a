"""``ProblemTableModel``: config problems of the selected pipeline (file, key, line, message)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

ProblemRole = Qt.ItemDataRole.UserRole
COLUMNS = ("", "File", "Key", "Line", "Message")
_Index = QModelIndex | QPersistentModelIndex


class ProblemTableModel(QAbstractTableModel):
    """Rows are ``ConfigProblem`` objects (engine type), exposed through ``ProblemRole``."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []

    def set_problems(self, problems: list[Any]) -> None:
        self.beginResetModel()
        self._rows = list(problems)
        self.endResetModel()

    def problems(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        p = self._rows[index.row()]
        if role == ProblemRole:
            return p
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            values = (
                "Error" if getattr(p, "severity", "error") == "error" else "Warning",
                p.file or "", p.key or "(whole file)", "" if p.line is None else str(p.line),
                p.message + (f" — {p.hint}" if getattr(p, "hint", None) else ""),
            )
            return values[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(p)
        return None
