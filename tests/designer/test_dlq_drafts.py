"""Edits made in the Dead letters panel survive closing it and the app (issue 13): kept as
drafts in the pipeline's .pycharter (mode 0600) until replayed and loaded, or discarded."""

from __future__ import annotations

import json
import sqlite3
import stat
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from pycharter_gui.designer.dlq_drafts import drafts_path
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views.dead_letter_panel import DeadLetterPanel

from .dlq_fixtures import make_dlq_pipeline, run_pipeline

WAIT = 10000


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = make_dlq_pipeline(tmp_path / "ws", "sqlite", n_good=3, n_bad_age=4, n_negative=0)
    assert run_pipeline(folder)["dead_lettered"] == 4
    return folder


def _panel(qtbot, folder: Path) -> DeadLetterPanel:
    panel = DeadLetterPanel()
    qtbot.addWidget(panel)
    panel.show()
    with qtbot.waitSignals([panel.model.reloaded, panel.statistics_loaded], timeout=WAIT):
        panel.open_pipeline(folder)
    return panel


def _select(qtbot, panel: DeadLetterPanel, text: str) -> None:
    with qtbot.waitSignal(panel.model.reloaded, timeout=WAIT):
        panel.filter_bar.text.setText(text)
        qtbot.keyClick(panel.filter_bar.text, Qt.Key.Key_Return)
    rect = panel.view.visualRect(panel.model.index(0, 0))
    qtbot.mouseClick(panel.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert panel.detail.current is not None


def _edit(panel: DeadLetterPanel, data: dict) -> None:
    panel.edit_button.click()
    panel.edit_dialog.editor.setPlainText(json.dumps(data))
    panel.edit_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()


def _replay(qtbot, panel: DeadLetterPanel) -> None:
    with qtbot.waitSignal(panel.replay_finished, timeout=WAIT):
        panel.replay_button.click()
    with qtbot.waitSignals([panel.replay_finished, panel.model.reloaded], timeout=WAIT):
        panel.replay_bar.confirm_button.click()


def _loaded(folder: Path) -> dict[int, tuple]:
    with sqlite3.connect(folder / "out.db") as conn:
        return {r[0]: r for r in conn.execute("SELECT id, name, age FROM people")}


def _shows_edit(panel: DeadLetterPanel, name: str) -> bool:
    return ("edited" in panel.detail.header.text() and panel.detail.discard_button.isVisible()
            and name in panel.detail.record_view.toPlainText())


def test_edit_survives_closing_the_panel_and_replay_removes_it(qtbot, folder: Path) -> None:
    panel = _panel(qtbot, folder)
    _select(qtbot, panel, '"Bad 5"')
    fixed = {"id": 5, "name": "Fixed 5", "age": "35"}
    _edit(panel, fixed)
    assert _shows_edit(panel, "Fixed 5")
    path = drafts_path(folder)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # records may hold personal data
    assert list(json.loads(path.read_text(encoding="utf-8")).values()) == [fixed]
    panel.close()
    panel.deleteLater()

    again = _panel(qtbot, folder)
    assert "1 edited record(s) kept" in again.message_bar.text()
    _select(qtbot, again, '"Bad 5"')
    assert _shows_edit(again, "Fixed 5")
    _replay(qtbot, again)
    assert _loaded(folder)[5] == (5, "Fixed 5", 35)
    assert not path.exists() and not again.edits


def test_discard_removes_the_draft(qtbot, folder: Path) -> None:
    panel = _panel(qtbot, folder)
    _select(qtbot, panel, '"Bad 6"')
    _edit(panel, {"id": 6, "name": "Fixed 6", "age": "36"})
    assert drafts_path(folder).exists()
    qtbot.mouseClick(panel.detail.discard_button, Qt.MouseButton.LeftButton)
    assert not drafts_path(folder).exists()
    assert "edited" not in panel.detail.header.text() and not panel.detail.discard_button.isVisible()
    assert "Bad 6" in panel.detail.record_view.toPlainText()
    assert "discarded" in panel.message_bar.text()

    again = _panel(qtbot, folder)
    _select(qtbot, again, '"Bad 6"')
    assert "edited" not in again.detail.header.text()


def test_edit_failing_again_is_kept_on_the_replacement(qtbot, folder: Path) -> None:
    panel = _panel(qtbot, folder)
    _select(qtbot, panel, '"Bad 7"')
    _edit(panel, {"id": 7, "name": "Still 7", "age": "-3"})  # fails the contract now
    _replay(qtbot, panel)
    assert "failed again" in panel.message_bar.text() and 7 not in _loaded(folder)
    assert drafts_path(folder).exists()

    again = _panel(qtbot, folder)
    _select(qtbot, again, '"Still 7"')  # the replacement record, its edit still offered
    assert _shows_edit(again, "Still 7")
    _edit(again, {"id": 7, "name": "Fixed 7", "age": "37"})
    _replay(qtbot, again)
    assert _loaded(folder)[7] == (7, "Fixed 7", 37)
    assert not drafts_path(folder).exists()


def test_edit_survives_closing_the_app(qtbot, folder: Path) -> None:
    def open_window() -> MainWindow:
        win = MainWindow(folder.parent)
        qtbot.addWidget(win)
        win.show()
        win.select_pipeline(folder.name)
        qtbot.waitUntil(lambda: win.current is not None and win.current.name == folder.name)
        panel, dock = win.data_docks.dead_letters, win.data_docks.docks["dead_letters"]
        with qtbot.waitSignals([panel.opened, panel.model.reloaded], timeout=WAIT):
            dock.show()
            dock.raise_()
        return win

    win = open_window()
    panel = win.data_docks.dead_letters
    _select(qtbot, panel, '"Bad 4"')
    _edit(panel, {"id": 4, "name": "Fixed 4", "age": "34"})
    win.close()

    win = open_window()
    panel = win.data_docks.dead_letters
    _select(qtbot, panel, '"Bad 4"')
    assert _shows_edit(panel, "Fixed 4")
    win.close()
