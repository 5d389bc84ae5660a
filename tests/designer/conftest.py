"""A small workspace of commented pipelines for designer tests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

EXTRACT = """\
# Read the people export.
title: People import
type: file
path: data/people.csv   # relative to this folder
format: csv
batch_size: 100

csv_options:
  delimiter: ","
  has_header: true
"""

TRANSFORM = """\
# Tidy up names.
transform:
  rename:
    first_name: first   # short names downstream
  select:
    - id
    - first
"""

LOAD = """\
# Write to SQLite.
type: database
database:
  url: "sqlite:///out.db"

table: people
write_method: insert
"""

HTTP_EXTRACT = """\
type: http
base_url: https://api.example.com
api_endpoint: /v1/items
method: GET
params:
  limit: 50
"""


def make_pipeline(root: Path, name: str, extract: str = EXTRACT, transform: str = TRANSFORM,
                  load: str = LOAD) -> Path:
    folder = root / name
    (folder / "data").mkdir(parents=True, exist_ok=True)
    (folder / "data" / "people.csv").write_text("id,first_name\n1,Ann\n", encoding="utf-8")
    (folder / "extract.yaml").write_text(extract, encoding="utf-8")
    (folder / "transform.yaml").write_text(transform, encoding="utf-8")
    (folder / "load.yaml").write_text(load, encoding="utf-8")
    return folder


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    make_pipeline(root, "people")
    make_pipeline(root, "api_items", extract=HTTP_EXTRACT)
    half = root / "half_done"
    half.mkdir()
    (half / "extract.yaml").write_text("type: file\n", encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _no_modal_dialogs(monkeypatch):
    """Modal prompts would block offscreen tests: answer Discard/No unless a test says otherwise."""
    from pycharter_gui.designer.views import dialogs

    def ask(_parent, _title, _text, buttons=None, default=None):
        if buttons is not None and buttons & dialogs.Button.Discard:
            return dialogs.Button.Discard
        return dialogs.Button.No

    monkeypatch.setattr(dialogs, "ask", ask)
    monkeypatch.setattr(dialogs, "ask_text", lambda *a, **k: None)
    monkeypatch.setattr(dialogs, "choose_item", lambda *a, **k: None)
    monkeypatch.setattr(dialogs, "inform", lambda *a, **k: None)
    monkeypatch.setattr(dialogs, "warn", lambda *a, **k: None)


@contextlib.contextmanager
def open_window(qtbot: Any, root: Path, select: str | None = None) -> Iterator[Any]:
    """The real main window on ``root``, shown (and ``select`` chosen); unsaved edits are
    dropped and the window closed afterwards. The one window set-up of the designer tests."""
    from pycharter_gui.designer.main_window import MainWindow

    win = MainWindow(root)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    if select is not None:
        qtbot.waitUntil(lambda: win.current is not None and win.current.name == select)
    try:
        yield win
    finally:
        if win.workspace:
            for doc in win.workspace.dirty_documents():
                doc.revert()
        win.close()


@pytest.fixture
def window(qtbot: Any, workspace: Path) -> Iterator[Any]:
    with open_window(qtbot, workspace) as win:
        yield win
