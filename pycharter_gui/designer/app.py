"""``main()``: start the designer on a workspace (default: a copy of the bundled examples).

Without a display it says so plainly and dry-runs the example pipelines headlessly instead.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from pycharter_gui.designer import engine_api

DEFAULT_WORKSPACE = "pycharter-workspace"


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


def default_workspace(cwd: Path | None = None) -> Path:
    """``./pycharter-workspace``, copied once from the bundled examples (never the package)."""
    target = (cwd or Path.cwd()) / DEFAULT_WORKSPACE
    if not target.exists():
        examples = engine_api.resource_path("examples")
        if examples.is_dir():
            shutil.copytree(examples, target)
        else:
            target.mkdir(parents=True)
    return target


def headless_dry_run(workspace: Path) -> int:
    """Dry-run each pipeline of ``workspace`` through the CLI; returns the worst exit code."""
    pipelines = [p for p in engine_api.discover_pipelines(workspace) if not p.is_incomplete]
    if not pipelines:
        print(f"No pipelines found in {workspace}.")
        return 0
    worst = 0
    for info in pipelines:
        print(f"\n== {info.name} (dry run) ==")
        try:
            code = engine_api.run_cli(["run", str(info.path), "--dry-run"])
        except SystemExit as exc:  # argparse-style exits from the CLI
            code = int(exc.code or 0) if isinstance(exc.code, int) else 1
        worst = max(worst, code)
    return worst


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pycharter-gui",
                                     description="Design, check and save ETL pipelines.")
    parser.add_argument("workspace", nargs="?", help="folder of pipelines to open")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Open the designer; returns the process exit code."""
    args = _parse(argv)
    workspace = Path(args.workspace).resolve() if args.workspace else default_workspace()
    if not workspace.is_dir():
        print(f"The workspace folder {workspace} does not exist.", file=sys.stderr)
        return 2
    if not has_display():
        print("No display found (DISPLAY/WAYLAND_DISPLAY unset), so the designer window "
              "cannot open.\nRunning a headless dry run of the workspace "
              f"{workspace} instead.\n(Set QT_QPA_PLATFORM=offscreen or start Xvfb to open "
              "the window.)")
        return headless_dry_run(workspace)
    from PySide6.QtWidgets import QApplication

    from pycharter_gui.designer.main_window import MainWindow
    from pycharter_gui.designer.settings import APPLICATION, ORGANIZATION

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("pycharter designer")
    window = MainWindow(workspace)
    window.show()
    return int(app.exec())


if __name__ == "__main__":
    sys.exit(main())
