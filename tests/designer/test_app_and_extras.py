"""Bootstrap without a display, settings persistence, connection test, shortcuts dialog."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from PySide6.QtCore import Qt

from pycharter_gui.designer import app, engine_api
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.settings import AppSettings
from pycharter_gui.designer.workspace import Workspace

from .conftest import make_pipeline


def test_no_display_runs_headless_dry_run(monkeypatch, tmp_path: Path, workspace: Path, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    calls = []
    monkeypatch.setattr(engine_api, "run_cli", lambda argv: calls.append(argv) or 0)
    assert app.main([str(workspace)]) == 0
    out = capsys.readouterr().out
    assert "No display found" in out
    assert sorted(Path(c[1]).name for c in calls) == ["api_items", "people"]
    assert all(c[0] == "run" and c[2] == "--dry-run" for c in calls)


def test_a_display_without_an_x_server_counts_as_none(monkeypatch):
    for var in ("WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("DISPLAY", ":9173")  # no /tmp/.X11-unix/X9173 here
    assert not app.has_display()
    monkeypatch.setenv("DISPLAY", "somehost:0")  # remote displays are trusted as given
    assert app.has_display()


def test_default_workspace_is_copied_once(monkeypatch, tmp_path: Path):
    examples = tmp_path / "bundled"
    make_pipeline(examples, "demo")
    monkeypatch.setattr(engine_api, "resource_path", lambda *p: examples.joinpath(*p[1:]))
    target = app.default_workspace(tmp_path / "cwd")
    assert (target / "demo" / "extract.yaml").is_file()
    (target / "demo" / "extract.yaml").write_text("type: file\n")
    app.default_workspace(tmp_path / "cwd")  # second start keeps the user's edits
    assert (target / "demo" / "extract.yaml").read_text() == "type: file\n"


def test_settings_remember_geometry_and_recent(qtbot, workspace: Path):
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.resize(700, 500)
    win.show()
    qtbot.waitExposed(win)
    win.close()
    settings = AppSettings()
    assert settings.recent_workspaces[0] == str(workspace.resolve())
    win2 = MainWindow()
    qtbot.addWidget(win2)
    assert (win2.width(), win2.height()) == (700, 500)


def test_connection_button_reports_result(qtbot, tmp_path: Path):
    root = tmp_path / "ws"
    folder = make_pipeline(root, "db", extract="type: database\ndatabase:\n  url: sqlite:///"
                           f"{tmp_path / 'src.db'}\nquery: SELECT 1 AS one\n")
    sqlite3.connect(tmp_path / "src.db").close()
    win = MainWindow(root)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: win.current is not None)
    form = win.editor.forms["extract"]
    assert not form.test_box.isHidden() and not form.db_box.isHidden()
    qtbot.mouseClick(form.test_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.test_result.text().startswith(("✔", "✘")), timeout=10000)
    assert form.test_result.text().startswith("✔"), form.test_result.text()
    assert folder.is_dir()


def test_shortcuts_dialog_lists_standard_keys(qtbot, workspace: Path):
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    win.actions_by_name["shortcuts"].trigger()
    table = win._shortcuts_dialog.table
    keys = {table.item(r, 1).text() for r in range(table.rowCount())}
    assert {"Ctrl+S", "Ctrl+Shift+S", "Ctrl+Z", "Ctrl+O", "F5"} <= {
        k.split(",")[0].strip() for k in keys} | {k for k in keys}
    win._shortcuts_dialog.close()


def test_delete_moves_to_trash_and_rename(qtbot, workspace: Path):
    ws = Workspace(workspace)
    trashed = ws.delete("api_items")
    assert trashed.parent == workspace / ".pycharter" / "trash"
    assert [p.name for p in ws.pipelines] == ["half_done", "people"]
    ws.rename("people", "persons")
    assert (workspace / "persons" / "load.yaml").is_file()
    ws.duplicate("persons", "persons_copy")
    assert ws.info("persons_copy") is not None
    ws.restore_from_trash(trashed, "api_items")
    assert ws.info("api_items") is not None
