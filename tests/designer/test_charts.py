"""Charts (issue 19 part 3), each tested against the numbers it draws: the Preview's column
profile (computed off the GUI thread), runs over time (a click selects the run) and dead
letters by reason and stage (a click filters the table); theme and screen-reader text."""

from __future__ import annotations

import os
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QApplication

from pycharter_gui.designer import theme
from pycharter_gui.designer.column_profile import summarize_column
from pycharter_gui.designer.run_history import RunEntry, RunHistory
from pycharter_gui.designer.views import preview_panel as preview_mod
from pycharter_gui.designer.views.charts import BarChart, Histogram, RunsChart
from pycharter_gui.designer.views.dead_letter_panel import DeadLetterPanel
from pycharter_gui.designer.views.preview_panel import PreviewPanel
from pycharter_gui.designer.views.runs_panel import RunsPanel

from .dlq_fixtures import make_dlq_pipeline, run_pipeline
from .preview_support import copy_example

WAIT = 10000


def _screenshot(qtbot, widget, name: str, tmp_path: Path, rect: QRect | None = None) -> None:
    qtbot.wait(100)  # laid out and painted
    out = Path(os.environ.get("PYCHARTER_SCREENSHOT_DIR") or tmp_path)  # docs/ only on request
    out.mkdir(parents=True, exist_ok=True)
    assert widget.grab(rect or QRect(QPoint(0, 0), widget.size())).save(str(out / f"{name}.png"))


def _click(qtbot, chart, pos: QPoint) -> None:
    qtbot.mouseClick(chart.view.viewport(), Qt.MouseButton.LeftButton, pos=pos)


def _in_bin(values: list[float], x0: float, x1: float, last: bool) -> int:
    return sum(1 for v in values if x0 <= v < x1 or (last and v == x1))


# -- Preview column profile ---------------------------------------------------------------------
@pytest.fixture
def preview(qtbot, tmp_path) -> PreviewPanel:
    panel = PreviewPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 500)
    panel.show()
    panel.set_pipeline(copy_example(tmp_path, "orders_to_sqlite"))
    with qtbot.waitSignal(panel.preview_finished, timeout=WAIT):
        panel.start_preview()
    return panel


def _profile(qtbot, panel: PreviewPanel, column: str):
    """Click ``column``'s header as a user would; the popup once it shows that column."""
    popup = panel.summary_popup
    popup.hide()
    header = panel.table.horizontalHeader()
    section = panel.model.columns().index(column)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton,
                     pos=QPoint(header.sectionViewportPosition(section) + 5, 5))
    qtbot.waitUntil(lambda: popup.isVisible() and f"<b>{column}</b>" in popup.label.text(), timeout=WAIT)
    return popup


def test_profile_is_computed_on_a_worker_and_its_histogram_draws_the_sample(qtbot, preview, monkeypatch):
    threads: list[threading.Thread] = []

    def hook(records, column, *args):
        threads.append(threading.current_thread())
        return summarize_column(records, column, *args)

    monkeypatch.setattr(preview_mod, "summarize_column", hook)
    popup = _profile(qtbot, preview, "Qty")
    assert threads and threading.main_thread() not in threads
    values = [r["Qty"] for r in preview.sample() if r.get("Qty") is not None]
    drawn = popup.chart().plotted()
    assert popup.chart() is popup.histogram and popup.histogram.isVisible() and not popup.top_values.isVisible()
    assert sum(h for _a, _b, h in drawn) == len(values)
    for i, (x0, x1, height) in enumerate(drawn):
        assert height == _in_bin(values, x0, x1, last=i == len(drawn) - 1)
    text = popup.label.text()
    assert f"<b>{min(values)}</b>" in text and f"<b>{max(values)}</b>" in text
    assert f"<b>{len(set(values))}</b>" in text  # distinct
    # Readable without the picture: a visible line and every bar for a screen reader.
    assert f"{len(values)} values in {len(drawn)} bins" in popup.histogram.summary_label.text()
    description = popup.histogram.accessibleDescription()
    summary = summarize_column(preview.sample(), "Qty")
    assert description == "; ".join(f"{label}: {n:,}" for label, n in summary.histogram)
    assert popup.histogram.accessibleName() == "Histogram of Qty"


def test_profile_of_dates_is_a_histogram_on_a_date_axis_and_of_text_its_top_values(qtbot, preview, tmp_path):
    popup = _profile(qtbot, preview, "OrderDate")
    dates = [datetime.fromisoformat(r["OrderDate"]).replace(tzinfo=UTC).timestamp()
             for r in preview.sample() if r.get("OrderDate")]
    drawn = popup.histogram.plotted()
    assert isinstance(popup.histogram.plot.getAxis("bottom"), pg.DateAxisItem)
    assert sum(h for *_x, h in drawn) == len(dates)
    for i, (x0, x1, height) in enumerate(drawn):
        assert height == _in_bin(dates, x0, x1, last=i == len(drawn) - 1)
    _screenshot(qtbot, popup, "column-profile-histogram", tmp_path)

    popup = _profile(qtbot, preview, "Status")
    statuses = Counter(r["Status"] for r in preview.sample() if r.get("Status") is not None)
    assert popup.chart() is popup.top_values and not popup.histogram.isVisible()
    assert popup.top_values.plotted() == [(s, float(n)) for s, n in statuses.most_common(10)]
    assert f"of {len(statuses)} distinct values" in popup.top_values.summary_label.text()
    _screenshot(qtbot, popup, "column-profile-top-values", tmp_path)
    popup.hide()


