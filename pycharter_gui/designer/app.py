"""``main()``: start the designer on a workspace (default: a copy of the bundled examples).

Qt is checked before anything else: when it cannot load, one sentence says what to install and
nothing has been written. The first start copies the examples to ``$PYCHARTER_WORKSPACE`` or
``<Documents>/pycharter-workspace``. Without a display it says so plainly and dry-runs the
workspace's pipelines headlessly instead. ``--smoke`` opens the window, dry-runs the first
pipeline, prints one result line and exits (used by the bundle and install tests).
"""

from __future__ import annotations

import argparse
import ctypes
import importlib
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

from pycharter_gui import cli, paths
from pycharter_gui.designer.discovery import discover_pipelines
from pycharter_gui.etl_generator import set_workspace_trusted
from pycharter_gui.process import configure_process

DEFAULT_WORKSPACE = "pycharter-workspace"
WORKSPACE_ENV = "PYCHARTER_WORKSPACE"
EXIT_NO_QT = 3
SMOKE_TIMEOUT_MS = 120_000
QUIT_WAIT_MS = 10_000  # background jobs (e.g. the run history append) may finish this long after quitting
# The Debian/Ubuntu packages of the libraries Qt's xcb, wayland and offscreen platforms load
# (scripts/setup.sh installs the same list, plus Xvfb for the tests).
QT_APT_PACKAGES = (
    "libegl1 libgl1 libx11-6 libx11-xcb1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 "
    "libfreetype6 libglib2.0-0 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 "
    "libxcb-image0 libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-xkb1 "
    "libxcb-shm0 libxcb-sync1 libxcb-util1"
)
# pyproject.toml's pin: 6.12.0 loses a reference to None per void call on CPython < 3.12.
PYSIDE_SPEC = "pyside6-essentials>=6.9,<6.12" if sys.version_info < (3, 12) else "pyside6-essentials>=6.9"
_MISSING_LIBRARY = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")


def has_display() -> bool:
    """True when Qt can open a window (a display, or an explicit QPA platform).

    A local X display that is gone (``DISPLAY=:1`` left over, no X server) counts as none,
    so the run command falls back to the headless dry run instead of Qt aborting."""
    if os.environ.get("QT_QPA_PLATFORM"):
        return True
    if sys.platform in ("win32", "darwin"):
        return True
    if os.environ.get("WAYLAND_DISPLAY"):
        return True
    display = os.environ.get("DISPLAY") or ""
    if not display:
        return False
    host, _, number = display.rpartition(":")
    if host in ("", "unix") and number:  # a local display: its socket must exist
        return Path(f"/tmp/.X11-unix/X{number.split('.')[0]}").exists()
    return True


def _missing_library_sentence(library: str) -> str:
    return (f"The pycharter designer cannot load Qt because the system library {library} is "
            f"missing; on Debian/Ubuntu install Qt's libraries with "
            f"`sudo apt-get install {QT_APT_PACKAGES}`.")


def _platform_plugin() -> Path | None:
    """The Linux QPA platform plugin Qt is about to load, when it exists on disk."""
    if not sys.platform.startswith("linux"):
        return None
    from PySide6.QtCore import QLibraryInfo

    name = re.split(r"[;:]", os.environ.get("QT_QPA_PLATFORM") or "")[0]
    if not name:
        name = "wayland" if os.environ.get("WAYLAND_DISPLAY") and not os.environ.get("DISPLAY") else "xcb"
    plugin = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms" / f"libq{name}.so"
    return plugin if plugin.is_file() else None


def qt_problem(check_platform: bool) -> str | None:
    """One sentence naming what to install when Qt cannot load here; None when it can.

    Importing QtWidgets finds a missing PySide6 and missing core libraries (libEGL, libGL);
    with ``check_platform``, loading the platform plugin finds missing xcb/xkbcommon libraries,
    which would otherwise abort the process inside ``QApplication``."""
    try:
        importlib.import_module("PySide6.QtWidgets")
    except ImportError as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name in ("PySide6", "shiboken6"):
            return (f"The pycharter designer needs the Qt binding PySide6, which is not installed; "
                    f"install it with `{sys.executable} -m pip install '{PYSIDE_SPEC}'`.")
        found = _MISSING_LIBRARY.search(str(exc))
        if found:
            return _missing_library_sentence(found.group(1))
        return (f"The pycharter designer cannot load Qt ({exc}); reinstall it with "
                f"`{sys.executable} -m pip install --force-reinstall '{PYSIDE_SPEC}'`.")
    plugin = _platform_plugin() if check_platform else None
    if plugin is not None:
        try:
            ctypes.CDLL(str(plugin))
        except OSError as exc:
            found = _MISSING_LIBRARY.search(str(exc))
            return _missing_library_sentence(found.group(1) if found else str(exc))
    return None


def default_workspace_location() -> Path:
    """``$PYCHARTER_WORKSPACE``, else ``pycharter-workspace`` in the user's documents folder."""
    if os.environ.get(WORKSPACE_ENV):
        return Path(os.environ[WORKSPACE_ENV]).expanduser().resolve()
    from PySide6.QtCore import QStandardPaths

    documents = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    return Path(documents or Path.home() / "Documents") / DEFAULT_WORKSPACE


