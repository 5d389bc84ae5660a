"""The import boundaries of .importlinter cover the whole engine, and the docs name real files."""

from __future__ import annotations

import configparser
import pkgutil
from pathlib import Path

import pycharter_gui.etl_generator as engine

ROOT = Path(__file__).resolve().parents[1]


def _contract(name: str) -> configparser.SectionProxy:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter", encoding="utf-8")
    return parser[f"importlinter:contract:{name}"]


def test_designer_contract_forbids_every_engine_child() -> None:
    """A new engine module or package is private to the designer until it is exported."""
    forbidden = set(_contract("designer-public-api")["forbidden_modules"].split())
    children = {f"{engine.__name__}.{m.name}" for m in pkgutil.iter_modules(engine.__path__)}
    assert sorted(children - forbidden) == [], "add these to .importlinter designer-public-api"
    assert sorted(forbidden - children) == [], "remove these from .importlinter"


def test_engine_contract_forbids_qt_and_the_designer() -> None:
    contract = _contract("engine-no-qt")
    assert {"pycharter_gui.etl_generator", "pycharter_gui.cli"} <= set(
        contract["source_modules"].split())
    assert {"PySide6", "shiboken6", "pycharter_gui.designer"} <= set(
        contract["forbidden_modules"].split())


def test_the_test_command_runs_lint_imports() -> None:
    assert "lint-imports" in (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
