"""YAML syntax highlighting: keys, strings, literals, ``${VAR}`` and comments in theme colours.

A new text is coloured a chunk of blocks per event-loop pass (``highlight_in_chunks``), so a
long file never blocks the window; the YAML editor and each pipeline's text documents use it.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat, QTextCursor

from pycharter_gui.designer import theme


def _fmt(color: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    f = QTextCharFormat()
    f.setForeground(QColor(color))
    if bold:
        f.setFontWeight(700)
    f.setFontItalic(italic)
    return f


HIGHLIGHT_CHUNK = 150  # blocks highlighted per event-loop pass while a new text is coloured


class YamlHighlighter(QSyntaxHighlighter):
    """Keys, strings, numbers/booleans, ``${VAR}`` references and comments.

    ``highlight_in_chunks()`` colours a document a chunk of blocks per event-loop pass (from
    the top, where a new text is shown), so a long file never blocks the window at once.
    """

    RULES = (
        (re.compile(r"^\s*(?:-\s+)?([^#:\s][^#:]*?)\s*:(?=\s|$)"), "syntax_key", True, False, 1),
        (re.compile(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^']|'')*')"), "syntax_string", False, False, 1),
        (re.compile(r"(?<=[:\-]\s)(true|false|null|yes|no|~|-?\d+(?:\.\d+)?)\s*(?=$|#)",
                    re.IGNORECASE), "syntax_literal", False, False, 1),
        (re.compile(r"(\$\{[^}]*\})"), "syntax_variable", True, False, 1),
        (re.compile(r"(?:^|\s)(#.*)$"), "syntax_comment", False, True, 1),
    )  # colours are theme roles

    def __init__(self, document: object, dark: bool = False) -> None:
        super().__init__(document)
        self.dark: bool | None = None
        self._next: int | None = None  # the first block not coloured yet (None: all are)
        self.formatting = False  # colouring a chunk (the text does not change)
        self._chunk_timer = QTimer(self, singleShot=True, interval=0)
        self._chunk_timer.timeout.connect(self._highlight_chunk)
        self.set_dark(dark)

    def highlight_in_chunks(self) -> None:
        """Colour the document's blocks in chunks, one per event-loop pass."""
        document = self.document()
        self._next = 0
        document.contentsChange.connect(self._on_contents_change)
        self._chunk_timer.start()

    def is_highlighting(self) -> bool:
        """Blocks still wait for their colours (``highlight_in_chunks``)."""
        return self._next is not None

    def _on_contents_change(self, position: int, _removed: int, _added: int) -> None:
        if self._next is not None:  # an edit above the chunks moves blocks: go over them again
            self._next = min(self._next, self.document().findBlock(position).blockNumber())

    def _highlight_chunk(self) -> None:
        if self._next is None:
            return
        document = self.document()
        block = document.findBlockByNumber(self._next)
        cursor = QTextCursor(document)
        cursor.beginEditBlock()  # one repaint and one contentsChanged for the chunk
        self.formatting = True  # the text is the same: no edit to hand on
        try:
            for _ in range(HIGHLIGHT_CHUNK):
                if not block.isValid():
                    break
                self.rehighlightBlock(block)
                block = block.next()
        finally:
            cursor.endEditBlock()
            self.formatting = False
        if block.isValid():
            self._next = block.blockNumber()
            self._chunk_timer.start()
        else:
            self._next = None
            self.document().contentsChange.disconnect(self._on_contents_change)

    def set_dark(self, dark: bool) -> None:
        """Switch to colours readable on a dark background (re-highlights only on a change)."""
        if dark == self.dark:
            return
        self.dark = dark

        colors = theme.COLORS["dark" if dark else "light"]
        self._formats = [(rx, _fmt(colors[c], b, i), g) for rx, c, b, i, g in self.RULES]
        if self._next is None:
            self.rehighlight()
        else:  # colouring in chunks: go over the whole text again with the new colours
            self._next = 0

    def highlightBlock(self, text: str) -> None:
        for rx, fmt, group in self._formats:
            for m in rx.finditer(text):
                self.setFormat(m.start(group), m.end(group) - m.start(group), fmt)
