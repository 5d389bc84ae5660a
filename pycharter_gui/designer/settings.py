"""``AppSettings``: every persisted preference, keys and defaults in one place (QSettings).

Pipeline content lives only in the YAML files; this holds window state, recent workspaces
and the pipeline selected last in each.
"""

from __future__ import annotations

import hashlib

from PySide6.QtCore import QByteArray, QSettings

ORGANIZATION = "pycharter"
APPLICATION = "pycharter-gui"
SETTINGS_VERSION = 1
MAX_RECENT = 8
THEMES = ("system", "light", "dark")


def _bytes_setting(key: str, doc: str) -> property:
    """A ``QByteArray`` window-state setting at ``key``: None while unset or empty."""

    def get(self: AppSettings) -> QByteArray | None:
        return self._bytes(key)

    def put(self: AppSettings, value: QByteArray) -> None:
        self._s.setValue(key, value)

    return property(get, put, doc=doc)


class AppSettings:
    """Typed accessors over ``QSettings`` (INI format, user scope)."""

    def __init__(self) -> None:
        self._s = QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                            ORGANIZATION, APPLICATION)
        if int(self._s.value("settings_version", 0) or 0) < SETTINGS_VERSION:
            self._s.setValue("settings_version", SETTINGS_VERSION)

    def sync(self) -> None:
        self._s.sync()

    # recent workspaces
    @property
    def recent_workspaces(self) -> list[str]:
        value = self._s.value("workspace/recent", [])
        if isinstance(value, str):
            value = [value]
        return [str(v) for v in (value or [])]

    def add_recent_workspace(self, path: str) -> None:
        items = [p for p in self.recent_workspaces if p != path]
        self._s.setValue("workspace/recent", [path, *items][:MAX_RECENT])

    # window state
    def _bytes(self, key: str) -> QByteArray | None:
        value = self._s.value(key)
        return value if isinstance(value, QByteArray) and not value.isEmpty() else None

    geometry = _bytes_setting("window/geometry", "The main window's geometry (None until saved).")
    window_state = _bytes_setting("window/state", "The docks and toolbars' layout.")
    splitter_state = _bytes_setting("window/splitter", "The pipeline list / editor split.")

    # appearance
    @property
    def theme(self) -> str:
        value = str(self._s.value("appearance/theme", "system"))
        return value if value in THEMES else "system"

    @theme.setter
    def theme(self, value: str) -> None:
        self._s.setValue("appearance/theme", value if value in THEMES else "system")

    # saving
    @property
    def review_before_save(self) -> bool:
        """Show what a save writes (a diff per file) and save only on Save (off by default)."""
        return bool(self._s.value("editing/review_before_save", False, type=bool))

    @review_before_save.setter
    def review_before_save(self, value: bool) -> None:
        self._s.setValue("editing/review_before_save", bool(value))

    # the pipeline selected last, per workspace
    @staticmethod
    def _last_pipeline_key(workspace: str) -> str:
        return "workspace/last_pipeline/" + hashlib.sha1(workspace.encode()).hexdigest()[:16]

    def last_pipeline(self, workspace: str) -> str:
        """The pipeline selected last in ``workspace`` ("" when none was)."""
        return str(self._s.value(self._last_pipeline_key(workspace), "") or "")

    def set_last_pipeline(self, workspace: str, name: str) -> None:
        self._s.setValue(self._last_pipeline_key(workspace), name)