def ensure_workspace(target: Path) -> Path:
    """``target``, copied once from the bundled examples (never the package itself).

    The copy is trusted when it is made: its custom functions ship with the app itself, so the
    first start runs every example; anything the user adds later is theirs to trust."""
    if not target.exists():
        examples = paths.resource_path("examples")
        if examples.is_dir():
            shutil.copytree(examples, target)
            set_workspace_trusted(target)
        else:
            target.mkdir(parents=True)
    return target


def headless_dry_run(workspace: Path) -> int:
    """Dry-run each pipeline of ``workspace`` through the CLI; returns the worst exit code."""
    pipelines = [p for p in discover_pipelines(workspace) if not p.is_incomplete]
    if not pipelines:
        print(f"No pipelines found in {workspace}.")
        return 0
    worst = 0
    for info in pipelines:
        print(f"\n== {info.name} (dry run) ==")
        try:
            code = cli.main(["run", str(info.path), "--dry-run"])
        except SystemExit as exc:  # argparse-style exits from the CLI
            code = int(exc.code or 0) if isinstance(exc.code, int) else 1
        worst = max(worst, code)
    return worst


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="pycharter-gui", description="Design, check and save ETL pipelines.",
        epilog=f"Without WORKSPACE it opens ${WORKSPACE_ENV} or <Documents>/{DEFAULT_WORKSPACE}, "
               "a copy of the examples made on the first start.")
    parser.add_argument("workspace", nargs="?", help="folder of pipelines to open")
    parser.add_argument("--smoke", action="store_true",
                        help="open the window (offscreen without a display), dry-run the first "
                             "pipeline, print the result and exit")
    return parser.parse_args(argv)


def _smoke(app: Any, window: Any) -> int:
    """Dry-run the window's current pipeline; prints one result line, returns the exit code."""
    from PySide6.QtCore import QTimer

    from pycharter_gui.designer.run_history import summary_counts

    doc = window.current
    if doc is None:
        print(f"smoke: FAILED, no complete pipeline in {window.workspace.root}")
        return 1
    panel = window.data_docks.run_panel

    def finished(result: dict[str, Any]) -> None:
        counts = summary_counts(result)
        outcome = "ok" if result.get("success") else f"FAILED ({result.get('error')})"
        print(f"smoke: window shown on {window.workspace.root} ({len(window.workspace.pipelines)} "
              f"pipelines); dry run of {doc.name} {outcome}: extracted {counts['extracted']}, "
              f"would load {counts['loaded']}, dead-lettered {counts['dead_lettered']}", flush=True)
        app.exit(0 if result.get("success") else 1)

    def failed(message: str) -> None:
        print(f"smoke: dry run of {doc.name} FAILED: {message}", flush=True)
        app.exit(1)

    panel.run_finished.connect(finished)
    panel.run_failed.connect(failed)
    # A timer stopped on the way out: a stray one fired app.exit() minutes later in a process
    # that went on using Qt (the test suite), and every event loop after it returned at once.
    timeout = QTimer()
    timeout.setSingleShot(True)
    timeout.timeout.connect(lambda: (print("smoke: FAILED, timed out"), app.exit(1)))
    timeout.start(SMOKE_TIMEOUT_MS)
    try:
        if not panel.start_run(dry_run=True):
            print(f"smoke: dry run of {doc.name} FAILED to start")
            return 1
        code = int(app.exec())
    finally:
        timeout.stop()
    window.close()
    return code


def main(argv: list[str] | None = None) -> int:
    """Open the designer; returns the process exit code."""
    configure_process()
    args = _parse(argv)
    if args.smoke and not has_display():
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    display = has_display()
    problem = qt_problem(check_platform=display)
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_NO_QT
    workspace = (Path(args.workspace).resolve() if args.workspace
                 else ensure_workspace(default_workspace_location()))
    if not workspace.is_dir():
        print(f"The workspace folder {workspace} does not exist.", file=sys.stderr)
        return 2
    if not display:
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset), so the designer window "
              "cannot open.\nRunning a headless dry run of the workspace "
              f"{workspace} instead.\n(Set QT_QPA_PLATFORM=offscreen or start Xvfb to open "
              "the window.)")
        return headless_dry_run(workspace)
    from PySide6.QtCore import QThreadPool
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from pycharter_gui.designer.main_window import MainWindow
    from pycharter_gui.designer.settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("pycharter designer")
    app.setDesktopFileName(APPLICATION)  # matches the bundle's pycharter-gui.desktop
    app.setWindowIcon(QIcon(str(paths.resource_path("icons", "pycharter-gui.png"))))
    from pycharter_gui.designer.workers.gui_process import (
        freeze_startup_objects,
        prepare_gui_process,
    )

    prepare_gui_process(app)  # GIL hand-overs every 1 ms; garbage cycles die on the GUI thread
    window = MainWindow(workspace)
    window.show()
    freeze_startup_objects()  # full collections skip what start-up made (~60 ms -> ~2 ms)
    code = _smoke(app, window) if args.smoke else int(app.exec())
    # Let background jobs end before the interpreter tears their signal objects down.
    QThreadPool.globalInstance().waitForDone(QUIT_WAIT_MS)
    from pycharter_gui.designer.workers.parse_process import shutdown_parse_process
    from pycharter_gui.designer.workers.validation import shutdown_validation_process

    shutdown_validation_process()  # the child interpreters end with the app
    shutdown_parse_process()
    return code


if __name__ == "__main__":
    sys.exit(main())
