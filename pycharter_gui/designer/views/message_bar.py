"""The in-panel message bar and the wording of engine errors, shared by the data panels."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QToolButton, QWidget

from pycharter_gui.designer import theme
from pycharter_gui.etl_generator import ConfigError, PycharterError

_BAR_KINDS = ("error", "warning", "info")  # theme roles <kind>_bg, <kind>_fg, <kind>_border


def describe_error(exc: BaseException) -> str:
    """What the analyst reads for an engine exception (config problems listed one per line)."""
    if isinstance(exc, ConfigError):
        problems = getattr(exc, "problems", None) or []
        lines = [str(p) for p in problems] or [getattr(exc, "user_message", str(exc))]
        return "The pipeline configuration has problems:\n" + "\n".join(f"• {line}" for line in lines)
    if isinstance(exc, PycharterError):
        return exc.user_message
    if isinstance(exc, OSError):
        return f"Could not read the source: {exc}"
    return f"Unexpected error ({type(exc).__name__}: {exc}). Please report this."


class MessageBar(QFrame):
    """An in-panel message: text, an optional action button, and a close button."""

    action_triggered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = "info"
        self.label = QLabel(wordWrap=True, textInteractionFlags=Qt.TextInteractionFlag.TextSelectableByMouse)
        self.action_button = QPushButton(visible=False)
        self.action_button.clicked.connect(self.action_triggered)
        close = QToolButton(text="✕", autoRaise=True, toolTip="Dismiss")
        close.clicked.connect(self.clear)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 4, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.action_button)
        layout.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    def show_message(self, text: str, kind: str = "error", action: str | None = None) -> None:
        """Show ``text``; ``action`` names a button that emits ``action_triggered``."""
        self.kind = kind
        k = kind if kind in _BAR_KINDS else "info"
        theme.set_style(self, f"MessageBar {{ background:${k}_bg; border:1px solid ${k}_border; "
                              f"border-radius:4px }} QLabel {{ color:${k}_fg }}")
        self.label.setText(text)
        self.action_button.setVisible(bool(action))
        self.action_button.setText(action or "")
        self.show()

    @Slot()
    def clear(self) -> None:
        self.label.clear()
        self.hide()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""
