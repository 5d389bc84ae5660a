"""Every text/background pair the designer sets itself reaches WCAG AA (4.5:1) in both themes.

The ratios are computed with the WCAG relative-luminance formula from the colours the window
actually uses: the theme's roles, the palette of each widget after its style sheet is applied,
style-sheet and rich-text colours, and the colours the item models hand to their views.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractListModel, Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QLabel, QWidget

from pycharter_gui.designer import theme
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.run_history import RunEntry
from pycharter_gui.designer.views.message_bar import MessageBar

from .conftest import open_window

AA_TEXT, AA_GRAPHIC = 4.5, 3.0
MARKS = ("changed", "added", "mismatch", "warning", "renamed", "converted", "dropped")
_STYLE_COLOUR = re.compile(r"(?<![\w-])(color|background(?:-color)?)\s*:\s*"
                           r"(#[0-9a-fA-F]{3,8}|palette\([a-z-]+\)|[a-zA-Z]+)")
_SPAN_STYLE = re.compile(r"""style\s*=\s*(['"])(.*?)\1""")


def luminance(c: QColor) -> float:
    def channel(v: float) -> float:
        return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
    return 0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())


def ratio(a: QColor, b: QColor) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_ratio_matches_wcag_examples():
    assert ratio(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert ratio(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_theme_pair_meets_aa(scheme: str):
    colors = theme.COLORS[scheme]
    low = [(fg, bg, round(ratio(QColor(colors[fg]), QColor(colors[bg])), 2))
           for fg, bg in theme.PAIRS
           if ratio(QColor(colors[fg]), QColor(colors[bg])) < AA_TEXT]
    low += [(fg, bg, round(ratio(QColor(colors[fg]), QColor(colors[bg])), 2))
            for fg, bg in theme.GRAPHIC_PAIRS
            if ratio(QColor(colors[fg]), QColor(colors[bg])) < AA_GRAPHIC]
    assert low == []
    assert set(colors) == set(theme.COLORS["light"])  # every role exists in both schemes


# -- the real window ------------------------------------------------------------------------
def _style_colour(widget: QWidget, value: str) -> QColor:
    if value.startswith("palette("):
        role = "".join(p.capitalize() for p in value[8:-1].split("-"))
        return widget.palette().color(getattr(QPalette.ColorRole, role))
    return QColor(value)


def _background(widget: QWidget) -> QColor:
    """What is painted behind ``widget``: the nearest style-sheet background, else the palette
    colour of the nearest widget that fills its background."""
    w: QWidget | None = widget
    while w is not None:
        for prop, value in _STYLE_COLOUR.findall(w.styleSheet()):
            if prop.startswith("background"):
                return _style_colour(w, value)
        if w.autoFillBackground() or w.isWindow():
            return w.palette().color(w.backgroundRole())
        w = w.parentWidget()
    return widget.palette().color(QPalette.ColorRole.Window)


def _colour(value: object) -> QColor | None:
    if isinstance(value, QBrush):
        return value.color()
    if isinstance(value, QColor | Qt.GlobalColor):
        return QColor(value)
    return None


def _label_pairs(label: QLabel) -> list[tuple[str, QColor, QColor]]:
    label.ensurePolished()
    fg = label.palette().color(label.foregroundRole())
    bg = _background(label)
    pairs = [(f"label {label.accessibleName() or label.text()[:40]!r}", fg, bg)]
    for _q, style in _SPAN_STYLE.findall(label.text()):
        found = dict(_STYLE_COLOUR.findall(style))
        span_fg = _style_colour(label, found["color"]) if "color" in found else fg
        span_bg = next((_style_colour(label, v) for k, v in found.items()
                        if k.startswith("background")), bg)
        pairs.append((f"span {style!r} in {label.text()[:40]!r}", span_fg, span_bg))
    return pairs


def _view_pairs(view: QAbstractItemView) -> list[tuple[str, QColor, QColor]]:
    model, pal = view.model(), view.palette()
    if model is None:
        return []
    columns = 1 if isinstance(model, QAbstractListModel) else model.columnCount()
    pairs = []
    for row in range(min(model.rowCount(), 30)):
        for col in range(columns):
            idx = model.index(row, col)
            fg = _colour(idx.data(Qt.ItemDataRole.ForegroundRole))
            bg = _colour(idx.data(Qt.ItemDataRole.BackgroundRole))
            if fg is not None or bg is not None:
                pairs.append((f"{view.accessibleName() or type(view).__name__} cell {row},{col}",
                              fg or pal.color(QPalette.ColorRole.Text),
                              bg or pal.color(QPalette.ColorRole.Base)))
    for col in range(columns):
        fg = _colour(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.ForegroundRole))
        bg = _colour(model.headerData(col, Qt.Orientation.Horizontal, Qt.ItemDataRole.BackgroundRole))
        if fg is not None or bg is not None:
            pairs.append((f"{type(view).__name__} header {col}",
                          fg or pal.color(QPalette.ColorRole.ButtonText),
                          bg or pal.color(QPalette.ColorRole.Button)))
    return pairs


def _icon_colour(icon: object, size: int = 16) -> QColor:
    """The mean colour of an icon's opaque pixels."""
    image = icon.pixmap(size, size).toImage()
    pixels = [image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())]
    solid = [p for p in pixels if p.alpha() > 200] or pixels
    return QColor(*(round(sum(getattr(p, c)() for p in solid) / len(solid))
                    for c in ("red", "green", "blue")))


@pytest.fixture
def window(qtbot, workspace: Path):
    with open_window(qtbot, workspace) as win:
        yield win
    theme.apply_theme(QApplication.instance(), "light")


def _exercise(qtbot, win: MainWindow) -> None:
    """Put every coloured thing on screen: a YAML error, cell and column marks, message bars
    of each kind, failed/cancelled runs."""
    win.select_pipeline("people")
    qtbot.waitUntil(lambda: win.current is not None)
    win.current.set_text("extract", "type: [file\n")
    qtbot.waitUntil(lambda: bool(win.editor.yaml_status["extract"].text()))
    tp = win.data_docks.transform_preview
    columns = [*MARKS, "empty"]
    tp.after_model.set_records([{c: "x" for c in MARKS} | {"empty": None}], columns)
    tp.after_model.set_cell_marks({(0, kind): (kind, kind) for kind in MARKS})
    tp.after_model.set_column_marks({kind: (kind, kind) for kind in MARKS})
    for bar, kind in zip(win.findChildren(MessageBar), ("error", "warning", "info"), strict=False):
        bar.show_message(f"a {kind} message", kind)
    runs = win.data_docks.runs
    entries = [RunEntry(run_id=str(i), pipeline="people", folder="", started_at="2024-01-01T00:00:00",
                        dry_run=False, outcome=outcome, error="boom" if outcome == "failed" else None,
                        counts={"dead_lettered": 2})
               for i, outcome in enumerate(("cancelled", "failed", "success"))]
    runs._show(entries)
    runs.select_run(1)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_window_text_and_icons_meet_aa(qtbot, window: MainWindow, scheme: str):
    window.set_theme(scheme, persist=False)
    _exercise(qtbot, window)
    qtbot.wait(20)  # widgets take the new palette from queued events
    pairs = [p for label in window.findChildren(QLabel) if label.isEnabled()  # WCAG: not disabled
             for p in _label_pairs(label)]
    pairs += [p for view in window.findChildren(QAbstractItemView)
              if not isinstance(view, QHeaderView) for p in _view_pairs(view)]
    low = sorted({(where, fg.name(), bg.name(), round(ratio(fg, bg), 2))
                  for where, fg, bg in pairs if ratio(fg, bg) < AA_TEXT})
    assert not low, "\n".join(map(str, low))
    toolbar_bg = window.toolbar.palette().color(QPalette.ColorRole.Window)
    for key in ("undo", "redo"):
        icon = window.actions_by_name[key].icon()
        assert ratio(_icon_colour(icon), toolbar_bg) >= AA_GRAPHIC, key


def test_theme_switch_recolours_styled_widgets(qtbot, window: MainWindow):
    _exercise(qtbot, window)
    status = window.editor.yaml_status["extract"]
    window.set_theme("light", persist=False)
    light = status.palette().color(status.foregroundRole())
    window.set_theme("dark", persist=False)
    status.ensurePolished()
    assert status.palette().color(status.foregroundRole()) != light
    assert theme.color("error") in status.styleSheet()
