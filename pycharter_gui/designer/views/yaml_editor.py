"""YAML text editor: line numbers, error-line marking, go-to-line, typing handed on in undo
steps (colouring is ``yaml_highlighter``'s)."""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QFontDatabase,
    QKeySequence,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QPlainTextDocumentLayout, QPlainTextEdit, QTextEdit, QWidget

from pycharter_gui.designer import theme

from .yaml_highlighter import YamlHighlighter


class _LineNumberArea(QWidget):
    def __init__(self, editor: YamlEditor) -> None:
        super().__init__(editor)
        self.editor = editor

    def sizeHint(self) -> QSize:
        return QSize(self.editor.line_number_width(), 0)

    def paintEvent(self, event: QPaintEvent) -> None:
        self.editor.paint_line_numbers(event)


def next_line_indent(line: str) -> str:
    """Indentation after ``line`` (Enter): the same, plus 2 spaces after a ``key:`` line."""
    indent = line[:len(line) - len(line.lstrip(" "))]
    code = re.sub(r"(^|\s)#.*$", "", line).rstrip()
    return indent + "  " if code.endswith(":") else indent


def _is_undo_key(event: QEvent) -> bool:
    """The platform's Undo/Redo keys: the ones the text editor claims for itself."""
    matches = getattr(event, "matches", None)
    return matches is not None and (matches(QKeySequence.StandardKey.Undo)
                                    or matches(QKeySequence.StandardKey.Redo))


def _is_shortcut(event: QEvent) -> bool:
    """A key with Ctrl/Alt/Meta, or a function key: it may trigger a window action."""
    modifiers = event.modifiers() & (Qt.KeyboardModifier.ControlModifier
                                     | Qt.KeyboardModifier.AltModifier
                                     | Qt.KeyboardModifier.MetaModifier)
    return bool(modifiers) or Qt.Key.Key_F1 <= event.key() <= Qt.Key.Key_F35


def _common_prefix(a: str, b: str) -> int:
    """Length of the common start of ``a`` and ``b`` (bisection over C-speed compares)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    """Length (at most ``limit``) of the common end of ``a`` and ``b``."""
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _utf16_indexable(text: str) -> bool:
    """Python indexes equal Qt's UTF-16 positions (no character outside the BMP)."""
    return text.isascii() or max(text) <= "\uffff"


TYPING_PAUSE_MS = 800  # typing merges into one undo step until a pause this long, or Enter
EDIT_DEBOUNCE_MS = 150  # typed text reaches the document (and its parse) after this pause


