"""Review of "Convert to folder format": the files to be written, each as a diff, before any
is written; the single pipeline file then goes to the workspace trash."""

from __future__ import annotations

import difflib
from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QSplitter,
    QVBoxLayout,
    QWidget,
)


def file_diff(path: Path, new: str) -> str:
    """``path`` (maybe absent) changed into ``new``, as a unified diff."""
    old = path.read_text(encoding="utf-8-sig") if path.is_file() else ""
    lines = difflib.unified_diff(old.splitlines(keepends=True), new.splitlines(keepends=True),
                                 f"{path.name} (now)" if old else "/dev/null",
                                 f"{path.name} (converted)")
    return "".join(lines)


class ConvertDialog(QDialog):
    """Lists the files a conversion writes (new or replacing one) and shows each one's diff;
    Convert accepts, Cancel writes nothing."""

    def __init__(self, folder: Path, original: Path, files: dict[str, str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Convert {folder.name} to the folder format")
        self.folder, self.files = folder, files
        summary = QLabel(
            f"These files are written in {folder}. {original.name} moves to the workspace "
            "trash (.pycharter/trash), with every file replaced here. The new files keep the "
            f"pipeline's meaning, not the comments of {original.name}.")
        summary.setWordWrap(True)
        self.file_list = QListWidget()
        self.file_list.setAccessibleName("Files to write")
        for name in files:
            state = "replaces the file there" if (folder / name).is_file() else "new"
            self.file_list.addItem(f"{name} ({state})")
        self.diff_view = QPlainTextEdit()
        self.diff_view.setReadOnly(True)
        self.diff_view.setAccessibleName("Changes of the selected file")
        self.diff_view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.file_list.currentRowChanged.connect(self._on_file_list_current_row_changed)
        split = QSplitter()
        split.addWidget(self.file_list)
        split.addWidget(self.diff_view)
        split.setSizes([200, 600])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton("Convert", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(summary)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.resize(900, 560)
        self.file_list.setCurrentRow(0)

    @Slot(int)
    def _on_file_list_current_row_changed(self, row: int) -> None:
        names = list(self.files)
        if 0 <= row < len(names):
            self.diff_view.setPlainText(file_diff(self.folder / names[row], self.files[names[row]]))


def review_conversion(parent: QWidget | None, folder: Path, original: Path,
                      files: dict[str, str]) -> bool:
    """Show the files a conversion writes; True when the user chose Convert."""
    return ConvertDialog(folder, original, files, parent).exec() == QDialog.DialogCode.Accepted
