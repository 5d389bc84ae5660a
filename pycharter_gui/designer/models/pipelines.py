"""``PipelineListModel``: the workspace's pipelines with a status each (list view adapter)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon, QPainter, QPen, QPixmap

from pycharter_gui.designer import theme
from pycharter_gui.designer.workspace import Workspace

PipelineRole = Qt.ItemDataRole.UserRole
StatusRole = Qt.ItemDataRole.UserRole + 1
ProblemCountRole = Qt.ItemDataRole.UserRole + 2

STATUS_TEXT = {
    "running": "Running",
    "valid": "Valid",
    "problems": "Has problems",
    "tests_failed": "A saved test fails",
    "unsaved": "Unsaved changes",
    "incomplete": "Incomplete: missing files",
    "unchecked": "Not checked yet",
}
STATUS_COLOR = {  # theme roles; "not checked yet" is a ring, the others are filled dots
    "running": "accent",
    "valid": "ok",
    "problems": "error",
    "tests_failed": "flag",
    "unsaved": "warning",
    "incomplete": "muted",
    "unchecked": "muted",
}
#: The status dots explained (rich text with ``$role`` colours, for ``theme.set_rich_text``).
LEGEND_TEMPLATE = "&nbsp;&nbsp; ".join(  # lines break between entries only
    f"<span style='color:${role}'>{'○' if status == 'unchecked' else '●'}</span>&nbsp;"
    + STATUS_TEXT[status].split(":")[0].lower().replace(" ", "&nbsp;")
    for status, role in STATUS_COLOR.items())
_Index = QModelIndex | QPersistentModelIndex


def _dot(status: str) -> QIcon:
    """The status dot in the theme in use (a ring for "not checked yet")."""
    color = theme.qcolor(STATUS_COLOR[status])
    pm = QPixmap(12, 12)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    if status == "unchecked":
        p.setPen(QPen(color, 2))
        p.drawEllipse(2, 2, 8, 8)
    else:
        p.setBrush(color)
        p.setPen(Qt.PenStyle.NoPen)
        p.drawEllipse(1, 1, 10, 10)
    p.end()
    return QIcon(pm)


class PipelineListModel(QAbstractListModel):
    """Rows = ``workspace.pipelines``; problems are fed in by the validation worker."""

    def __init__(self, workspace: Workspace, parent: Any = None) -> None:
        super().__init__(parent)
        self._ws = workspace
        self._problems: dict[str, int] = {}
        self._tests_failed: set[str] = set()  # pipelines with a failing saved test (issue 19)
        self._running: set[Path] = set()  # folders with a run (or dry run) in progress
        self._icons: dict[tuple[str, str], QIcon] = {}  # (scheme, status) -> dot
        workspace.pipelines_changed.connect(self._on_workspace_pipelines_changed)

    def _on_workspace_pipelines_changed(self) -> None:
        self.beginResetModel()
        self.endResetModel()

    def rowCount(self, parent: _Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ws.pipelines)

    def status(self, name: str) -> str:
        info = self._ws.info(name)
        if info is None:
            return "unchecked"
        if info.is_incomplete:
            return "incomplete"
        if info.path in self._running:
            return "running"
        doc = self._ws.document(name) if self._ws.is_open(name) else None
        if (doc is not None and doc.has_parse_errors()) or self._problems.get(name):
            return "problems"
        if name in self._tests_failed:
            return "tests_failed"
        if doc is not None and doc.is_dirty():
            return "unsaved"
        return "valid" if name in self._problems else "unchecked"

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._ws.pipelines):
            return None
        info = self._ws.pipelines[index.row()]
        status = self.status(info.name)
        dirty = self._ws.is_open(info.name) and self._ws.document(info.name).is_dirty()
        count = self._problems.get(info.name, 0)
        if role == Qt.ItemDataRole.DisplayRole:
            text = info.name + (" *" if dirty else "")
            if info.format != "folder":  # a badge for pycharter's single-file formats
                text += f"  [{info.format_label}]"
            return f"{text}  ({count})" if count else text
        if role == Qt.ItemDataRole.DecorationRole:
            key = (theme.scheme(), status)
            if key not in self._icons:
                self._icons[key] = _dot(status)
            return self._icons[key]
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleDescriptionRole):
            tip = STATUS_TEXT[status]
            if info.missing:
                tip += ": " + ", ".join(info.missing)
            elif count:
                tip = f"{count} problem{'s' if count != 1 else ''}"
            tip += f"\nFormat: {info.format_label}" + (f" ({info.file.name})" if info.file else "")
            return f"{info.path}\n{tip}" if role == Qt.ItemDataRole.ToolTipRole else tip
        if role == PipelineRole:
            return info
        if role == StatusRole:
            return status
        if role == ProblemCountRole:
            return count
        return None

    def row_of(self, name: str) -> int:
        return next((i for i, p in enumerate(self._ws.pipelines) if p.name == name), -1)

    def set_problem_count(self, name: str, count: int) -> None:
        self._problems[name] = count
        self.refresh_row(name)

    def set_tests_failed(self, name: str, failed: bool) -> None:
        """Mark ``name`` as having a failing saved test (or clear the mark)."""
        if failed:
            self._tests_failed.add(name)
        else:
            self._tests_failed.discard(name)
        self.refresh_row(name)

    def set_running(self, folder: Path, running: bool) -> None:
        """Mark the pipeline in ``folder`` as running (a run or dry run in progress) or not."""
        was = folder in self._running
        if running == was:
            return
        (self._running.add if running else self._running.discard)(folder)
        info = next((p for p in self._ws.pipelines if p.path == folder), None)
        if info is not None:
            self.refresh_row(info.name)

    def refresh_row(self, name: str) -> None:
        row = self.row_of(name)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)
