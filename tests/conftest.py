"""Shared test setup: Qt runs offscreen; QSettings and the engine's user settings never touch the
developer's own."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest


@pytest.fixture(autouse=True)
def _fresh_qsettings(tmp_path_factory, request):
    """Point QSettings at a temporary folder when Qt is importable (no-op otherwise)."""
    try:
        from PySide6.QtCore import QSettings
    except ImportError:  # engine-only environments
        yield
        return
    folder = tmp_path_factory.mktemp("qsettings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.SystemScope, str(folder))
    yield


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path_factory, monkeypatch):
    """The engine's user settings (workspace trust) live in a temporary folder per test."""
    monkeypatch.setenv("PYCHARTER_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))


@pytest.fixture(autouse=True)
def _gui_thread_garbage_collection(request):
    """Tests that drive the GUI set the interpreter up as the designer does
    (``designer/workers/gui_process.py``: garbage cycles collected on the GUI thread, 1 ms
    switch interval); other tests keep Python's own settings."""
    if "qtbot" not in request.fixturenames and "qapp" not in request.fixturenames:
        yield
        return
    import sys

    from pycharter_gui.designer.workers.gui_process import prepare_gui_process

    interval = sys.getswitchinterval()
    collector = prepare_gui_process(request.getfixturevalue("qapp"))
    yield
    collector.stop()
    sys.setswitchinterval(interval)
    import gc

    gc.unfreeze()  # a test that started the app froze its objects: collectable again
