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

#: Each role's colour as (light, dark): one row a role, so no scheme can miss one.
_ROLE_COLORS: dict[str, tuple[str, str]] = {
    "window": ("#f4f5f7", "#23262b"),
    "window_text": ("#1f2328", "#e6e6e6"),
    "base": ("#ffffff", "#1b1d21"),
    "alternate_base": ("#f0f2f5", "#2a2d33"),
    "tooltip_base": ("#ffffdc", "#2a2d33"),
    "tooltip_text": ("#1f2328", "#e6e6e6"),
    "text": ("#1f2328", "#e6e6e6"),
    "button": ("#eceef1", "#2d3036"),
    "button_text": ("#1f2328", "#e6e6e6"),
    "highlight": ("#2f6fbf", "#2f6bb3"),
    "highlighted_text": ("#ffffff", "#ffffff"),
    "link": ("#2563a8", "#6aa5ee"),
    "placeholder": ("#656a73", "#979ca5"),
    "mid": ("#636973", "#8a8f98"),
    "disabled_text": ("#a0a4ab", "#6b7078"),
    "error": ("#b3261e", "#ff8a80"),
    "warning": ("#8a5a00", "#f0c060"),
    "ok": ("#1e7b45", "#6fd49a"),
    "muted": ("#5f6670", "#a3a9b2"),
    "accent": ("#2f6fbf", "#6aa5ee"),
    "flag": ("#9c2f80", "#e58fd0"),
    "icon": ("#3d4450", "#d0d4da"),
    "error_bg": ("#fde2e1", "#4a1f1f"),
    "error_fg": ("#5c1310", "#ffd6d3"),
    "error_border": ("#e0a09c", "#8a3b36"),
    "warning_bg": ("#fff3cd", "#4a3d14"),
    "warning_fg": ("#4d3a00", "#ffe8a3"),
    "warning_border": ("#e6cf84", "#8a7430"),
    "info_bg": ("#e2effd", "#1d3250"),
    "info_fg": ("#102a4c", "#d6e6ff"),
    "info_border": ("#9cbbe0", "#3f6390"),
    "replay_bg": ("#f3e5f5", "#3a2740"),
    "highlight_bg": ("#ffe58f", "#6b5a00"),
    "error_line_bg": ("#f8d7d4", "#4a2624"),
    "mark_text": ("#141414", "#f0f0f0"),
    "mark_changed": ("#ffec99", "#5c4a00"),
    "mark_added": ("#ccecc0", "#1f4d2a"),
    "mark_mismatch": ("#ffcdcd", "#6b2424"),
    "mark_warning": ("#ffddaa", "#6b4214"),
    "mark_renamed": ("#d0e0ff", "#1f3d6b"),
    "mark_converted": ("#e6d7ff", "#47306b"),
    "mark_dropped": ("#d7d7d7", "#4a4a4a"),
    "syntax_key": ("#2563a8", "#7fb2f0"),
    "syntax_string": ("#a3562b", "#e3a87a"),
    "syntax_number": ("#9a4f00", "#f0b070"),
    "syntax_literal": ("#7b3fb0", "#c79bf2"),
    "syntax_variable": ("#0d6e61", "#5fd4c0"),
    "syntax_comment": ("#5f6670", "#9aa0aa"),
    "syntax_punct": ("#5c5c5c", "#a8acb3"),
}
SCHEMES = ("light", "dark")
COLORS: dict[str, dict[str, str]] = {
    scheme: {role: pair[i] for role, pair in _ROLE_COLORS.items()}
    for i, scheme in enumerate(SCHEMES)
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
    _scheme = theme if theme in SCHEMES else (
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
