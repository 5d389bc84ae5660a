"""Light and dark palettes; ``system`` follows the desktop's colour scheme.

Every colour the designer sets itself is a named role of ``COLORS`` (the Qt palette's roles
and the app's own: error text, message bars, cell marks, syntax, icons), one value per scheme.
``PAIRS`` lists each text/background combination the app draws, all at least WCAG AA (4.5:1).
Widgets take colours through ``color``/``qcolor`` when they paint, or through ``set_style`` /
``set_rich_text`` (templates with ``$role``), which ``apply_theme`` re-applies on a switch.
"""

from __future__ import annotations

import weakref
from string import Template

from PySide6.QtCore import QByteArray, QObject, Qt
from PySide6.QtGui import QAction, QColor, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QWidget
from shiboken6 import isValid

from pycharter_gui.paths import resource_path

_R = QPalette.ColorRole
PALETTE_ROLES = {
    "window": _R.Window, "window_text": _R.WindowText, "base": _R.Base,
    "alternate_base": _R.AlternateBase, "tooltip_base": _R.ToolTipBase,
    "tooltip_text": _R.ToolTipText, "text": _R.Text, "button": _R.Button,
    "button_text": _R.ButtonText, "highlight": _R.Highlight,
    "highlighted_text": _R.HighlightedText, "link": _R.Link, "placeholder": _R.PlaceholderText,
    "mid": _R.Mid,
}

COLORS: dict[str, dict[str, str]] = {
    "light": {
        "window": "#f4f5f7", "window_text": "#1f2328", "base": "#ffffff",
        "alternate_base": "#f0f2f5", "tooltip_base": "#ffffdc", "tooltip_text": "#1f2328",
        "text": "#1f2328", "button": "#eceef1", "button_text": "#1f2328",
        "highlight": "#2f6fbf", "highlighted_text": "#ffffff", "link": "#2563a8",
        "placeholder": "#656a73", "mid": "#636973", "disabled_text": "#a0a4ab",
        "error": "#b3261e", "warning": "#8a5a00", "ok": "#1e7b45", "muted": "#5f6670",
        "accent": "#2f6fbf", "flag": "#9c2f80", "icon": "#3d4450",
        "error_bg": "#fde2e1", "error_fg": "#5c1310", "error_border": "#e0a09c",
        "warning_bg": "#fff3cd", "warning_fg": "#4d3a00", "warning_border": "#e6cf84",
        "info_bg": "#e2effd", "info_fg": "#102a4c", "info_border": "#9cbbe0",
        "replay_bg": "#f3e5f5", "highlight_bg": "#ffe58f", "error_line_bg": "#f8d7d4",
        "mark_text": "#141414", "mark_changed": "#ffec99", "mark_added": "#ccecc0",
        "mark_mismatch": "#ffcdcd", "mark_warning": "#ffddaa", "mark_renamed": "#d0e0ff",
        "mark_converted": "#e6d7ff", "mark_dropped": "#d7d7d7",
        "syntax_key": "#2563a8", "syntax_string": "#a3562b", "syntax_number": "#9a4f00",
        "syntax_literal": "#7b3fb0", "syntax_variable": "#0d6e61", "syntax_comment": "#5f6670",
        "syntax_punct": "#5c5c5c",
    },
    "dark": {
        "window": "#23262b", "window_text": "#e6e6e6", "base": "#1b1d21",
        "alternate_base": "#2a2d33", "tooltip_base": "#2a2d33", "tooltip_text": "#e6e6e6",
        "text": "#e6e6e6", "button": "#2d3036", "button_text": "#e6e6e6",
        "highlight": "#2f6bb3", "highlighted_text": "#ffffff", "link": "#6aa5ee",
        "placeholder": "#979ca5", "mid": "#8a8f98", "disabled_text": "#6b7078",
        "error": "#ff8a80", "warning": "#f0c060", "ok": "#6fd49a", "muted": "#a3a9b2",
        "accent": "#6aa5ee", "flag": "#e58fd0", "icon": "#d0d4da",
        "error_bg": "#4a1f1f", "error_fg": "#ffd6d3", "error_border": "#8a3b36",
        "warning_bg": "#4a3d14", "warning_fg": "#ffe8a3", "warning_border": "#8a7430",
        "info_bg": "#1d3250", "info_fg": "#d6e6ff", "info_border": "#3f6390",
        "replay_bg": "#3a2740", "highlight_bg": "#6b5a00", "error_line_bg": "#4a2624",
        "mark_text": "#f0f0f0", "mark_changed": "#5c4a00", "mark_added": "#1f4d2a",
        "mark_mismatch": "#6b2424", "mark_warning": "#6b4214", "mark_renamed": "#1f3d6b",
        "mark_converted": "#47306b", "mark_dropped": "#4a4a4a",
        "syntax_key": "#7fb2f0", "syntax_string": "#e3a87a", "syntax_number": "#f0b070",
        "syntax_literal": "#c79bf2", "syntax_variable": "#5fd4c0", "syntax_comment": "#9aa0aa",
        "syntax_punct": "#a8acb3",
    },
}

