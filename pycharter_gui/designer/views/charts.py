"""Small charts for the designer, drawn with pyqtgraph: bars by category, a histogram, and runs
over time.

pyqtgraph draws with QtGui/QtWidgets (the QtOpenGL and QtSvg modules it imports are in
PySide6-Essentials), is fast on thousands of points and renders offscreen. Every chart shows a
one-line summary above the plot and gives the numbers to a screen reader (``accessibleName``,
and ``accessibleDescription`` with every bar or point); ``plotted()`` returns what is drawn,
read back from the plot items. Colours are ``theme`` roles, drawn again when the application
palette changes (``theme.apply_theme``). The plots neither pan nor zoom: a click picks a bar
or a run.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, Signal
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from .. import theme


def _quiet(plot: pg.PlotItem) -> pg.PlotItem:
    """No context menu, no pan or zoom, no auto-range button."""
    plot.setMenuEnabled(False)
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    return plot


class _Chart(QWidget):
    """A summary line over a pyqtgraph view; subclasses fill the view in ``_draw``."""

    def __init__(self, name: str, view: pg.GraphicsView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)  # a screen reader reaches the numbers
        self.summary_label = QLabel(self, wordWrap=True)
        self.summary_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.view = view
        self.view.setAccessibleName(name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.view, 1)

    def plots(self) -> list[pg.PlotItem]:
        raise NotImplementedError

    def _draw(self) -> None:
        raise NotImplementedError

    def _set_text(self, summary: str, description: str) -> None:
        """The visible one-line ``summary`` and the screen reader's ``description``."""
        self.summary_label.setText(summary)
        self.summary_label.setToolTip(summary)
        self.setAccessibleDescription(description)
        self.view.setAccessibleDescription(description)

    def _restyle(self) -> None:
        self.view.setBackground(theme.qcolor("base"))
        for plot in self.plots():
            for name in ("left", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(theme.qcolor("mid"))
                axis.setTextPen(theme.qcolor("text"))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:  # a theme switch: draw in its colours
            self._restyle()
            self._draw()

    def _index_at(self, plot: pg.PlotItem, scene_pos: QPointF, axis: int, count: int) -> int | None:
        """The bar or run under ``scene_pos`` (its whole band along ``axis``: 0 x, 1 y)."""
        if not plot.sceneBoundingRect().contains(scene_pos):
            return None
        point = plot.vb.mapSceneToView(scene_pos)
        index = round(point.y() if axis else point.x())
        return index if 0 <= index < count else None

    def _widget_pos(self, plot: pg.PlotItem, x: float, y: float) -> QPoint:
        """Where the data point (x, y) of ``plot`` is, in ``view.viewport()`` coordinates."""
        return self.view.mapFromScene(plot.vb.mapViewToScene(QPointF(x, y)))


class BarChart(_Chart):
    """Horizontal bars, one per category in the order given; clicking one (or its label)
    emits ``bar_clicked(label)``."""

    bar_clicked = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None, clickable: bool = False) -> None:
        super().__init__(name, pg.PlotWidget(), parent)
        self.plot = _quiet(self.view.getPlotItem())
        self.plot.invertY(True)
        self.plot.getAxis("bottom").hide()
        self._bars: list[tuple[str, int]] = []
        self._summary = ""
        self._item: pg.BarGraphItem | None = None
        if clickable:
            self.view.setCursor(Qt.CursorShape.PointingHandCursor)
            self.view.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._restyle()

    def plots(self) -> list[pg.PlotItem]:
        return [self.plot]

    def set_bars(self, bars: list[tuple[str, int]], summary: str) -> None:
        """Draw ``bars`` ((label, count), top to bottom) under the line ``summary``."""
        self._bars, self._summary = list(bars), summary
        self._draw()

    def plotted(self) -> list[tuple[str, float]]:
        """(label, length) of each bar as drawn, top to bottom."""
        if self._item is None:
            return []
        return [(label, float(w)) for (label, _n), w in zip(self._bars, self._item.opts["width"], strict=True)]

    def bar_position(self, index: int) -> QPoint:
        """The middle of bar ``index`` in ``view.viewport()`` coordinates (tests click there)."""
        return self._widget_pos(self.plot, self._bars[index][1] / 2, index)

    def _draw(self) -> None:
        self.plot.clear()
        self._item = None
        bars = self._bars
        axis = self.plot.getAxis("left")
        axis.setTicks([[(i, label) for i, (label, _n) in enumerate(bars)]])
        metrics = QFontMetrics(axis.style.get("tickFont") or self.font())
        axis.setWidth(max((metrics.horizontalAdvance(label) for label, _n in bars), default=0) + 16)
        self._set_text(self._summary, "; ".join(f"{label}: {n:,}" for label, n in bars) or self._summary)
        if not bars:
            return
        top = max(n for _label, n in bars) or 1
        self._item = pg.BarGraphItem(x0=0, y=list(range(len(bars))), height=0.7, width=[n for _l, n in bars],
                                     brush=theme.qcolor("accent"), pen=pg.mkPen(None))
        self.plot.addItem(self._item)
        for i, (_label, n) in enumerate(bars):
            text = pg.TextItem(f"{n:,}", color=theme.qcolor("text"), anchor=(0, 0.5))
            text.setPos(n, i)
            self.plot.addItem(text)
        self.plot.setXRange(0, top * 1.2, padding=0)
        self.plot.setYRange(-0.5, len(bars) - 0.5, padding=0)

    def _on_scene_clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        index = self._index_at(self.plot, event.scenePos(), 1, len(self._bars))  # type: ignore[attr-defined]
        if index is not None:
            self.bar_clicked.emit(self._bars[index][0])


