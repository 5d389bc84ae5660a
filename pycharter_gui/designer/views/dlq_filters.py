"""Filter bar, summary bar and message bar of the dead-letter panel."""

from __future__ import annotations

from PySide6.QtCore import QDateTime, Qt, QTimer, QTimeZone, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QWidget,
)

from pycharter_gui.designer import theme
from pycharter_gui.etl_generator import DLQFilter, DLQReason

ANY = "Any"
STAGES = ("extract", "transform", "validate", "load")
UNRESOLVED = ("pending", "retrying", "ignored")
TEXT_DELAY_MS = 300


class DeadLetterFilterBar(QWidget):
    """Reason, stage, time range, free text and "show resolved"; emits ``filters_changed``.

    Everything it builds is a ``DLQFilter`` evaluated by the backend.
    """

    filters_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reason = QComboBox(self)
        self.reason.addItems([ANY, *(r.value for r in DLQReason)])
        self.reason.setToolTip("Reason")
        self.stage = QComboBox(self)
        self.stage.addItems([ANY, *STAGES])
        self.stage.setToolTip("Stage")
        self.use_from = QCheckBox("From", self)
        self.time_from = QDateTimeEdit(self)
        self.use_to = QCheckBox("to", self)
        self.time_to = QDateTimeEdit(self)
        now = QDateTime.currentDateTimeUtc()
        for edit, value in ((self.time_from, now.addDays(-1)), (self.time_to, now)):
            edit.setTimeZone(QTimeZone.utc())
            edit.setDisplayFormat("yyyy-MM-dd HH:mm")
            edit.setCalendarPopup(True)
            edit.setDateTime(value)
            edit.setEnabled(False)
            edit.setToolTip("UTC")
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Search message and record…")
        self.text.setClearButtonEnabled(True)
        self.show_resolved = QCheckBox("Show resolved", self)
        self.run_chip = QToolButton(self)
        self.run_chip.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.run_chip.setToolTip("Showing one run; click to show every run")
        self.run_chip.hide()
        self.run_id: str | None = None
        self._text_timer = QTimer(self)
        self._text_timer.setSingleShot(True)
        self._text_timer.setInterval(TEXT_DELAY_MS)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Reason", self))
        layout.addWidget(self.reason)
        layout.addWidget(QLabel("Stage", self))
        layout.addWidget(self.stage)
        for w in (self.use_from, self.time_from, self.use_to, self.time_to):
            layout.addWidget(w)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.run_chip)
        layout.addWidget(self.show_resolved)
        self.reason.currentIndexChanged.connect(self._on_changed)
        self.stage.currentIndexChanged.connect(self._on_changed)
        self.use_from.toggled.connect(self._on_range_toggled)
        self.use_to.toggled.connect(self._on_range_toggled)
        self.time_from.dateTimeChanged.connect(self._on_range_edited)
        self.time_to.dateTimeChanged.connect(self._on_range_edited)
        self.show_resolved.toggled.connect(self._on_changed)
        self.text.textChanged.connect(self._on_text_changed)
        self.text.returnPressed.connect(self._on_text_committed)
        self._text_timer.timeout.connect(self._on_text_committed)
        self.run_chip.clicked.connect(self._on_run_chip_clicked)
        self._committed_text = ""

    def filters(self) -> DLQFilter:
        """The filter the user has set up."""
        def pick(combo: QComboBox) -> str | None:
            return None if combo.currentIndex() <= 0 else combo.currentText()

        def stamp(use: QCheckBox, edit: QDateTimeEdit) -> str | None:
            return edit.dateTime().toUTC().toString("yyyy-MM-ddTHH:mm:ss") if use.isChecked() else None

        return DLQFilter(
            run_id=self.run_id, reason=pick(self.reason), stage=pick(self.stage),
            status=None if self.show_resolved.isChecked() else list(UNRESOLVED),
            time_from=stamp(self.use_from, self.time_from), time_to=stamp(self.use_to, self.time_to),
            text=self._committed_text or None,
        )

    def set_reason(self, reason: str | None) -> None:
        self.reason.setCurrentIndex(max(0, self.reason.findText(reason or ANY)))

    def set_stage(self, stage: str | None) -> None:
        index = self.stage.findText(stage or ANY)
        if index < 0:
            self.stage.addItem(stage or ANY)
            index = self.stage.count() - 1
        self.stage.setCurrentIndex(index)

    def set_run_id(self, run_id: str | None) -> None:
        self.run_id = run_id or None
        self.run_chip.setText(f"Run {run_id[:12]} ✕" if run_id else "")
        self.run_chip.setVisible(bool(run_id))
        self.filters_changed.emit()

    @Slot()
    def _on_changed(self) -> None:
        self.filters_changed.emit()

    @Slot(bool)
    def _on_range_toggled(self, _checked: bool) -> None:
        self.time_from.setEnabled(self.use_from.isChecked())
        self.time_to.setEnabled(self.use_to.isChecked())
        self.filters_changed.emit()

    @Slot()
    def _on_range_edited(self) -> None:
        if self.use_from.isChecked() or self.use_to.isChecked():
            self.filters_changed.emit()

    @Slot(str)
    def _on_text_changed(self, _text: str) -> None:
        self._text_timer.start()  # search once the user pauses typing

    @Slot()
    def _on_text_committed(self) -> None:
        self._text_timer.stop()
        text = self.text.text().strip()
        if text != self._committed_text:
            self._committed_text = text
            self.filters_changed.emit()

    @Slot()
    def _on_run_chip_clicked(self) -> None:
        self.set_run_id(None)


class DeadLetterSummaryBar(QWidget):
    """Counts by reason and by stage as buttons; clicking one filters the table to it."""

    reason_clicked = Signal(str)
    stage_clicked = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self.total_label = QLabel(self)
        self.buttons: dict[str, QToolButton] = {}
        self.set_statistics(None)

    def set_statistics(self, stats: dict | None) -> None:
        """Show ``{total, by_reason, by_stage}`` (None: still counting)."""
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self.total_label:
                widget.deleteLater()
        self.buttons = {}
        self._layout.addWidget(self.total_label)
        if stats is None:
            self.total_label.setText("Counting…")
            self._layout.addStretch(1)
            return
        self.total_label.setText(f"<b>{stats.get('total', 0):,}</b> dead letters")
        for kind, counts in (("reason", stats.get("by_reason", {})),
                             ("stage", stats.get("by_stage", {}))):
            if counts:
                self._layout.addWidget(QLabel(f"  By {kind}:", self))
            for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
                button = QToolButton(self)
                button.setText(f"{name}  {n:,}")
                button.setToolTip(f"Show only {kind} {name}")
                button.setProperty("dlq_kind", kind)
                button.setProperty("dlq_value", name)
                theme.set_style(button, "QToolButton { background: $alternate_base; "
                                "color: $button_text; border: 1px solid $mid; border-radius: 3px; "
                                "padding: 1px 6px; } QToolButton:hover { "
                                "background: $highlight; color: $highlighted_text; }")
                button.clicked.connect(self._on_group_clicked)
                self.buttons[f"{kind}:{name}"] = button
                self._layout.addWidget(button)
        self._layout.addStretch(1)

    @Slot()
    def _on_group_clicked(self) -> None:
        button = self.sender()
        kind, value = button.property("dlq_kind"), button.property("dlq_value")
        (self.reason_clicked if kind == "reason" else self.stage_clicked).emit(value)
