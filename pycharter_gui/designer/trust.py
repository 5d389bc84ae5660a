"""Workspace trust: custom-function code runs only once the user trusts the workspace.

Asked once per workspace; the answer is kept by the engine (``set_workspace_trusted``), so the
CLI honours the same mark. Until a workspace is trusted, previews and dry runs skip the
``custom_function`` step and say why, so opening someone else's pipeline folder never executes
its Python code by surprise.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from pycharter_gui.etl_generator import (
    is_workspace_trusted,
    set_workspace_trusted,
    workspace_trust_decision,
)

LEGACY_SETTINGS_KEY = "trust/workspaces"  # JSON {resolved path: bool}, before the engine kept it


def skipped_reason(function_name: str) -> str:
    """The message panels show while a custom function is skipped."""
    return (f"Custom function {function_name} was skipped: this workspace is not trusted, so its "
            "Python code is not run. Trust the workspace to include it.")


class WorkspaceTrust(QObject):
    """Trust decisions per workspace path; ``trust_changed(path, is_trusted)`` on change."""

    trust_changed = Signal(str, bool)

    def __init__(self) -> None:
        super().__init__()
        self._migrate_legacy()

    @staticmethod
    def _migrate_legacy() -> None:
        """Move decisions the designer once kept in QSettings into the engine's store."""
        settings = QSettings()
        raw = settings.value(LEGACY_SETTINGS_KEY)
        if raw is None:
            return
        try:
            data = json.loads(raw) if isinstance(raw, str) else {}
        except json.JSONDecodeError:
            data = {}
        for path, trusted in (data.items() if isinstance(data, dict) else ()):
            if workspace_trust_decision(path) is None:
                set_workspace_trusted(path, bool(trusted))
        settings.remove(LEGACY_SETTINGS_KEY)
        settings.sync()

    @staticmethod
    def _key(path: Path | str) -> str:
        return str(Path(path).expanduser().resolve())

    def decision(self, path: Path | str) -> bool | None:
        """True/False when the user answered for this workspace, None when never asked."""
        return workspace_trust_decision(path)

    def is_trusted(self, path: Path | str | None) -> bool:
        return is_workspace_trusted(path)

    def set_trusted(self, path: Path | str, is_trusted: bool = True) -> None:
        """Remember the decision for ``path`` and announce it."""
        set_workspace_trusted(path, is_trusted)
        self.trust_changed.emit(self._key(path), bool(is_trusted))

    def ask(self, parent: QWidget | None, path: Path | str, function_name: str = "", *,
            again: bool = False) -> bool:
        """Ask the user once (a question box); later calls return the remembered answer.

        ``again=True`` asks even when an answer is remembered: the user pressed "Trust this
        workspace…", so an earlier "No" is never final."""
        known = self.decision(path)
        if known is not None and not again:
            return known
        what = f" ({function_name})" if function_name else ""
        answer = QMessageBox.question(
            parent, "Trust this workspace?",
            f"The pipelines in\n{self._key(path)}\ninclude Python code{what}.\n\n"
            "Run custom-function code from this workspace in previews and runs?\n"
            "Only trust folders whose code you know.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No)
        trusted = answer == QMessageBox.StandardButton.Yes
        self.set_trusted(path, trusted)
        return trusted


_shared: WorkspaceTrust | None = None


def workspace_trust() -> WorkspaceTrust:
    """The application's trust store (created on first use, on the GUI thread)."""
    global _shared
    if _shared is None:
        _shared = WorkspaceTrust()
    return _shared
