"""Start-up (Qt check, first-run workspace, no display, --smoke), settings, connection test, shortcuts."""

from __future__ import annotations

import gc
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths, Qt, QTimer

from pycharter_gui import cli, paths
from pycharter_gui.designer import app
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.settings import AppSettings
from pycharter_gui.designer.workspace import Workspace

from .conftest import make_pipeline


def test_no_display_runs_headless_dry_run(monkeypatch, tmp_path: Path, workspace: Path, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    calls = []
    monkeypatch.setattr(cli, "main", lambda argv: calls.append(argv) or 0)
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
    monkeypatch.setattr(paths, "resource_path", lambda *p: examples.joinpath(*p[1:]))
    target = app.ensure_workspace(tmp_path / "docs" / "pycharter-workspace")
    assert (target / "demo" / "extract.yaml").is_file()
    (target / "demo" / "extract.yaml").write_text("type: file\n")
    app.ensure_workspace(target)  # second start keeps the user's edits
    assert (target / "demo" / "extract.yaml").read_text() == "type: file\n"


def test_default_workspace_is_in_documents_unless_the_env_says(monkeypatch, tmp_path: Path):
    monkeypatch.delenv(app.WORKSPACE_ENV, raising=False)
    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    assert app.default_workspace_location() == Path(documents) / "pycharter-workspace"
    monkeypatch.setenv(app.WORKSPACE_ENV, str(tmp_path / "mine"))
    assert app.default_workspace_location() == tmp_path / "mine"


def test_first_start_copies_examples_to_the_chosen_place_not_the_cwd(monkeypatch, tmp_path: Path):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv(app.WORKSPACE_ENV, str(tmp_path / "ws"))
    monkeypatch.setattr(cli, "main", lambda argv: 0)
    assert app.main([]) == 0
    assert (tmp_path / "ws" / "orders_to_sqlite" / "extract.yaml").is_file()
    assert list(cwd.iterdir()) == []


# A child that starts the designer with an import blocked the way a broken install fails.
_BLOCKED_START = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == sys.argv[1] or name.startswith(sys.argv[1] + "."):
            raise (ModuleNotFoundError(f"No module named {name!r}", name=name) if sys.argv[2] == "-"
                   else ImportError(sys.argv[2]))
sys.meta_path.insert(0, Block())
from pycharter_gui.designer.app import main
sys.exit(main([]))
"""


@pytest.mark.parametrize(("blocked", "error", "names"), [
    ("PySide6", "-", "pip install 'pyside6-essentials>=6.9"),
    ("PySide6.QtWidgets", "libEGL.so.1: cannot open shared object file: No such file or directory",
     "libEGL.so.1 is missing; on Debian/Ubuntu install Qt's libraries with `sudo apt-get install libegl1"),
])
def test_qt_that_cannot_load_gives_one_sentence_and_writes_nothing(tmp_path: Path, blocked, error, names):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "DISPLAY": ":0"}
    env.pop("QT_QPA_PLATFORM", None)
    proc = subprocess.run([sys.executable, "-c", _BLOCKED_START, blocked, error], cwd=home, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == app.EXIT_NO_QT
    assert proc.stdout == "" and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert names in proc.stderr and "Traceback" not in proc.stderr
    assert list(home.iterdir()) == []


def test_a_platform_plugin_missing_a_library_names_the_apt_packages(monkeypatch):
    def cdll(path: str):
        raise OSError("libxcb-cursor.so.0: cannot open shared object file: No such file or directory")

    monkeypatch.setattr(app.ctypes, "CDLL", cdll)
    problem = app.qt_problem(check_platform=True)
    assert problem is not None and "libxcb-cursor.so.0 is missing" in problem
    assert "libxcb-cursor0" in problem and "\n" not in problem
    assert app.qt_problem(check_platform=False) is None


def test_smoke_opens_the_examples_and_dry_runs_one(qtbot, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(app, "SMOKE_TIMEOUT_MS", 3_000)
    workspace = tmp_path / "ws"
    app.ensure_workspace(workspace)
    sys.setswitchinterval(0.005)  # Python's default; the app sets its own (the fixture restores)
    assert app.main(["--smoke", str(workspace)]) == 0
    assert sys.getswitchinterval() == pytest.approx(0.001)  # designer/workers/gui_process.py
    assert gc.get_freeze_count() > 10_000  # start-up's objects left out of full collections
    line = capsys.readouterr().out.strip().splitlines()[-1]
    assert line.startswith(f"smoke: window shown on {workspace} (3 pipelines); dry run of ")
    assert " ok: extracted " in line
    # Its timeout must not outlive it: a stray one called app.exit() later, after which every
    # event loop in the process returned at once (later tests timed out by the dozen).
    qtbot.wait(3_500)
    assert "timed out" not in capsys.readouterr().out
    ticks: list[int] = []
    QTimer.singleShot(10, lambda: ticks.append(1))
    qtbot.waitUntil(lambda: ticks == [1], timeout=2_000)


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


def test_the_example_copy_is_trusted_so_the_first_start_runs_every_example(tmp_path: Path, capsys):
    """Found by use: `bash scripts/run-example.sh` without a display stopped at the example with
    a custom function ('workspace is not trusted'); the app's own examples are trusted when the
    app copies them, and a folder the user brings stays untrusted."""
    from pycharter_gui.etl_generator import is_workspace_trusted

    target = app.ensure_workspace(tmp_path / "pycharter-workspace")
    assert is_workspace_trusted(target)
    assert app.headless_dry_run(target) == 0
    assert "not trusted" not in capsys.readouterr().out
    other = tmp_path / "mine"
    other.mkdir()
    assert not is_workspace_trusted(other)