# -- Runs over time -------------------------------------------------------------------------------
def _run(i: int, loaded: int, dead: int, seconds: float) -> RunEntry:
    start = datetime(2026, 1, 2, 3, 4, tzinfo=UTC) + timedelta(hours=i)
    return RunEntry(run_id=f"run{i}", pipeline="orders", folder="/x/orders", started_at=start.isoformat(),
                    dry_run=False, outcome="success", duration_seconds=seconds,
                    counts={"extracted": loaded + dead, "loaded": loaded, "dead_lettered": dead})


def test_runs_chart_draws_each_run_and_a_click_selects_it(qtbot, tmp_path):
    history = RunHistory(tmp_path)
    runs = [(120, 0, 1.5), (118, 2, 2.25), (60, 60, 0.75), (125, 5, 3.0)]  # oldest first
    for i, (loaded, dead, seconds) in enumerate(runs):
        history.append(_run(i, loaded, dead, seconds))
    panel = RunsPanel()
    qtbot.addWidget(panel)
    panel.resize(900, 600)
    panel.show()
    with qtbot.waitSignal(panel.refreshed, timeout=WAIT):
        panel.set_workspace(tmp_path)
    chart = panel.chart
    assert chart.plotted() == {"loaded": [float(r[0]) for r in runs], "dead_letters": [float(r[1]) for r in runs],
                               "seconds": [r[2] for r in runs]}
    assert chart.summary_label.text().startswith("4 runs, oldest left · last: loaded 125, dead letters 5, 3.0 s")
    assert "loaded 60, dead letters 60, 0.8 s" in chart.accessibleDescription()

    with qtbot.waitSignal(panel.run_selected, timeout=1000) as selected:
        _click(qtbot, chart, chart.run_position(2))  # the run with 60 dead letters
    assert selected.args[0].run_id == "run2"
    assert panel.tree.indexOfTopLevelItem(panel.tree.currentItem()) == 1  # newest first in the list
    assert chart._current == 2
    with qtbot.waitSignal(panel.run_selected, timeout=1000) as selected:
        _click(qtbot, chart, chart.run_position(0) + QPoint(0, 40))  # anywhere in the run's column
    assert selected.args[0].run_id == "run0"
    panel.select_run(0)  # the list selects on the chart too
    assert chart._current == 3
    _screenshot(qtbot, panel, "runs-chart", tmp_path)


# -- Dead letters by reason and stage ------------------------------------------------------------
def test_dead_letter_chart_draws_the_statistics_and_a_click_filters_the_table(qtbot, tmp_path):
    folder = make_dlq_pipeline(tmp_path, "sqlite", n_good=5, n_bad_age=45, n_negative=15)
    assert run_pipeline(folder)["dead_lettered"] == 60
    panel = DeadLetterPanel()
    qtbot.addWidget(panel)
    panel.resize(1200, 700)
    panel.show()
    with qtbot.waitSignals([panel.model.reloaded, panel.statistics_loaded], timeout=WAIT):
        panel.open_file(folder / ".pycharter" / "dead_letters.db")
    stats = panel.queue.statistics(panel.filter_bar.filters())
    chart = panel.chart
    assert chart.by_reason.plotted() == sorted(((k, float(v)) for k, v in stats["by_reason"].items()),
                                               key=lambda kv: -kv[1])
    assert chart.by_reason.plotted() == [("transformation_error", 45.0), ("validation_error", 15.0)]
    assert chart.by_stage.plotted() == [("transform", 45.0), ("validate", 15.0)]
    assert chart.by_reason.summary_label.text() == "By reason: transformation_error 45 · validation_error 15"
    assert chart.by_stage.accessibleDescription() == "transform: 45; validate: 15"
    top = panel.filter_bar.y()  # filters, summary, charts and the first rows of the table
    bottom = panel.view.mapTo(panel, QPoint(0, 140)).y()
    _screenshot(qtbot, panel, "dead-letters-chart", tmp_path, QRect(0, top, panel.width(), bottom - top))

    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as reloaded:
        _click(qtbot, chart.by_reason, chart.by_reason.bar_position(1))
    assert reloaded.args == [15]
    assert panel.filter_bar.reason.currentText() == "validation_error"
    qtbot.waitUntil(lambda: chart.by_reason.plotted() == [("validation_error", 15.0)], timeout=WAIT)
    assert chart.by_stage.plotted() == [("validate", 15.0)]

    panel.filter_bar.set_reason(None)
    qtbot.waitUntil(lambda: len(chart.by_stage.plotted()) == 2, timeout=WAIT)
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT) as reloaded:
        _click(qtbot, chart.by_stage, chart.by_stage.bar_position(0))
    assert reloaded.args == [45]
    assert panel.filter_bar.stage.currentText() == "transform"


# -- Theme ----------------------------------------------------------------------------------------
def test_charts_follow_the_theme(qtbot):
    bars, histogram, runs = BarChart("bars"), Histogram("histogram"), RunsChart()
    for chart in (bars, histogram, runs):
        qtbot.addWidget(chart)
    bars.set_bars([("a", 3), ("b", 1)], "two bars")
    histogram.set_bins([0, 1, 2], [("0 to 1", 2), ("1 to 2", 5)], "two bins")
    app = QApplication.instance()
    try:
        for scheme in ("dark", "light"):
            theme.apply_theme(app, scheme)
            app.processEvents()  # the palette change reaches the widgets
            for chart in (bars, histogram, runs):
                assert chart.view.backgroundBrush().color() == theme.qcolor("base"), (scheme, chart)
                assert chart.plots()[0].getAxis("left").textPen().color() == theme.qcolor("text")
            for chart in (bars, histogram):
                assert pg.mkBrush(chart._item.opts["brush"]).color() == theme.qcolor("accent"), (scheme, chart)
    finally:
        theme.apply_theme(app, "light")
