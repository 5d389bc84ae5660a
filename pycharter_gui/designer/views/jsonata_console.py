"""JSONata console: type an expression, see its output on the sample (or the error and where).

Evaluation is debounced and runs on the engine loop; a newer keystroke cancels the older run.
Expression, mode and sample are kept per pipeline: switching pipelines shows the other one's.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from ..preview_engine import JsonataOutcome, evaluate_jsonata
from ..workers.task import TaskHandle

DEBOUNCE_MS = 200
MAX_OUTPUT_CHARS = 200_000


class JsonataConsole(QWidget):
    """Live JSONata against the sample. Signals: ``evaluated(JsonataOutcome)``,
    ``expression_changed(text)``, ``apply_requested(expression, mode)`` when the user asks to
    write the expression into transform.yaml."""

    evaluated = Signal(object)
    expression_changed = Signal(str)
    apply_requested = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self._sample: list[dict[str, Any]] = []
        self._samples: dict[Path | None, list[dict[str, Any]]] = {}  # per pipeline folder
        self._typed: dict[Path | None, tuple[str, str]] = {}  # expression and mode per folder
        self._handle: TaskHandle | None = None
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.editor = QPlainTextEdit(placeholderText="JSONata expression, e.g. $sum(orders.total)")
        self.editor.setFont(mono)
        self.editor.setMinimumHeight(5 * self.editor.fontMetrics().lineSpacing() + 12)  # room to read it
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("Whole sample (batch)", "batch")
        self.mode_combo.addItem("First record (record)", "record")
        self.output = QPlainTextEdit(readOnly=True)
        self.output.setFont(mono)
        self.error_label = QLabel(wordWrap=True)
        theme.set_style(self.error_label, "color:$error;")
        self.error_label.setMinimumHeight(2 * self.error_label.fontMetrics().height() + 4)
        self.status_label = QLabel(self._no_sample_text())
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>Expression</b>"), 1)
        head.addWidget(QLabel("Evaluate on"))
        head.addWidget(self.mode_combo)
        self.apply_button = QPushButton("Use in transform.yaml")
        self.apply_button.setToolTip("Write this expression and mode into the pipeline's "
                                     "transform (Edit > Undo takes it back)")
        self.apply_button.clicked.connect(self._on_apply_button_clicked)
        head.addWidget(self.apply_button)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.addLayout(head)
        tl.addWidget(self.editor)
        tl.addWidget(self.error_label)
        bottom = QWidget()
        bl = QVBoxLayout(bottom)
        bl.setContentsMargins(0, 0, 0, 0)
        bl.addWidget(QLabel("<b>Output</b>"))
        bl.addWidget(self.output)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(bottom)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.status_label)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self.evaluate)
        self.editor.textChanged.connect(self._on_editor_text_changed)
        self.mode_combo.currentIndexChanged.connect(self._on_mode_combo_changed)

    # -- public API ----------------------------------------------------------------------------
    def set_pipeline(self, folder: Path, expression: str = "", mode: str = "batch") -> None:
        """Show ``folder``'s console: what was typed there before, else ``expression`` (from its
        transform.yaml); its own sample, or none yet."""
        folder = Path(folder)
        if folder == self.folder:
            return
        self._typed[self.folder] = (self.expression(), str(self.mode_combo.currentData()))
        self._samples[self.folder] = self._sample
        self.folder = folder
        expression, mode = self._typed.get(folder, (expression, mode))
        self._sample = self._samples.get(folder, [])
        if self._handle is not None and self._handle.is_running():
            self._handle.cancel()
        self._handle = None
        self.output.clear()
        self._show_error(None)
        self.status_label.setText(self._no_sample_text())
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))
        self.editor.setPlainText(expression)
        self._timer.start()

    @Slot(object)
    def set_sample(self, records: list[dict[str, Any]], folder: Path | None = None) -> None:
        """The sample of ``folder`` (default: the shown pipeline); re-evaluates when shown."""
        if folder is not None and Path(folder) != self.folder:
            self._samples[Path(folder)] = list(records)
            return
        self._sample = list(records)
        self._timer.start()

    def set_expression(self, text: str, mode: str = "batch") -> None:
        """Show ``text`` (e.g. from transform.yaml) and evaluate it."""
        self.mode_combo.setCurrentIndex(max(0, self.mode_combo.findData(mode)))
        if text != self.editor.toPlainText():
            self.editor.setPlainText(text)

    def expression(self) -> str:
        return self.editor.toPlainText()

    @Slot()
    def _on_apply_button_clicked(self) -> None:
        self.apply_requested.emit(self.expression(), str(self.mode_combo.currentData()))

    @Slot()
    def evaluate(self) -> None:
        """Evaluate now (cancelling an earlier evaluation)."""
        self._timer.stop()
        if self._handle is not None and self._handle.is_running():
            self._handle.cancel()
        expr, sample, mode = self.expression(), self._sample, self.mode_combo.currentData()
        if not expr.strip():
            self.output.clear()
            self._show_error(None)
            return

        async def work(_reporter: Any) -> JsonataOutcome:
            return await asyncio.to_thread(evaluate_jsonata, expr, sample, mode)

        handle = TaskHandle(work, self, name="jsonata")
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        self._handle = handle
        handle.start()

    # -- slots ----------------------------------------------------------------------------------
    @Slot()
    def _on_editor_text_changed(self) -> None:
        self.expression_changed.emit(self.expression())
        self._timer.start()

    @Slot(int)
    def _on_mode_combo_changed(self, _index: int) -> None:
        self._timer.start()

    @Slot(object)
    def _on_task_succeeded(self, outcome: JsonataOutcome) -> None:
        if self.sender() is not self._handle:
            return
        if outcome.error:
            self._show_error(outcome)
            self.output.clear()  # never show a stale result beside an error
        else:
            self._show_error(None)
            text = "(undefined: no output)" if outcome.output is None else json.dumps(
                outcome.output, indent=2, default=str, ensure_ascii=False)
            self.output.setPlainText(text[:MAX_OUTPUT_CHARS])
        self.status_label.setText(
            f"Evaluated on {len(self._sample):,} records in {outcome.seconds * 1000:.0f} ms" if self._sample
            else f"{self._no_sample_text()} The expression was only checked.")
        self.evaluated.emit(outcome)

    @Slot(object)
    def _on_task_failed(self, exc: Any) -> None:
        if self.sender() is self._handle:
            self._show_error(JsonataOutcome(error=f"{type(exc).__name__}: {exc}"))

    def _no_sample_text(self) -> str:
        name = f" of {self.folder.name}" if self.folder is not None else ""
        return f"No sample{name} yet: press Preview (F5) to run the expression on records."

    def _show_error(self, outcome: JsonataOutcome | None) -> None:
        if outcome is None or not outcome.error:
            self.error_label.clear()
            self.editor.setExtraSelections([])
            return
        where = ""
        selections = []
        if outcome.position is not None:
            text = self.expression()
            pos = max(0, min(outcome.position, len(text)) - 1)
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            where = f" (at position {outcome.position}: line {line}, column {column})"
            sel = QTextEdit.ExtraSelection()
            fmt = QTextCharFormat()
            fmt.setBackground(theme.qcolor("error_bg"))
            fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
            sel.format = fmt
            cursor = QTextCursor(self.editor.document())
            cursor.setPosition(pos)
            cursor.movePosition(QTextCursor.MoveOperation.NextCharacter, QTextCursor.MoveMode.KeepAnchor)
            sel.cursor = cursor
            selections.append(sel)
        self.editor.setExtraSelections(selections)
        self.error_label.setText(f"{outcome.error}{'' if 'position' in outcome.error else where}"
                                 if not where else f"{outcome.error.split(' (at position')[0]}{where}")
