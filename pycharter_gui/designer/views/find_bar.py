"""``FindBar``: find and replace in a plain-text editor (the YAML tabs), shown under it.

Find next/previous wrap around; Replace swaps the current match and moves on; Replace all is
one edit of the editor's text, so it is one step of the pipeline's undo stack.
"""

from __future__ import annotations

import re

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeyEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QToolButton,
    QWidget,
)

from .yaml_editor import YamlEditor

Flag = QTextDocument.FindFlag


class FindBar(QWidget):
    """Find (Ctrl+F) and Replace (Ctrl+H) for ``editor``; Escape closes it."""

    def __init__(self, editor: YamlEditor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.editor = editor
        self.find_edit = QLineEdit(placeholderText="Find", clearButtonEnabled=True)
        self.find_edit.setAccessibleName("Find text")
        self.replace_edit = QLineEdit(placeholderText="Replace with")
        self.replace_edit.setAccessibleName("Replace text")
        self.match_case = QCheckBox("Match case")
        self.status = QLabel()
        self.status.setAccessibleName("Find status")
        prev_button = QPushButton("Previous", toolTip="Find previous (Shift+Enter)")
        next_button = QPushButton("Next", toolTip="Find next (Enter)")
        self.replace_button = QPushButton("Replace")
        self.replace_all_button = QPushButton("Replace all")
        close = QToolButton(text="✕", autoRaise=True, toolTip="Close (Esc)")
        layout = QGridLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for col, w in enumerate((self.find_edit, prev_button, next_button, self.match_case,
                                 self.status)):
            layout.addWidget(w, 0, col)
        layout.addWidget(close, 0, 6)
        layout.addWidget(self.replace_edit, 1, 0)
        layout.addWidget(self.replace_button, 1, 1)
        layout.addWidget(self.replace_all_button, 1, 2)
        layout.setColumnStretch(0, 1)
        layout.setColumnStretch(5, 1)
        self.find_edit.returnPressed.connect(self.find_next)
        self.replace_edit.returnPressed.connect(self.replace)
        prev_button.clicked.connect(self.find_previous)
        next_button.clicked.connect(self.find_next)
        self.replace_button.clicked.connect(self.replace)
        self.replace_all_button.clicked.connect(self.replace_all)
        close.clicked.connect(self.close_bar)
        self.hide()

    def open(self, replace: bool = False) -> None:
        """Show the bar (with the replace row when ``replace``), seeded with the selection."""
        selected = self.editor.textCursor().selectedText()
        if selected and "\u2029" not in selected:
            self.find_edit.setText(selected)
        for w in (self.replace_edit, self.replace_button, self.replace_all_button):
            w.setVisible(replace)
        self.status.clear()
        self.show()
        self.find_edit.setFocus()
        self.find_edit.selectAll()

    @Slot()
    def close_bar(self) -> None:
        self.hide()
        self.editor.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close_bar()
        elif (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
              and event.modifiers() & Qt.KeyboardModifier.ShiftModifier):
            self.find_previous()
        else:
            super().keyPressEvent(event)

    def _flags(self, backward: bool = False) -> QTextDocument.FindFlag:
        flags = Flag(0)
        if self.match_case.isChecked():
            flags |= Flag.FindCaseSensitively
        if backward:
            flags |= Flag.FindBackward
        return flags

    def _find(self, backward: bool) -> bool:
        needle = self.find_edit.text()
        if not needle:
            return False
        found = self.editor.find(needle, self._flags(backward))
        if not found:  # wrap around
            cursor = self.editor.textCursor()
            cursor.movePosition(QTextCursor.MoveOperation.End if backward
                                else QTextCursor.MoveOperation.Start)
            self.editor.setTextCursor(cursor)
            found = self.editor.find(needle, self._flags(backward))
        self.status.setText("" if found else "Not found")
        return found

    @Slot()
    def find_next(self) -> bool:
        return self._find(backward=False)

    @Slot()
    def find_previous(self) -> bool:
        return self._find(backward=True)

    def _selection_matches(self) -> bool:
        selected, needle = self.editor.textCursor().selectedText(), self.find_edit.text()
        if self.match_case.isChecked():
            return bool(needle) and selected == needle
        return bool(needle) and selected.casefold() == needle.casefold()

    @Slot()
    def replace(self) -> None:
        """Replace the current match (finding one first), then go to the next."""
        if not self._selection_matches() and not self.find_next():
            return
        self._seal()
        self.editor.textCursor().insertText(self.replace_edit.text())
        self._seal()
        self.find_next()

    def _seal(self) -> None:
        """End the undo step of any typing before (and after) a replacement."""
        self.editor.flush_edit()
        self.editor.edit_paused.emit()

    @Slot()
    def replace_all(self) -> int:
        """Replace every match in one edit (one undo step); returns how many."""
        needle = self.find_edit.text()
        if not needle:
            return 0
        pattern = re.compile(re.escape(needle), 0 if self.match_case.isChecked() else re.IGNORECASE)
        replacement = self.replace_edit.text()
        text, count = pattern.subn(lambda _m: replacement, self.editor.toPlainText())
        if count:
            self._seal()
            cursor = self.editor.textCursor()
            position = cursor.position()
            cursor.select(QTextCursor.SelectionType.Document)
            cursor.insertText(text)
            cursor.setPosition(min(position, len(text)))
            self.editor.setTextCursor(cursor)
            self._seal()
        self.status.setText(f"Replaced {count}" if count else "Not found")
        return count