class Histogram(_Chart):
    """Vertical bars between bin edges, on a number or a date axis."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(name, pg.PlotWidget(), parent)
        self.plot = _quiet(self.view.getPlotItem())
        self._edges: list[float] = []
        self._counts: list[int] = []
        self._labels: list[str] = []
        self._summary = ""
        self._dates = False
        self._item: pg.BarGraphItem | None = None
        self._restyle()

    def plots(self) -> list[pg.PlotItem]:
        return [self.plot]

    def set_bins(self, edges: list[float], bins: list[tuple[str, int]], summary: str, dates: bool = False) -> None:
        """Draw ``bins`` ((label, count), one between each pair of ``edges``; POSIX seconds
        when ``dates``) under the line ``summary``."""
        if dates != self._dates:
            self._dates = dates
            self.plot.setAxisItems({"bottom": pg.DateAxisItem(utcOffset=0) if dates else pg.AxisItem("bottom")})
            self._restyle()
        self._edges, self._summary = list(edges), summary
        self._labels, self._counts = [label for label, _n in bins], [n for _label, n in bins]
        self._draw()

    def plotted(self) -> list[tuple[float, float, float]]:
        """(left edge, right edge, height) of each bar as drawn."""
        if self._item is None:
            return []
        o = self._item.opts
        return [(float(a), float(b), float(h)) for a, b, h in zip(o["x0"], o["x1"], o["height"], strict=True)]

    def _draw(self) -> None:
        self.plot.clear()
        self._item = None
        self._set_text(self._summary, "; ".join(f"{label}: {n:,}" for label, n in zip(
            self._labels, self._counts, strict=True)) or self._summary)
        if not self._counts:
            return
        self._item = pg.BarGraphItem(x0=self._edges[:-1], x1=self._edges[1:], height=self._counts,
                                     brush=theme.qcolor("accent"), pen=pg.mkPen(theme.qcolor("base")))
        self.plot.addItem(self._item)
        self.plot.setXRange(self._edges[0], self._edges[-1], padding=0.02)
        self.plot.setYRange(0, max(self._counts) * 1.05, padding=0)


TIME_LABELS = 4


@dataclass(frozen=True)
class RunPoint:
    """One run on the runs chart."""

    when: str  # a short time label
    loaded: int
    dead_letters: int
    seconds: float


class RunsChart(_Chart):
    """Records loaded and dead letters (above) and duration (below) per run, oldest on the
    left, one run per step; clicking anywhere in a run's column emits ``run_clicked(index)``
    (an index into the list given to ``set_runs``)."""

    run_clicked = Signal(int)
    SERIES = (("loaded", "loaded", "ok", "o"), ("dead_letters", "dead letters", "error", "t"),
              ("seconds", "duration (s)", "accent", "s"))  # (key, legend, colour role, symbol)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Runs chart", pg.GraphicsLayoutWidget(), parent)
        self.legend = pg.LegendItem(colCount=len(self.SERIES))
        self.legend.layout.setContentsMargins(0, 0, 0, 0)
        self.legend.setMaximumHeight(22)
        self.view.addItem(self.legend, row=0, col=0)
        self.view.ci.setContentsMargins(2, 2, 2, 2)
        self.view.ci.layout.setSpacing(2)
        self.counts_plot = _quiet(self.view.addPlot(row=1, col=0))
        self.seconds_plot = _quiet(self.view.addPlot(row=2, col=0))
        self.seconds_plot.setXLink(self.counts_plot)
        self.counts_plot.getAxis("bottom").setStyle(showValues=False)
        for plot in self.plots():
            plot.getAxis("left").setWidth(52)
        self._runs: list[RunPoint] = []
        self._current: int | None = None
        self._items: dict[str, pg.PlotDataItem] = {}
        self.view.setCursor(Qt.CursorShape.PointingHandCursor)
        self.view.scene().sigMouseClicked.connect(self._on_scene_clicked)
        self._restyle()

    def plots(self) -> list[pg.PlotItem]:
        return [self.counts_plot, self.seconds_plot]

    def set_runs(self, runs: list[RunPoint]) -> None:
        """Draw ``runs``, oldest first."""
        self._runs, self._current = list(runs), None
        self._draw()

    def set_current(self, index: int | None) -> None:
        """Mark run ``index`` (None: no run) with a vertical line."""
        if index != self._current:
            self._current = index
            self._draw()

    def plotted(self) -> dict[str, list[float]]:
        """Each series' values as drawn (``loaded``, ``dead_letters``, ``seconds``), oldest first."""
        return {key: [float(v) for v in item.getData()[1]] for key, item in self._items.items()}

    def run_position(self, index: int) -> QPoint:
        """Where run ``index``'s loaded point is, in ``view.viewport()`` coordinates."""
        return self._widget_pos(self.counts_plot, index, self._runs[index].loaded)

    def _draw(self) -> None:
        runs, self._items = self._runs, {}
        for plot in self.plots():
            plot.clear()
        self.legend.clear()
        self.legend.setLabelTextColor(theme.qcolor("text"))
        self._describe()
        if not runs:
            return
        xs = list(range(len(runs)))
        for key, legend, role, symbol in self.SERIES:
            colour = theme.qcolor(role)
            item = pg.PlotDataItem(xs, [getattr(r, key) for r in runs], name=legend, pen=pg.mkPen(colour, width=2),
                                   symbol=symbol, symbolSize=7, symbolBrush=colour, symbolPen=colour,
                                   antialias=True)
            (self.seconds_plot if key == "seconds" else self.counts_plot).addItem(item)
            self.legend.addItem(item, legend)
            self._items[key] = item
        if self._current is not None:
            for plot in self.plots():
                plot.addItem(pg.InfiniteLine(self._current, pen=pg.mkPen(theme.qcolor("highlight"), width=2)))
        step = -(-len(runs) // TIME_LABELS)  # at most TIME_LABELS times under the runs, the newest first
        ticks = [(i, runs[i].when) for i in range(len(runs) - 1, -1, -step)]
        for plot in self.plots():
            plot.getAxis("bottom").setTicks([ticks])
        top = max(max(r.loaded, r.dead_letters) for r in runs) or 1
        self.counts_plot.setYRange(0, top * 1.1, padding=0)
        self.seconds_plot.setYRange(0, (max(r.seconds for r in runs) or 1) * 1.1, padding=0)
        self.counts_plot.setXRange(-0.5, len(runs) - 0.5, padding=0)

    def _describe(self) -> None:
        runs = self._runs
        if not runs:
            self._set_text("No runs to chart yet.", "No runs to chart yet.")
            return
        last = runs[-1]
        n = len(runs)
        summary = (f"{n:,} run{'s' if n != 1 else ''}, oldest left · last: loaded {last.loaded:,}, "
                   f"dead letters {last.dead_letters:,}, {last.seconds:.1f} s · most loaded "
                   f"{max(r.loaded for r in runs):,}, most dead letters {max(r.dead_letters for r in runs):,}, "
                   f"longest {max(r.seconds for r in runs):.1f} s")
        self._set_text(summary, "Oldest first. " + "; ".join(
            f"{r.when}: loaded {r.loaded:,}, dead letters {r.dead_letters:,}, {r.seconds:.1f} s" for r in runs))

    def _on_scene_clicked(self, event: object) -> None:
        if event.button() != Qt.MouseButton.LeftButton:  # type: ignore[attr-defined]
            return
        for plot in self.plots():
            index = self._index_at(plot, event.scenePos(), 0, len(self._runs))  # type: ignore[attr-defined]
            if index is not None:
                self.run_clicked.emit(index)
                return