class YamlEditor(QPlainTextEdit):
    """Plain-text YAML editor; its own undo is off so the pipeline's undo stack owns edits.

    Ctrl+Z / Ctrl+Shift+Z are left to the window's Undo/Redo (the pipeline's stack), and
    ``edit_paused`` marks where one undo step of typing ends. Typed text is handed on by
    ``user_edited`` after a short pause (a keystroke must not cost a parse of the whole file);
    any other change, a shortcut, leaving the editor or ``flush_edit()`` hands it on at once.
    """

    user_edited = Signal(str)
    edit_paused = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(False)
        self._numbers = _LineNumberArea(self)
        self._error_line: int | None = None
        self._setting = False
        self._typing = False  # inside a key press: the change waits for a pause
        self._pending = False  # typed text not handed on yet
        self.highlighter = YamlHighlighter(self.document())
        self.blockCountChanged.connect(self._on_block_count_changed)
        self.updateRequest.connect(self._on_update_request)
        self.cursorPositionChanged.connect(self._highlight_lines)
        self.textChanged.connect(self._on_text_changed)
        self._on_block_count_changed(0)
        self._pause_timer = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self._pause_timer.timeout.connect(self._on_pause_timer_timeout)
        self._edit_timer = QTimer(self, singleShot=True, interval=EDIT_DEBOUNCE_MS)
        self._edit_timer.timeout.connect(self.flush_edit)

    def event(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.ShortcutOverride and _is_shortcut(event):
            self.flush_edit()  # Save, Undo, Run… act on what is on screen
            if _is_undo_key(event):
                # QPlainTextEdit claims the undo keys even with its own undo off, which
                # swallowed them: give them back to the window's Undo/Redo (the pipeline's).
                event.ignore()
                return False
        elif kind in (QEvent.Type.FocusOut, QEvent.Type.Leave, QEvent.Type.Hide):
            self.flush_edit()  # the user turns to something else: a button, a menu, a tab
        return super().event(event)

    def flush_edit(self) -> None:
        """Hand typed text that still waits for its pause on now (``user_edited``)."""
        self._edit_timer.stop()
        if self._pending:
            self._pending = False
            self.user_edited.emit(self.toPlainText())

    # text in/out
    def set_text_preserving_cursor(self, text: str) -> None:
        """Show ``text``, replacing only the part that differs (only those lines are laid out
        and highlighted again; the cursor and the scroll position stay)."""
        old = self.toPlainText()
        if old == text:
            return
        self._edit_timer.stop()  # the document's text wins over typing it has not seen
        self._pending = False
        self._setting = True
        try:
            if _utf16_indexable(old) and _utf16_indexable(text):
                start = _common_prefix(old, text)
                end = _common_suffix(old, text, min(len(old), len(text)) - start)
                cursor = QTextCursor(self.document())
                cursor.setPosition(start)
                cursor.setPosition(len(old) - end, QTextCursor.MoveMode.KeepAnchor)
                cursor.insertText(text[start:len(text) - end])
            else:
                pos, bar = self.textCursor().position(), self.verticalScrollBar().value()
                self.setPlainText(text)
                cursor = self.textCursor()
                cursor.setPosition(min(pos, len(text)))
                self.setTextCursor(cursor)
                self.verticalScrollBar().setValue(bar)
        finally:
            self._setting = False

    def new_document(self, text: str, parent: QObject) -> QTextDocument:
        """A document holding ``text`` for ``set_text_document``, highlighted like this editor."""
        document = QTextDocument(parent)
        document.setDocumentLayout(QPlainTextDocumentLayout(document))
        document.setDefaultFont(self.font())
        document.setUndoRedoEnabled(False)
        highlighter = YamlHighlighter(document, self._is_dark())  # empty: nothing coloured yet
        # The text goes in unseen by the highlighter (its contentsChange is held back: the
        # layout is told directly), then is coloured a chunk per event-loop pass.
        document.blockSignals(True)
        try:
            document.setPlainText(text)
        finally:
            document.blockSignals(False)
        highlighter.highlight_in_chunks()
        return document

    def set_text_document(self, document: QTextDocument) -> None:
        """Show ``document`` (made by ``new_document``); each keeps its highlighting, cursor
        and scroll position, so switching between documents re-highlights nothing."""
        old = self.document()
        if document is old:
            return
        self.flush_edit()
        old.setProperty("view_position", (self.textCursor().position(),
                                          self.verticalScrollBar().value()))
        self._setting = True  # the swap is no edit
        try:
            self.setDocument(document)
        finally:
            self._setting = False
        self.highlighter = document.findChild(YamlHighlighter)
        self.highlighter.set_dark(self._is_dark())
        pos, bar = document.property("view_position") or (0, 0)
        cursor = self.textCursor()
        cursor.setPosition(min(pos, document.characterCount() - 1))
        self.setTextCursor(cursor)
        self.verticalScrollBar().setValue(bar)

    def _on_text_changed(self) -> None:
        if self._setting or self.highlighter.formatting:
            return
        self._pending = True
        self._pause_timer.start()
        self._edit_timer.start()
        if not self._typing:
            self.flush_edit()

    def _on_pause_timer_timeout(self) -> None:
        self.flush_edit()
        self.edit_paused.emit()

    def keyPressEvent(self, event: object) -> None:
        key = getattr(event, "key", lambda: None)()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.flush_edit()
            self._pause_timer.stop()
            self.edit_paused.emit()  # a new line starts a new undo step
        self._typing = True
        try:
            if key == Qt.Key.Key_Tab:
                self.insertPlainText("  ")  # YAML forbids tabs for indentation
            elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not (
                    event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier):
                cursor = self.textCursor()
                line = cursor.block().text()[:cursor.positionInBlock()]
                self.insertPlainText("\n" + next_line_indent(line))
            else:
                super().keyPressEvent(event)
        finally:
            self._typing = False

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.highlighter.set_dark(self._is_dark())
            self._highlight_lines()

    def _is_dark(self) -> bool:
        return self.palette().base().color().lightness() < 128

    def go_to_line(self, line: int) -> None:
        block = self.document().findBlockByNumber(max(line - 1, 0))
        cursor = QTextCursor(block)
        self.setTextCursor(cursor)
        self.centerCursor()
        self.setFocus()

    def current_line(self) -> int:
        return self.textCursor().blockNumber() + 1

    def set_error_line(self, line: int | None) -> None:
        self._error_line = line
        self._highlight_lines()

    # line numbers
    def line_number_width(self) -> int:
        digits = max(3, len(str(self.blockCount())))
        return 12 + self.fontMetrics().horizontalAdvance("9") * digits

    def _on_block_count_changed(self, _count: int) -> None:
        self.setViewportMargins(self.line_number_width(), 0, 0, 0)

    def _on_update_request(self, rect: QRect, dy: int) -> None:
        if dy:
            self._numbers.scroll(0, dy)
        else:
            self._numbers.update(0, rect.y(), self._numbers.width(), rect.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        cr = self.contentsRect()
        self._numbers.setGeometry(QRect(cr.left(), cr.top(), self.line_number_width(),
                                        cr.height()))

    def paint_line_numbers(self, event: QPaintEvent) -> None:
        painter = QPainter(self._numbers)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.alternateBase())
        block = self.firstVisibleBlock()
        top = round(self.blockBoundingGeometry(block).translated(self.contentOffset()).top())
        height = self.fontMetrics().height()
        while block.isValid() and top <= event.rect().bottom():
            number = block.blockNumber() + 1
            if block.isVisible():
                is_err = number == self._error_line
                painter.setPen(theme.qcolor("error") if is_err else pal.placeholderText().color())
                painter.drawText(0, top, self._numbers.width() - 6, height,
                                 Qt.AlignmentFlag.AlignRight, str(number))
            block = block.next()
            top += round(self.blockBoundingRect(block).height()) if block.isValid() else height
        painter.end()

    def _highlight_lines(self) -> None:
        selections = []
        cur = QTextEdit.ExtraSelection()
        color = self.palette().alternateBase().color()
        cur.format.setBackground(color)
        cur.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
        cur.cursor = self.textCursor()
        cur.cursor.clearSelection()
        selections.append(cur)
        if self._error_line:
            err = QTextEdit.ExtraSelection()
            err.format.setBackground(theme.qcolor("error_line_bg"))
            err.format.setProperty(QTextFormat.Property.FullWidthSelection, True)
            err.cursor = QTextCursor(self.document().findBlockByNumber(self._error_line - 1))
            selections.append(err)
        self.setExtraSelections(selections)
