"""RecordsTableModel: a lazy table over a list of record dicts (a preview sample).

The list is the source of truth; the model only translates it. Rows appear 500 at a time
through ``canFetchMore``/``fetchMore`` (no I/O: the records are already in memory). Headers
show the type of each column over every row held, kept as a running ``BatchProfile`` that
each appended batch merges into (so appending costs O(batch), never O(all rows)). Cells can
be marked (changed, contract mismatch, conversion warning) through background and tooltip
roles, or carry a small badge (a type change); whole rows can be marked (filtered, rejected)
and labelled in the row header (their sample row). Nested values show compactly;
``FullJsonRole`` holds their pretty JSON for the detail pane.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush

from .. import theme
from ..column_profile import BatchProfile, profile_batch

RecordRole = Qt.ItemDataRole.UserRole
ValueRole = Qt.ItemDataRole.UserRole + 1
FullJsonRole = Qt.ItemDataRole.UserRole + 2
MarkRole = Qt.ItemDataRole.UserRole + 3
ColumnTypeRole = Qt.ItemDataRole.UserRole + 4
ColumnNameRole = Qt.ItemDataRole.UserRole + 5

FETCH_CHUNK = 500
# marks (theme roles ``mark_<kind>``): changed value, new column, breaks the contract,
# conversion kept its original value, renamed, converted, removed by the transform
MARKS = theme.MARKS
_COMPACT_MAX = 80
_HEADER_SIGNS = {"mismatch": "⚠ ", "added": "+ ", "renamed": "↪ ", "converted": "⇄ ", "dropped": "✕ "}


def _mark_brush(kind: str) -> QBrush:
    """The background of a ``kind`` mark in the theme in use (unknown kinds as warnings)."""
    return QBrush(theme.qcolor(f"mark_{kind if kind in MARKS else 'warning'}"))


def compact(value: Any) -> str:
    """Short display text: nested values as ``{3 keys}``/``[5 items]`` previews."""
    if value is None:
        return ""
    if isinstance(value, dict):
        inner = json.dumps(value, default=str, ensure_ascii=False)
        return inner if len(inner) <= _COMPACT_MAX else f"{{{len(value)} keys}} " + inner[:_COMPACT_MAX] + "…"
    if isinstance(value, list | tuple):
        inner = json.dumps(list(value), default=str, ensure_ascii=False)
        return inner if len(inner) <= _COMPACT_MAX else f"[{len(value)} items] " + inner[:_COMPACT_MAX] + "…"
    text = str(value)
    return text if len(text) <= 500 else text[:500] + "…"


def pretty_json(value: Any) -> str:
    """Indented JSON for the detail pane (non-JSON types as text)."""
    return json.dumps(value, indent=2, default=str, ensure_ascii=False)


class RecordsTableModel(QAbstractTableModel):
    """Table over ``list[dict]``; ``RecordRole`` gives the whole record of a row."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._records: list[dict[str, Any]] = []
        self._columns: list[str] = []
        self._profile = BatchProfile()
        self._loaded = 0
        self._cell_marks: dict[tuple[int, str], tuple[str, str]] = {}
        self._cell_badges: dict[tuple[int, str], tuple[str, str]] = {}
        self._column_marks: dict[str, tuple[str, str]] = {}
        self._row_marks: dict[int, tuple[str, str]] = {}
        self._row_labels: list[str] | None = None

    # -- data in -----------------------------------------------------------------------------
    def set_records(self, records: list[dict[str, Any]], columns: list[str] | None = None,
                    profile: BatchProfile | None = None) -> None:
        """Replace everything (marks are cleared). ``profile`` is the records' profile when the
        caller already has it (made off the GUI thread), else it is computed here."""
        self.beginResetModel()
        self._records = list(records)
        self._profile = BatchProfile()
        self._profile.merge(profile if profile is not None else profile_batch(self._records))
        self._columns = list(columns) if columns is not None else list(self._profile.columns)
        self._loaded = min(len(self._records), FETCH_CHUNK)
        self._cell_marks.clear()
        self._cell_badges.clear()
        self._column_marks.clear()
        self._row_marks.clear()
        self._row_labels = None
        self.endResetModel()

    def append_records(self, records: list[dict[str, Any]], profile: BatchProfile | None = None) -> None:
        """Append records (a preview batch, "Load more"); new columns are added at the right.

        ``profile`` is ``profile_batch(records)``, best computed by the worker that produced the
        batch; it is merged into the running column types, so no earlier row is looked at again.
        """
        if not records:
            return
        batch = profile if profile is not None else profile_batch(records)
        before = {c: self._profile.column_type(c) for c in batch.columns}
        self._profile.merge(batch)
        new_cols = [c for c in batch.columns if c not in self._columns]
        if new_cols:
            self.beginInsertColumns(QModelIndex(), len(self._columns), len(self._columns) + len(new_cols) - 1)
            self._columns.extend(new_cols)
            self.endInsertColumns()
        was_all_loaded = self._loaded == len(self._records)
        self._records.extend(records)
        if any(self._profile.column_type(c) != t for c, t in before.items()):
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, max(0, len(self._columns) - 1))
        if was_all_loaded:  # the view showed everything: show the new rows too
            self.fetchMore(QModelIndex())

    def set_cell_marks(self, marks: dict[tuple[int, str], tuple[str, str]]) -> None:
        """``{(row, column): (kind, reason)}``; kind is one of ``MARKS``."""
        self._cell_marks = dict(marks)
        self._emit_all([Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole, MarkRole])

    def set_cell_badges(self, badges: dict[tuple[int, str], tuple[str, str]]) -> None:
        """``{(row, column): (kind, note)}``: a small square of the kind's colour beside the
        value and the note in its tooltip, leaving the cell unpainted (e.g. a type change)."""
        self._cell_badges = dict(badges)
        self._emit_all([Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.ToolTipRole])

    def set_row_marks(self, marks: dict[int, tuple[str, str]], labels: list[str] | None = None
                      ) -> None:
        """``{row: (kind, text)}`` paints whole rows, the text standing in an empty row's first
        cell; ``labels`` replace the row numbers of the header (e.g. the sample rows)."""
        self._row_marks = dict(marks)
        self._row_labels = list(labels) if labels is not None else None
        self._emit_all([Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.DisplayRole,
                        Qt.ItemDataRole.ToolTipRole, MarkRole])
        if self._loaded:
            self.headerDataChanged.emit(Qt.Orientation.Vertical, 0, self._loaded - 1)

    def row_mark(self, row: int) -> tuple[str, str] | None:
        return self._row_marks.get(row)

    def _emit_all(self, roles: list[int]) -> None:
        if self._loaded and self._columns:
            self.dataChanged.emit(self.index(0, 0),
                                  self.index(self._loaded - 1, len(self._columns) - 1), roles)

    def set_column_marks(self, marks: dict[str, tuple[str, str]]) -> None:
        """``{column: (kind, reason)}`` shown in the header (tooltip and a sign)."""
        self._column_marks = dict(marks)
        if self._columns:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(self._columns) - 1)

    # -- data out ----------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        return self._records

    def columns(self) -> list[str]:
        return list(self._columns)

    def column_type(self, column: str) -> str:
        return self._profile.column_type(column)

    def profile(self) -> BatchProfile:
        """Columns and value types over every row held (to restore them with ``set_records``)."""
        return self._profile

    def total_rows(self) -> int:
        """Rows held, loaded into the view or not."""
        return len(self._records)

    def cell_mark(self, row: int, column: str) -> tuple[str, str] | None:
        return self._cell_marks.get((row, column))

    # -- Qt model API ------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._columns)

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._loaded < len(self._records)

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if parent.isValid() or self._loaded >= len(self._records):
            return
        end = min(len(self._records), self._loaded + FETCH_CHUNK)
        self.beginInsertRows(QModelIndex(), self._loaded, end - 1)
        self._loaded = end
        self.endInsertRows()

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._loaded or index.column() >= len(self._columns):
            return None
        record = self._records[index.row()]
        column = self._columns[index.column()]
        value = record.get(column) if isinstance(record, dict) else None
        row_mark = self._row_marks.get(index.row())
        if role == Qt.ItemDataRole.DisplayRole:
            if row_mark is not None and not record and index.column() == 0:
                return row_mark[1]
            return compact(value)
        if role == RecordRole:
            return record
        if role == ValueRole:
            return value
        if role == FullJsonRole:
            return pretty_json(value)
        mark = self._cell_marks.get((index.row(), column)) or row_mark
        badge = self._cell_badges.get((index.row(), column))
        if role == MarkRole:
            return mark
        if role == Qt.ItemDataRole.DecorationRole and badge is not None:
            return theme.qcolor(f"mark_{badge[0]}")
        if role == Qt.ItemDataRole.BackgroundRole and mark is not None:
            return _mark_brush(mark[0])
        if role == Qt.ItemDataRole.ForegroundRole:
            if mark is not None:
                return QBrush(theme.qcolor("mark_text"))
            if value is None:
                return QBrush(theme.qcolor("muted"))
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = compact(value) if not isinstance(value, dict | list) else pretty_json(value)[:2000]
            if badge is not None:
                tip = f"{tip}\n\n{badge[1]}"
            return f"{mark[1]}\n\n{tip}" if mark is not None else tip
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int | float) and not isinstance(value, bool):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole:
                labels = self._row_labels
                return labels[section] if labels is not None and section < len(labels) else str(section + 1)
            mark = self._row_marks.get(section)
            if role == Qt.ItemDataRole.ToolTipRole and mark is not None:
                return mark[1]
            if role == Qt.ItemDataRole.BackgroundRole and mark is not None:
                return _mark_brush(mark[0])
            return None
        if section >= len(self._columns):
            return None
        column = self._columns[section]
        mark = self._column_marks.get(column)
        if role == Qt.ItemDataRole.DisplayRole:
            sign = _HEADER_SIGNS.get(mark[0], "• ") if mark else ""
            return f"{sign}{column}\n{self.column_type(column)}"
        if role == ColumnNameRole:
            return column
        if role == ColumnTypeRole:
            return self.column_type(column)
        if role == MarkRole:
            return mark
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{column}: {self.column_type(column)} (click for a summary)"
            return f"{tip}\n{mark[1]}" if mark else tip
        if role == Qt.ItemDataRole.BackgroundRole and mark is not None:
            return _mark_brush(mark[0])
        if role == Qt.ItemDataRole.ForegroundRole and mark is not None:
            return QBrush(theme.qcolor("mark_text"))
        return None
