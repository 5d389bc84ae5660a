"""The detail pane of the dead-letter panel: why a record failed, next to the record itself."""

from __future__ import annotations

import html
import json
from typing import Any

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.etl_generator import DeadLetterRecord

from .. import theme
from .json_editor import json_html, monospace_font


class DeadLetterDetailView(QWidget):
    """Shows one dead letter: error header and message, coloured record JSON with the failing
    field highlighted (``metadata.field``), and the traceback of custom functions. An edited
    record shows its edit and a *Discard edit* button (``discard_requested(record id)``)."""

    discard_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.header = QLabel(self)
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.discard_button = QPushButton("Discard edit", self)
        self.discard_button.setToolTip("Forget the edit; the stored record is replayed as it is")
        self.discard_button.clicked.connect(self._on_discard_clicked)
        self.message = QPlainTextEdit(self)
        self.message.setReadOnly(True)
        self.message.setMaximumHeight(90)
        self.message.setPlaceholderText("Select a dead letter to see why it failed")
        self.record_view = QTextBrowser(self)
        self.record_view.setFont(monospace_font())
        self.record_view.setOpenLinks(False)
        self.traceback = QPlainTextEdit(self)
        self.traceback.setReadOnly(True)
        self.traceback.setFont(monospace_font())
        self.traceback.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.traceback_label = QLabel("Traceback of the custom function", self)
        lower = QWidget(self)
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.traceback_label)
        lower_layout.addWidget(self.traceback)
        self._lower = lower
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.record_view)
        split.addWidget(lower)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.discard_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(split, 1)
        self.current: DeadLetterRecord | None = None
        self.show_record(None)

    def show_record(self, rec: DeadLetterRecord | None, edited: dict[str, Any] | None = None) -> None:
        """Display ``rec`` (``edited`` = its draft, shown instead of the stored data)."""
        self.current = rec
        self.discard_button.setVisible(rec is not None and edited is not None)
        if rec is None:
            self.header.setText("<i>No dead letter selected</i>")
            self.message.clear()
            self.record_view.clear()
            self._lower.hide()
            return
        field = rec.metadata.get("field")
        parts = [
            f"<b>{html.escape(rec.reason.value)}</b> at stage <b>{html.escape(rec.stage)}</b>",
            html.escape(rec.error_type or ""),
            html.escape(rec.timestamp.replace("T", " ")),
            f"run {html.escape(str(rec.run_id or '?'))[:12]}",
            f"status {html.escape(rec.status.value)}",
        ]
        if rec.retry_count:
            parts.append(f"retried {rec.retry_count} times")
        if field:
            parts.append(f'field <span style="background:{theme.color("highlight_bg")}">'
                         f'{html.escape(str(field))}</span>')
        if edited is not None:
            parts.append(f'<span style="color:{theme.color("warning")}"><b>edited — replay to save</b></span>')
        self.header.setText(" · ".join(p for p in parts if p))
        self.message.setPlainText(rec.error_message)
        data = edited if edited is not None else rec.record_data
        self.record_view.setHtml(json_html(data, highlight=str(field) if field else None))
        tb = rec.metadata.get("traceback")
        self._lower.setVisible(bool(tb))
        self.traceback.setPlainText(str(tb or ""))

    @Slot()
    def _on_discard_clicked(self) -> None:
        if self.current is not None:
            self.discard_requested.emit(self.current.id)

    def record_text(self) -> str:
        """The shown record as JSON text (for copying)."""
        if self.current is None:
            return ""
        return json.dumps(self.current.to_dict(), indent=2, ensure_ascii=False, default=str)
