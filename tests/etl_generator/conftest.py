"""Shared fixtures for engine tests: example pipelines copied into tmp_path."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from pycharter_gui.paths import resource_path


@pytest.fixture
def example(tmp_path: Path) -> Callable[[str], Path]:
    """Copy a bundled example pipeline into tmp_path and return its folder."""

    def copy(name: str) -> Path:
        target = tmp_path / "workspace" / name
        shutil.copytree(resource_path("examples", name), target)
        return target

    return copy


@pytest.fixture
def write_pipeline(tmp_path: Path) -> Callable[..., Path]:
    """Write a pipeline folder from YAML texts: write_pipeline(extract=..., load=..., ...)."""

    def write(name: str = "pipe", **files: str) -> Path:
        folder = tmp_path / name
        folder.mkdir(parents=True, exist_ok=True)
        for kind, text in files.items():
            filename = kind if "." in kind else f"{kind}.yaml"
            (folder / filename).write_text(text)
        return folder

    return write


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


@pytest.fixture
def tree() -> Callable[[Path], dict[str, bytes]]:
    """Every file under a folder with its bytes, for before/after comparisons."""
    return _tree
