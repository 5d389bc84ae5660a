"""Light and dark palettes; ``system`` follows the desktop's colour scheme."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

_DARK = {
    QPalette.ColorRole.Window: "#23262b", QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1b1d21", QPalette.ColorRole.AlternateBase: "#2a2d33",
    QPalette.ColorRole.ToolTipBase: "#2a2d33", QPalette.ColorRole.ToolTipText: "#e6e6e6",
    QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#2d3036",
    QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3b78c4",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#6aa5ee",
    QPalette.ColorRole.PlaceholderText: "#8a8f98", QPalette.ColorRole.Mid: "#8a8f98",
}
_LIGHT = {
    QPalette.ColorRole.Window: "#f4f5f7", QPalette.ColorRole.WindowText: "#1f2328",
    QPalette.ColorRole.Base: "#ffffff", QPalette.ColorRole.AlternateBase: "#f0f2f5",
    QPalette.ColorRole.ToolTipBase: "#ffffdc", QPalette.ColorRole.ToolTipText: "#1f2328",
    QPalette.ColorRole.Text: "#1f2328", QPalette.ColorRole.Button: "#eceef1",
    QPalette.ColorRole.ButtonText: "#1f2328", QPalette.ColorRole.Highlight: "#2f6fbf",
    QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.Link: "#2563a8",
    QPalette.ColorRole.PlaceholderText: "#8a8f98", QPalette.ColorRole.Mid: "#7a808a",
}


def system_is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply ``light``, ``dark`` or ``system``; returns the scheme actually used."""
    scheme = theme if theme in {"light", "dark"} else (
        "dark" if system_is_dark(app) else "light")
    app.setStyle("Fusion")
    pal = QPalette()
    for role, color in (_DARK if scheme == "dark" else _LIGHT).items():
        pal.setColor(role, QColor(color))
    disabled_text = QColor("#6b7078" if scheme == "dark" else "#a0a4ab")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                 QPalette.ColorRole.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, disabled_text)
    app.setPalette(pal)
    return scheme
