"""pycharter's published pipeline formats in the designer (issue 18): the workspace lists them
with their format; Preview, Dry run and Dead letters work on them; an incremental pipeline's
watermark shows in the Extract form with a Reset that asks first."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.models.pipelines import PipelineRole
from pycharter_gui.designer.views import dialogs
from pycharter_gui.etl_generator import ETLOrchestrator
from pycharter_gui.etl_generator.database.watermark import list_watermarks

from .conftest import make_pipeline

CORPUS = Path(__file__).parents[1] / "etl_generator" / "pycharter_formats" / "corpus"
WAIT = 30000

PEOPLE = """\
# People in the pipeline.yaml shape; a bad age is a dead letter.
name: people
extract:
  type: file
  path: people.csv   # beside this file
transform:
  strict: true
  convert: {age: int}
load:
  type: file
  path: out/people.jsonl
  format: jsonl
dlq:
  enabled: true
  backend: file
  path: .pycharter/dead_letters.jsonl
"""

INCREMENTAL = """\
type: database
url: sqlite:///events.db
query: SELECT id, updated_at FROM events WHERE updated_at > '${__watermark__}' ORDER BY updated_at
incremental:
  column: updated_at
  initial: "2000-01-01"
"""


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for name in ("v2_file", "steps_in_extract", "sections_jsonata"):
        shutil.copytree(CORPUS / name, root / name)
    people = root / "people"
    people.mkdir()
    (people / "people.csv").write_text("id,name,age\n1,Ann,30\n2,Bob,x2\n3,Cy,40\n")
    (people / "pipeline.yaml").write_text(PEOPLE)
    make_pipeline(root, "classic")
    return root


@pytest.fixture
def window(qtbot, ws: Path):
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name)


def test_workspace_lists_each_format(window: MainWindow) -> None:
    model = window.pipeline_list.model()
    rows = {model.data(model.index(r, 0), PipelineRole).name: model.index(r, 0)
            for r in range(model.rowCount())}
    assert set(rows) == {"classic", "people", "sections_jsonata", "steps_in_extract", "v2_file"}
    shown = {name: model.data(i) for name, i in rows.items()}
    assert shown["classic"] == "classic"  # the folder trio needs no badge
    assert shown["people"].endswith("[pipeline.yaml]")
    assert shown["steps_in_extract"].endswith("[steps (0.0.60)]")
    assert shown["v2_file"].endswith("[v2 Pipeline]")
    assert "Format: folder" in model.data(rows["classic"], Qt.ItemDataRole.ToolTipRole)
    assert "Format: steps (0.0.60) (extract.yaml)" in model.data(
        rows["steps_in_extract"], Qt.ItemDataRole.ToolTipRole)


@pytest.mark.parametrize("name", ["people", "steps_in_extract", "v2_file", "sections_jsonata"])
def test_preview_and_dry_run(qtbot, window: MainWindow, ws: Path, name: str) -> None:
    _select(qtbot, window, name)
    docks = window.data_docks
    with qtbot.waitSignal(docks.preview.preview_finished, timeout=WAIT):
        window.actions_by_name["preview"].trigger()
    assert docks.preview.model.rowCount() > 0
    before = sorted(p.relative_to(ws) for p in (ws / name).rglob("*"))
    with qtbot.waitSignal(docks.run_panel.run_finished, timeout=WAIT) as blocker:
        window.actions_by_name["dry_run"].trigger()
    result = blocker.args[0]
    assert result["dry_run"] and result["success"], result.get("error")
    extracted = docks.preview.model.rowCount()
    assert result["loading"]["total_records"] == extracted - result["dead_lettered"]
    assert sorted(p.relative_to(ws) for p in (ws / name).rglob("*")) == before


def test_dead_letters_of_a_pipeline_yaml(qtbot, window: MainWindow, ws: Path) -> None:
    result = asyncio.run(ETLOrchestrator(contract_dir=ws / "people", verbose=False).run())
    assert result["dead_lettered"] == 1
    _select(qtbot, window, "people")
    panel, dock = window.data_docks.dead_letters, window.data_docks.docks["dead_letters"]
    with qtbot.waitSignals([panel.opened, panel.model.reloaded], timeout=WAIT):
        dock.show()
        dock.raise_()
    assert panel.model.total == 1 and panel.pipeline_dir == ws / "people"
    assert panel.replay_button.isEnabled() is False  # nothing selected yet
    panel.select_rows([0])
    assert panel.replay_button.isEnabled()


def test_watermark_shows_in_the_extract_form_and_resets_after_asking(
        qtbot, window: MainWindow, ws: Path, monkeypatch) -> None:
    import sqlite3

    folder = make_pipeline(ws, "events", extract=INCREMENTAL, transform="",
                           load="type: file\npath: out/events.jsonl\nformat: jsonl\n")
    with sqlite3.connect(folder / "events.db") as conn:
        conn.execute("CREATE TABLE events (id INTEGER, updated_at TEXT)")
        conn.executemany("INSERT INTO events VALUES (?, ?)", [(1, "2024-01-01"), (2, "2024-02-01")])
    window.workspace.refresh()
    _select(qtbot, window, "events")
    form = window.editor.forms["extract"]
    window.editor.tabs.setCurrentWidget(form)
    bar = form.watermark_bar
    qtbot.waitUntil(bar.isVisible)
    assert "none stored yet" in bar.label.text() and not bar.reset_button.isEnabled()

    result = asyncio.run(ETLOrchestrator(contract_dir=folder, verbose=False).run())
    assert result["success"], result.get("error")
    bar.update_marks()
    assert "2024-02-01" in bar.label.text() and "updated_at" in bar.label.text()

    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: dialogs.Button.No)
    bar.reset_button.click()
    assert list_watermarks(folder)  # asked, answered No: kept
    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: dialogs.Button.Yes)
    with qtbot.waitSignal(bar.reset_done) as done:
        bar.reset_button.click()
    assert done.args == [1] and list_watermarks(folder) == {}
    assert "none stored yet" in bar.label.text()