MARKS = ("changed", "added", "mismatch", "warning", "renamed", "converted", "dropped")
_SYNTAX = ("key", "string", "number", "literal", "variable", "comment", "punct")

#: (text role, background role): every pair the designer draws; each must reach 4.5:1.
PAIRS: tuple[tuple[str, str], ...] = (
    ("window_text", "window"), ("text", "base"), ("text", "alternate_base"),
    ("button_text", "button"), ("button_text", "alternate_base"), ("highlighted_text", "highlight"),
    ("tooltip_text", "tooltip_base"), ("link", "base"), ("link", "window"),
    ("placeholder", "base"), ("placeholder", "alternate_base"), ("mid", "window"),
    ("mid", "base"),
    *((fg, bg) for fg in ("error", "warning", "ok", "muted", "accent", "flag")
      for bg in ("window", "base", "alternate_base")),
    ("error_fg", "error_bg"), ("warning_fg", "warning_bg"), ("info_fg", "info_bg"),
    ("window_text", "replay_bg"), ("text", "highlight_bg"), ("window_text", "highlight_bg"),
    ("text", "error_line_bg"), ("text", "error_bg"),
    *(("mark_text", f"mark_{m}") for m in MARKS),
    *((f"syntax_{s}", bg) for s in _SYNTAX for bg in ("base", "alternate_base")),
)
#: (graphic role, background role): icons and status dots, WCAG non-text contrast (3:1).
GRAPHIC_PAIRS: tuple[tuple[str, str], ...] = tuple(
    (fg, bg) for fg in ("icon", "ok", "error", "warning", "muted", "flag")
    for bg in ("window", "base", "button"))

_scheme = "light"


def scheme() -> str:
    """The scheme in use: ``light`` or ``dark``."""
    return _scheme


def color(role: str) -> str:
    """The ``#rrggbb`` colour of ``role`` in the scheme in use."""
    return COLORS[_scheme][role]


def qcolor(role: str) -> QColor:
    return QColor(color(role))


def _fill(template: str) -> str:
    return Template(template).substitute(COLORS[_scheme])


# What a theme switch redraws. Weak sets of the objects that asked, rather than a walk over
# QApplication.allWidgets(), which also wraps widgets half-built or being destroyed (a crash
# seen when a window was built while another was torn down).
_themed: weakref.WeakSet[QObject] = weakref.WeakSet()


def set_style(widget: QWidget, template: str) -> None:
    """Style ``widget`` with ``template`` (``$role`` colours), now and after each switch."""
    widget.setProperty("theme_style", template)
    widget.setStyleSheet(_fill(template))
    _themed.add(widget)


def set_rich_text(label: QWidget, template: str) -> None:
    """Set a label's rich text from ``template`` (``$role`` colours), kept up on a switch."""
    label.setProperty("theme_text", template)
    label.setText(_fill(template))
    _themed.add(label)


def icon(name: str) -> QIcon:
    """``resources/icons/<name>.svg`` drawn in the ``icon`` role's colour (16 and 32 px)."""
    svg = resource_path("icons", f"{name}.svg").read_text(encoding="utf-8")
    renderer = QSvgRenderer(QByteArray(svg.replace("currentColor", color("icon")).encode()))
    result = QIcon()
    for size in (16, 24, 32):
        pm = QPixmap(size, size)
        pm.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pm)
        renderer.render(painter)
        painter.end()
        result.addPixmap(pm)
    return result


def set_icon(action: QAction, name: str) -> None:
    """Give ``action`` the themed icon ``name``, redrawn after each switch."""
    action.setProperty("theme_icon", name)
    action.setIcon(icon(name))
    _themed.add(action)


def _restyle() -> None:
    icons: dict[str, QIcon] = {}
    for obj in list(_themed):
        if not isValid(obj):  # the C++ object is gone, its wrapper not yet
            continue
        if style := obj.property("theme_style"):
            obj.setStyleSheet(_fill(style))
        if text := obj.property("theme_text"):
            obj.setText(_fill(text))
        if name := obj.property("theme_icon"):
            obj.setIcon(icons.setdefault(name, icon(name)))


def system_is_dark(app: QApplication) -> bool:
    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def apply_theme(app: QApplication, theme: str) -> str:
    """Apply ``light``, ``dark`` or ``system``; returns the scheme actually used."""
    global _scheme
    _scheme = theme if theme in {"light", "dark"} else (
        "dark" if system_is_dark(app) else "light")
    if app.style().name().lower() != "fusion":  # setStyle re-polishes every widget
        app.setStyle("Fusion")
    pal = QPalette()
    for name, role in PALETTE_ROLES.items():
        pal.setColor(role, qcolor(name))
    for role in (_R.Text, _R.WindowText, _R.ButtonText):
        pal.setColor(QPalette.ColorGroup.Disabled, role, qcolor("disabled_text"))
    app.setPalette(pal)
    _restyle()
    return _scheme
