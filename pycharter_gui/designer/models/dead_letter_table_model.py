"""DeadLetterTableModel: a lazy table over a DeadLetterQueue that pages in a worker.

``rowCount`` is the number of rows made available so far: ``fetchMore`` asks a worker for the
next page and the rows are inserted when it arrives; ``jump_to_end`` makes every
row available at once so the last row can be shown without paging through the rest. Only a
bounded LRU cache of pages is kept; a row whose page was evicted shows a placeholder and its
page is loaded again in the background. Filtering and sorting run in the DLQ backend.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
    Slot,
)

from pycharter_gui.etl_generator import DeadLetterQueue, DeadLetterRecord, DLQFilter

from .. import theme
from ..workers.dlq_jobs import effective_filter, fetch_page
from ..workers.task import TaskHandle

RecordRole = Qt.ItemDataRole.UserRole
PAGE_SIZE = 500
MAX_CACHED_PAGES = 16
PLACEHOLDER = "…"

#: (header, attribute on the record, backend column used to sort); the record's key fields
#: come between these and the error message, which is last so it takes the spare width.
BASE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Time", "timestamp", "timestamp"),
    ("Pipeline", "pipeline_name", "pipeline_name"),
    ("Stage", "stage", "stage"),
    ("Reason", "reason", "reason"),
    ("Status", "status", "status"),
)
MESSAGE_COLUMN = ("Error message", "error_message", "error_message")
_KEY_GUESSES = ("id", "key", "uuid", "code")

Index = QModelIndex | QPersistentModelIndex


def guess_key_fields(records: Sequence[DeadLetterRecord], limit: int = 2) -> list[str]:
    """Up to ``limit`` identifying fields seen in the records (``id``, ``*_id``, ...)."""
    seen: dict[str, None] = {}
    for rec in records[:50]:
        if isinstance(rec.record_data, dict):
            seen.update(dict.fromkeys(rec.record_data))
    keys = [k for k in seen if k.lower() in _KEY_GUESSES]
    keys += [k for k in seen if k.lower().endswith("_id") and k not in keys]
    return keys[:limit]


def _display(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "value"):
        return str(value.value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


class DeadLetterTableModel(QAbstractTableModel):
    """Dead letters of one queue and filter; ``RecordRole`` gives the ``DeadLetterRecord``.

    Signals: ``reloaded(total)`` after a (re)load, ``chunk_loaded(offset, count)`` when a page
    arrives, ``load_failed(exception)`` when the backend raised.
    """

    reloaded = Signal(int)
    chunk_loaded = Signal(int, int)
    load_failed = Signal(object)

    def __init__(self, parent: QObject | None = None, page_size: int = PAGE_SIZE,
                 max_cached_pages: int = MAX_CACHED_PAGES) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self.max_cached_pages = max(2, max_cached_pages)
        self._queue: DeadLetterQueue | None = None
        self._filters = DLQFilter()
        self._effective = DLQFilter()
        self._order_by = "timestamp"
        self._descending = False
        self._key_fields: list[str] = []
        self._auto_keys = True
        self._total = 0
        self._loaded = 0
        self._pages: OrderedDict[int, list[DeadLetterRecord]] = OrderedDict()
        self._requested: set[int] = set()
        self._generation = 0
        self._fetching = False
        self._is_loading = False
        self._handles: set[TaskHandle] = set()

    # -- configuration -----------------------------------------------------------------
    @property
    def queue(self) -> DeadLetterQueue | None:
        return self._queue

    @property
    def filters(self) -> DLQFilter:
        return self._filters

    @property
    def total(self) -> int:
        """Number of records matching the filter (known after ``reloaded``)."""
        return self._total

    @property
    def is_loading(self) -> bool:
        return self._is_loading

    @property
    def order_by(self) -> tuple[str, bool]:
        return self._order_by, self._descending

    @property
    def key_fields(self) -> list[str]:
        return list(self._key_fields)

    def set_queue(self, queue: DeadLetterQueue | None, key_fields: Sequence[str] | None = None,
                  filters: DLQFilter | None = None) -> None:
        """Show ``queue``; ``key_fields`` name record fields shown as columns (None: guess)."""
        self._queue = queue
        self._auto_keys = key_fields is None
        self._key_fields = list(key_fields or [])
        self._order_by, self._descending = "timestamp", False
        if filters is not None:
            self._filters = filters
        self.reload()

    def set_filters(self, filters: DLQFilter) -> None:
        """Show only records matching ``filters`` (evaluated by the backend)."""
        self._filters = filters
        self.reload()

    def reload(self) -> None:
        """Drop every cached row and load the first page again in a worker."""
        self._generation += 1
        self._cancel_all()
        self.beginResetModel()
        self._pages.clear()
        self._requested.clear()
        self._total = self._loaded = 0
        self._fetching = False
        self.endResetModel()
        if self._queue is None:
            self._is_loading = False
            return
        self._is_loading = True
        queue, flt, gen = self._queue, self._filters, self._generation
        order, desc, size = self._order_by, self._descending, self.page_size

        def work() -> tuple:
            eff = effective_filter(queue, flt)
            first = queue.page(eff, 0, size, order, desc)
            total = len(first) if len(first) < size else queue.count(eff)
            return ("open", gen, eff, total, first)

        self._start(work)

    # -- workers -----------------------------------------------------------------------
    def _start(self, work: Any) -> None:
        async def run(_reporter: Any) -> Any:
            return await asyncio.to_thread(work)

        handle = TaskHandle(run, parent=self, name="dlq-page")
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        handle.finished.connect(self._on_task_finished)
        self._handles.add(handle)
        handle.start()

    def _cancel_all(self) -> None:
        for handle in list(self._handles):
            handle.cancel()

    @Slot()
    def _on_task_finished(self) -> None:
        handle = self.sender()
        if isinstance(handle, TaskHandle):
            # Not deleteLater(): the handle frees itself once its own queued ``finished`` slot
            # ran. Deleting it here raced that slot (the loop thread posts one event per
            # receiver; this one could run and delete the handle before the other was posted),
            # which left finished handles in ``TaskHandle._running`` for good.
            self._handles.discard(handle)

    @Slot(object)
    def _on_task_failed(self, exc: object) -> None:
        self._is_loading = False
        self._fetching = False
        self.load_failed.emit(exc)

    @Slot(object)
    def _on_task_succeeded(self, result: object) -> None:
        kind, gen, *rest = result  # type: ignore[misc]
        if gen != self._generation:
            return  # an answer to a query the user has since replaced
        if kind == "open":
            eff, total, first = rest
            self._effective = eff
            if self._auto_keys and not self._key_fields:
                self._key_fields = guess_key_fields(first)
            self.beginResetModel()
            self._total = total
            self._pages.clear()
            if first:
                self._pages[0] = first
            self._loaded = len(first)
            self._is_loading = False
            self.endResetModel()
            self.reloaded.emit(total)
            self.chunk_loaded.emit(0, len(first))
        else:
            page_no, records = rest
            self._on_page(page_no, records)

    def _request_page(self, page_no: int) -> None:
        if page_no in self._requested or self._queue is None:
            return
        self._requested.add(page_no)
        queue, flt, gen = self._queue, self._effective, self._generation
        order, desc, size, total = self._order_by, self._descending, self.page_size, self._total

        def work() -> tuple:
            return ("page", gen, page_no, fetch_page(queue, flt, page_no * size, size, order, desc, total))

        self._start(work)

    def _on_page(self, page_no: int, records: list[DeadLetterRecord]) -> None:
        self._requested.discard(page_no)
        offset = page_no * self.page_size
        if len(records) < self.page_size and offset + len(records) < self._total:
            self._total = offset + len(records)  # the queue shrank since it was counted
        self._store_page(page_no, records)
        if self._fetching and offset == self._loaded:
            self._fetching = False
            if records:
                self.beginInsertRows(QModelIndex(), offset, offset + len(records) - 1)
                self._loaded = offset + len(records)
                self.endInsertRows()
        elif offset < self._loaded:
            last = min(self._loaded, offset + self.page_size) - 1
            if last >= offset:
                self.dataChanged.emit(self.index(offset, 0),
                                      self.index(last, self.columnCount() - 1))
        self.chunk_loaded.emit(offset, len(records))

    def _store_page(self, page_no: int, records: list[DeadLetterRecord]) -> None:
        self._pages[page_no] = records
        self._pages.move_to_end(page_no)
        while len(self._pages) > self.max_cached_pages:
            self._pages.popitem(last=False)

    # -- lazy loading ------------------------------------------------------------------
    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        if parent.isValid():
            return False
        return not self._fetching and not self._is_loading and self._loaded < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if not self.canFetchMore(parent):
            return
        self._fetching = True
        self._request_page(self._loaded // self.page_size)

    def jump_to_end(self) -> None:
        """Make every matching row available (the last page is fetched when shown)."""
        if self._is_loading or self._loaded >= self._total:
            return
        self._fetching = False
        self._requested.discard(self._loaded // self.page_size)
        self.beginInsertRows(QModelIndex(), self._loaded, self._total - 1)
        self._loaded = self._total
        self.endInsertRows()
        self._request_page((self._total - 1) // self.page_size)

    def cached_rows(self) -> int:
        """How many records are held in memory now (bounded by the page cache)."""
        return sum(len(p) for p in self._pages.values())

    # -- Qt model API ------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else self._loaded

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(BASE_COLUMNS) + len(self._key_fields) + 1

    def _column(self, col: int) -> tuple[str, str, str | None] | None:
        """(header, record attribute or ``record.<key>``, sort column) of a column."""
        n = len(BASE_COLUMNS)
        if 0 <= col < n:
            return BASE_COLUMNS[col]
        if n <= col < n + len(self._key_fields):
            key = self._key_fields[col - n]
            return key, f"record.{key}", None
        if col == n + len(self._key_fields):
            return MESSAGE_COLUMN
        return None

    def record(self, row: int) -> DeadLetterRecord | None:
        """The record at ``row`` when its page is cached (else None and the page is requested)."""
        if not 0 <= row < self._loaded:
            return None
        page_no, i = divmod(row, self.page_size)
        page = self._pages.get(page_no)
        if page is None:
            self._request_page(page_no)
            return None
        self._pages.move_to_end(page_no)
        return page[i] if i < len(page) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self._loaded:
            return None
        if role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, RecordRole,
                        Qt.ItemDataRole.ForegroundRole):
            return None
        rec = self.record(index.row())
        if rec is None:
            return PLACEHOLDER if role == Qt.ItemDataRole.DisplayRole else None
        if role == RecordRole:
            return rec
        if role == Qt.ItemDataRole.ForegroundRole:
            return theme.qcolor("muted") if rec.status.value == "resolved" else None
        spec = self._column(index.column())
        if spec is None:
            return None
        attr = spec[1]
        if attr.startswith("record."):
            data = rec.record_data if isinstance(rec.record_data, dict) else {}
            return _display(data.get(attr[len("record."):]))
        text = _display(getattr(rec, attr))
        if role == Qt.ItemDataRole.DisplayRole and attr == "timestamp":
            text = text.replace("T", " ")[:19]
        elif role == Qt.ItemDataRole.DisplayRole and attr == "error_message":
            text = text.splitlines()[0] if text else text
        return text

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return section + 1 if role == Qt.ItemDataRole.DisplayRole else None
        if not 0 <= section < self.columnCount():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            spec = self._column(section)
            return spec[0] if spec else None
        if role == Qt.ItemDataRole.ToolTipRole and not self.is_sortable(section):
            return "This column cannot be sorted with this dead-letter backend"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def sort_column_name(self, column: int) -> str | None:
        """The backend column used to sort ``column``, or None."""
        spec = self._column(column)
        return spec[2] if spec else None

    def is_sortable(self, column: int) -> bool:
        name = self.sort_column_name(column)
        return bool(name and self._queue is not None and name in self._queue.sortable_columns)

    def sort_column(self) -> int:
        """The column showing the current sort order (-1 if none)."""
        for i in range(self.columnCount()):
            if self.sort_column_name(i) == self._order_by:
                return i
        return -1

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort in the backend; columns it cannot sort are ignored."""
        if not self.is_sortable(column):
            return
        name = self.sort_column_name(column) or "timestamp"
        descending = order == Qt.SortOrder.DescendingOrder
        if (name, descending) == (self._order_by, self._descending):
            return
        self._order_by, self._descending = name, descending
        self.reload()

    # -- selection support -------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """What a worker needs to resolve rows to records without touching the model."""
        return {"queue": self._queue, "filters": self._effective, "order_by": self._order_by,
                "descending": self._descending, "page_size": self.page_size, "total": self._total,
                "pages": {k: list(v) for k, v in self._pages.items()}}
