"""Regenerate the README's main-window, Contract tab and History screenshots from the real app,
driven as a user would.

Usage: QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/readme_screenshots.py docs/screenshots
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtWidgets import QApplication, QDockWidget


def main(out: Path) -> None:
    app = QApplication(sys.argv)
    app.setOrganizationName("pycharter-screenshots")  # never the user's own window state
    app.setApplicationName("pycharter-screenshots")
    QSettings().clear()
    from pycharter_gui.designer.main_window import MainWindow
    from pycharter_gui.paths import resource_path

    def spin(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            time.sleep(0.02)

    ws = Path(tempfile.mkdtemp()) / "ws"
    shutil.copytree(resource_path("examples"), ws)
    win = MainWindow(ws)
    win.resize(1280, 800)
    win.show()
    spin(1.5)
    win.select_pipeline("orders_to_sqlite")
    spin(1)
    docks = win.data_docks
    win.editor.tabs.setCurrentIndex(1)  # Transform
    win.actions_by_name["preview"].trigger()
    spin(3)
    docks.docks["transform"].show()
    docks.docks["transform"].raise_()
    spin(2)
    win.grab().save(str(out / "main-before-after.png"))
    win.editor.tabs.setCurrentIndex(0)  # Extract
    win.actions_by_name["dry_run"].trigger()
    spin(4)
    win.grab().save(str(out / "main-dry-run.png"))
    docks.run_panel.dead_letters_button.click()
    spin(3)
    docks.dead_letters.view.selectRow(0)
    spin(1)
    win.grab().save(str(out / "main-dead-letters.png"))
    for dock in win.findChildren(QDockWidget):  # the Contract tab at full height
        dock.hide()
    win.editor.tabs.setCurrentWidget(win.editor.contract)
    spin(0.5)
    win.editor.grab().save(str(out / "contract-tab.png"))
    win.close()
    shutil.rmtree(ws.parent, ignore_errors=True)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots"))
