"""JSON shown and edited in colour: an HTML renderer for read-only views and an editor dialog
that validates as you type (a dead letter can only be replayed once it is a JSON object)."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from PySide6.QtCore import QRegularExpression, Signal, Slot
from PySide6.QtGui import QFont, QFontDatabase, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from .. import theme


def monospace_font() -> QFont:
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)


def _span(kind: str, text: str) -> str:
    return f'<span style="color:{theme.color("syntax_" + kind)}">{html.escape(text)}</span>'


def json_html(value: Any, highlight: str | None = None, indent: int = 2) -> str:
    """Pretty JSON as coloured HTML; the line of the field ``highlight`` gets a yellow background.

    ``highlight`` may be a dotted path into nested objects (``address.city``).
    """
    lines: list[str] = []

    def emit(v: Any, level: int, prefix: str, suffix: str, path: tuple[str, ...]) -> None:
        pad = " " * (indent * level)
        hit = highlight is not None and bool(path) and ".".join(path) == highlight
        style = f' style="background:{theme.color("highlight_bg")}"' if hit else ""
        if isinstance(v, dict) and v:
            lines.append(f"<span{style}>{pad}{prefix}</span>{_span('punct', '{')}")
            items = list(v.items())
            for n, (k, item) in enumerate(items):
                key = _span("key", json.dumps(str(k), ensure_ascii=False)) + _span("punct", ": ")
                emit(item, level + 1, key, "," if n < len(items) - 1 else "", (*path, str(k)))
            lines.append(f"{pad}{_span('punct', '}')}{_span('punct', suffix)}")
            return
        if isinstance(v, list) and v:
            lines.append(f"<span{style}>{pad}{prefix}</span>{_span('punct', '[')}")
            for n, item in enumerate(v):
                emit(item, level + 1, "", "," if n < len(v) - 1 else "", path)
            lines.append(f"{pad}{_span('punct', ']')}{_span('punct', suffix)}")
            return
        text = json.dumps(v, ensure_ascii=False, default=str)
        kind = ("string" if isinstance(v, str) else "literal" if v is None or isinstance(v, bool)
                else "number" if isinstance(v, int | float) else "punct")
        lines.append(f"<span{style}>{pad}{prefix}{_span(kind, text)}</span>{_span('punct', suffix)}")

    emit(value, 0, "", "", ())
    body = "<br>".join(line.replace("  ", "&nbsp;&nbsp;") for line in lines)
    return f'<div style="font-family:monospace; white-space:pre">{body}</div>'


class JsonHighlighter(QSyntaxHighlighter):
    """Colours keys, strings, numbers and literals in a plain-text JSON editor."""

    _RULES = (
        (r'"(?:[^"\\]|\\.)*"(?=\s*:)', "key"),
        (r'(?<=:)\s*"(?:[^"\\]|\\.)*"|(?<=[\[,])\s*"(?:[^"\\]|\\.)*"', "string"),
        (r"-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b", "number"),
        (r"\b(?:true|false|null)\b", "literal"),
    )

    def __init__(self, document: Any) -> None:
        super().__init__(document)
        self._rules = []
        for pattern, kind in self._RULES:
            fmt = QTextCharFormat()
            fmt.setForeground(theme.qcolor(f"syntax_{kind}"))
            self._rules.append((QRegularExpression(pattern), fmt))

    def highlightBlock(self, text: str) -> None:
        for regex, fmt in self._rules:
            it = regex.globalMatch(text)
            while it.hasNext():
                m = it.next()
                self.setFormat(m.capturedStart(), m.capturedLength(), fmt)


def parse_json_object(text: str) -> tuple[dict[str, Any] | None, str]:
    """``(object, "")`` for a JSON object, else ``(None, message with line and column)``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"Line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if not isinstance(value, dict):
        return None, f"A record must be a JSON object {{...}}, not {type(value).__name__}"
    return value, ""


class JsonEditDialog(QDialog):
    """Edit one record as JSON; OK is enabled only while the text is a valid JSON object.

    ``record_edited(record_id, data)`` is emitted when the user accepts.
    """

    record_edited = Signal(str, object)

    def __init__(self, record_id: str, data: Any, parent: QWidget | None = None,
                 field: str | None = None) -> None:
        super().__init__(parent)
        self.record_id = record_id
        self.setWindowTitle(f"Edit dead letter {record_id[:12]}")
        self.resize(560, 480)
        self.editor = QPlainTextEdit(self)
        self.editor.setFont(monospace_font())
        self.editor.setPlainText(json.dumps(data, indent=2, ensure_ascii=False, default=str))
        self._highlighter = JsonHighlighter(self.editor.document())
        hint = f"The failing field is <b>{html.escape(field)}</b>. " if field else ""
        self.hint = QLabel(hint + "Fix the record, then replay it.", self)
        self.status = QLabel(self)
        self.status.setObjectName("jsonStatus")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self._on_editor_text_changed()
        if field:
            self._select_field(field.split(".")[-1])

    def _select_field(self, name: str) -> None:
        match = re.search(rf'"{re.escape(name)}"\s*:', self.editor.toPlainText())
        if match:
            cursor = self.editor.textCursor()
            cursor.setPosition(match.start())
            cursor.setPosition(match.end() - 1, cursor.MoveMode.KeepAnchor)
            self.editor.setTextCursor(cursor)

    @property
    def value(self) -> dict[str, Any] | None:
        return parse_json_object(self.editor.toPlainText())[0]

    @Slot()
    def _on_editor_text_changed(self) -> None:
        value, message = parse_json_object(self.editor.toPlainText())
        ok = value is not None
        self.status.setText("Valid JSON object" if ok else message)
        theme.set_style(self.status, f"color: ${'ok' if ok else 'error'}")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)

    def accept(self) -> None:
        value = self.value
        if value is None:
            return
        self.record_edited.emit(self.record_id, value)
        super().accept()


__all__ = ["JsonEditDialog", "JsonHighlighter", "json_html", "parse_json_object"]
