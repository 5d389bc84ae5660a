"""JSONata console: type an expression, see its output on the records the JSONata stage sees.

Those are the sample after the pipeline's simple ops (rename, convert, filter, ...), given by
``set_transform``. Evaluation is debounced and runs on the async loop; a newer keystroke
cancels the older run. Field names and JSONata functions complete as you type (Ctrl+Space
asks). Errors are told in words with the character they point at marked. Expression, mode,
transform and sample are kept per pipeline: switching pipelines shows the other one's.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QFont, QKeyEvent, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
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
from ..column_profile import columns_of
from ..pipeline_tasks import JsonataOutcome, evaluate_jsonata, jsonata_input, normalized_transform
from ..workers.task import TaskHandle

DEBOUNCE_MS = 200
MAX_OUTPUT_CHARS = 200_000
_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
_COMPLETION_KEYS = {Qt.Key.Key_Enter, Qt.Key.Key_Return, Qt.Key.Key_Tab, Qt.Key.Key_Escape}


def jsonata_functions() -> list[str]:
    """The JSONata library's built-in functions as typed (``$sum``, ``$merge``, ...)."""
    import jsonata

    frame = jsonata.Jsonata.static_frame
    return sorted(f"${name}" for name in getattr(frame, "bindings", {}) if name.isidentifier())


class ExpressionEdit(QPlainTextEdit):
    """A plain text editor whose word under the cursor completes from ``completer``'s words."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.completer = QCompleter(QStringListModel(self), self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.activated.connect(self._insert_completion)

    def set_words(self, words: list[str]) -> None:
        """Field names and functions offered while typing."""
        self.completer.model().setStringList(words)

    def word_before_cursor(self) -> str:
        text, pos = self.toPlainText(), self.textCursor().position()
        start = pos
        while start > 0 and text[start - 1] in _WORD_CHARS:
            start -= 1
        return text[start:pos]

    @Slot(str)
    def _insert_completion(self, word: str) -> None:
        cursor = self.textCursor()
        cursor.movePosition(QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor,
                            len(self.word_before_cursor()))
        cursor.insertText(word)
        self.setTextCursor(cursor)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.completer.popup()
        if popup.isVisible() and event.key() in _COMPLETION_KEYS:
            event.ignore()  # the popup takes it
            return
        asked = (event.key() == Qt.Key.Key_Space
                 and event.modifiers() & Qt.KeyboardModifier.ControlModifier)
        if not asked:
            super().keyPressEvent(event)
        prefix = self.word_before_cursor()
        if not asked and (not event.text() or len(prefix) < 1 or event.text()[-1] not in _WORD_CHARS):
            popup.hide()
            return
        self.completer.setCompletionPrefix(prefix)
        if self.completer.completionCount() == 0:
            popup.hide()
            return
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))
        rect = self.cursorRect()
        rect.setWidth(popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width())
        self.completer.complete(rect)


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
        self._transforms: dict[Path | None, Any] = {}  # transform text or dict per folder
        self._handle: TaskHandle | None = None
        self._functions = jsonata_functions()
        self.input_records: list[dict[str, Any]] = []  # what the expression last ran on
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        self.editor = ExpressionEdit(placeholderText="JSONata expression, e.g. $sum(orders.total)")
        self.editor.set_words(self._functions)
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

    def set_transform(self, cfg_or_text: Any, folder: Path | None = None) -> None:
        """The transform of ``folder`` (default: the shown pipeline; YAML text or dict): the
        expression runs on the sample after its simple ops, as the JSONata stage sees it."""
        target = self.folder if folder is None else Path(folder)
        if self._transforms.get(target) != cfg_or_text:
            self._transforms[target] = cfg_or_text
            if target == self.folder:
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
        transform, folder = self._transforms.get(self.folder), self.folder

        def compute() -> tuple[JsonataOutcome, list[dict[str, Any]], str]:
            records, seen = sample, "the raw sample"
            if transform is not None and sample:
                try:
                    records = jsonata_input(sample, normalized_transform(transform, folder))
                    seen = "the records the JSONata stage sees (after the simple ops)"
                except Exception as exc:  # a broken transform: say so, use the raw sample
                    seen = f"the raw sample (the transform does not apply: {exc})"
            outcome = (evaluate_jsonata(expr, records, mode) if expr.strip()
                       else JsonataOutcome())
            return outcome, records, seen

        async def work(_reporter: Any) -> tuple[JsonataOutcome, list[dict[str, Any]], str]:
            return await asyncio.to_thread(compute)

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
    def _on_task_succeeded(self, result: tuple[JsonataOutcome, list[dict[str, Any]], str]) -> None:
        if self.sender() is not self._handle:
            return
        outcome, records, seen = result
        self.input_records = records
        self.editor.set_words(columns_of(records[:200]) + self._functions)
        if not self.expression().strip():
            self.output.clear()
            self._show_error(None)
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
            f"Evaluated on {len(records):,} records, {seen}, in {outcome.seconds * 1000:.0f} ms"
            if self._sample else f"{self._no_sample_text()} The expression was only checked.")
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
            pos = max(0, min(outcome.position, len(text) - 1))
            line = text.count("\n", 0, pos) + 1
            column = pos - (text.rfind("\n", 0, pos) + 1) + 1
            where = f" (line {line}, column {column}, marked)"
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
        self.error_label.setText(f"{outcome.error}{where}")
