"""The stored watermark of an incremental pipeline, shown in the Extract form, with Reset."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from pycharter_gui.designer.views import dialogs
from pycharter_gui.etl_generator import list_watermarks, reset_watermarks


class WatermarkBar(QWidget):
    """Where the next incremental run starts (the engine's ``.pycharter/state.json``) and a
    *Reset* that forgets it after asking (no undo: the next run reads from the initial value).

    Shown for a pipeline that is incremental or has a stored watermark; re-read when shown.
    Signal: ``reset_done(count)``.
    """

    reset_done = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.incremental = False
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.RichText)
        self.label.setAccessibleName("Watermark")
        self.reset_button = QPushButton("Reset…", self)
        self.reset_button.setToolTip("Forget the watermark: the next run reads from the start")
        self.reset_button.clicked.connect(self._on_reset_clicked)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.reset_button)
        self.hide()

    def set_pipeline(self, folder: Path | None, incremental: bool) -> None:
        """Show the watermark of the pipeline in ``folder`` (``incremental``: its extract
        config asks for incremental reads)."""
        self.folder, self.incremental = folder, incremental
        self.update_marks()

    def update_marks(self) -> None:
        """Read the stored watermarks again."""
        marks = list_watermarks(self.folder) if self.folder is not None else {}
        self.setVisible(bool(marks) or (self.folder is not None and self.incremental))
        self.reset_button.setEnabled(bool(marks))
        if not marks:
            self.label.setText("<b>Watermark</b>: none stored yet; the next run reads from the "
                               "initial value.")
            return
        lines = [f"<b>Watermark</b>: {html.escape(str(m['value']))} "
                 f"(column {html.escape(str(m['column']))}, "
                 f"stored {html.escape(str(m['updated_at'] or '?'))})" for m in marks.values()]
        self.label.setText("<br>".join(lines) + "<br>The next run reads only records after it.")

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.update_marks()  # a run may have moved it meanwhile

    @Slot()
    def _on_reset_clicked(self) -> None:
        if self.folder is None:
            return
        answer = dialogs.ask(self, "Reset watermark",
                             "Forget the stored watermark? The next run reads every record from "
                             "the initial value again. This cannot be undone.",
                             default=dialogs.Button.No)
        if answer != dialogs.Button.Yes:
            return
        count = reset_watermarks(self.folder)
        self.update_marks()
        self.reset_done.emit(count)


__all__ = ["WatermarkBar"]
