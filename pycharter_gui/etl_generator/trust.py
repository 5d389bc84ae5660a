"""Workspace trust: whether a folder's custom Python code may run without asking.

The designer asks once per workspace and records the answer here; the CLI runs a pipeline's
custom function only when its folder, or a folder above it, is trusted, or ``--trust`` is
given. The Python API trusts its caller and never looks. Decisions are kept per resolved path
in ``trust.json`` (mode 0600) in the user's configuration folder: ``$PYCHARTER_CONFIG_DIR``,
else ``$XDG_CONFIG_HOME/pycharter-gui``, ``%APPDATA%/pycharter-gui`` on Windows, or
``~/.config/pycharter-gui``. Never inside the workspace, so a folder cannot trust itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomic import atomic_write

TRUST_FILE = "trust.json"


def config_dir() -> Path:
    """The user's pycharter-gui configuration folder (not created here)."""
    override = os.environ.get("PYCHARTER_CONFIG_DIR")
    if override:
        return Path(override).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or (
        os.environ.get("APPDATA") if os.name == "nt" else None)
    return Path(base or Path.home() / ".config") / "pycharter-gui"


def _key(path: str | os.PathLike[str]) -> str:
    return str(Path(path).expanduser().resolve())


def _load() -> dict[str, bool]:
    try:
        data = json.loads((config_dir() / TRUST_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, bool)} if isinstance(
        data, dict) else {}


def workspace_trust_decision(path: str | os.PathLike[str]) -> bool | None:
    """True/False when the user decided for exactly this folder, None when never asked."""
    return _load().get(_key(path))


def is_workspace_trusted(path: str | os.PathLike[str] | None) -> bool:
    """Whether the nearest decision recorded for ``path`` or a folder above it is "trust"."""
    if path is None:
        return False
    decisions = _load()
    folder = Path(_key(path))
    for candidate in (folder, *folder.parents):
        decision = decisions.get(str(candidate))
        if decision is not None:
            return decision
    return False


def set_workspace_trusted(path: str | os.PathLike[str], trusted: bool = True) -> None:
    """Record the user's decision for ``path`` (a later decision replaces it)."""
    decisions = _load()
    decisions[_key(path)] = bool(trusted)
    folder = config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(folder / TRUST_FILE, json.dumps(decisions, indent=1, sort_keys=True),
                 file_mode=0o600)


def custom_function_name(transform_config: dict[str, Any]) -> str | None:
    """The custom function a canonical transform config calls (``module.function``), or None."""
    custom = transform_config.get("custom_function")
    if not custom:
        return None
    target = custom.get("callable")
    if target:
        return target if isinstance(target, str) else getattr(target, "__qualname__", repr(target))
    return f"{custom.get('module')}.{custom.get('function')}"


def untrusted_message(pipeline_dir: str | os.PathLike[str], function: str) -> str:
    """Why custom code did not run, and the two ways to trust it."""
    return (f"The pipeline in {_key(pipeline_dir)} runs custom Python code ({function}), and "
            "its workspace is not trusted. Pass --trust to run it, or open the workspace in "
            "the designer and choose Trust.")
