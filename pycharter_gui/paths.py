"""Find the bundled resources whether the package is installed as a wheel or editable."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resources_root() -> Path:
    """The resources folder: ``pycharter_gui/resources`` in a wheel, ``<repo>/resources`` editable."""
    for candidate in (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "pycharter-gui resources not found; reinstall the package (pip install pycharter-gui)"
    )


def resource_path(*parts: str) -> Path:
    """Path of a bundled resource, e.g. ``resource_path("examples")``."""
    return resources_root().joinpath(*parts)
