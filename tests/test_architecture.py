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


def _doc_section(title: str) -> str:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:] if end < 0 else text[start:end]


def _registries() -> dict[str, object]:
    # Importing these packages registers the source types and the DLQ stores.
    import pycharter_gui.etl_generator.config
    import pycharter_gui.etl_generator.dead_letter  # noqa: F401
    from pycharter_gui.etl_generator.cloud.base import CLOUD_PROVIDERS
    from pycharter_gui.etl_generator.config.registry import SOURCES
    from pycharter_gui.etl_generator.dead_letter.backends.base import DLQ_STORES
    from pycharter_gui.etl_generator.loaders.base import LOAD_SESSIONS

    return {"SOURCES": SOURCES, "LOAD_SESSIONS": LOAD_SESSIONS, "DLQ_STORES": DLQ_STORES,
            "CLOUD_PROVIDERS": CLOUD_PROVIDERS}


def test_where_to_change_what_names_real_files_and_registered_names() -> None:
    import re

    section = _doc_section("Where to change what")
    for kind in ("a source type", "a load target", "a panel", "a dead-letter store",
                 "a cloud provider", "a config key"):
        assert f"| {kind} |" in section, f"the table lost its '{kind}' row"
    paths = re.findall(r"`((?:pycharter_gui|docs|scripts|tests)/[^`]*)`", section)
    assert len(paths) >= 15
    missing = [p for p in paths if not (ROOT / p).exists()]
    assert missing == [], f"docs/architecture.md names files that do not exist: {missing}"
    registries = _registries()
    named = re.findall(r'`([A-Z_]+)\["(\w+)"\]`', section)
    assert {r for r, _ in named} == set(registries)
    unknown = [f"{r}[{n!r}]" for r, n in named if n not in registries[r]]  # type: ignore[operator]
    assert unknown == [], f"not registered: {unknown}"


def test_registries_table_lists_what_is_registered() -> None:
    """In a fresh process: tests may register more (e.g. a slow source) in this one."""
    import json
    import subprocess
    import sys

    code = ("import json, tests.test_architecture as t;"
            "print(json.dumps({k: r.names() for k, r in t._registries().items()}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    section = _doc_section("Registries")
    for name, names in json.loads(out).items():
        row = next(line for line in section.splitlines() if line.startswith(f"| `{name}` |"))
        listed = {n.strip() for n in row.rstrip(" |").rsplit("|", 1)[1].split(",")}
        assert listed == set(names), name


def test_docs_stand_alone() -> None:
    """No link or path reaches outside the repository (docs must stand alone)."""
    import re

    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        text = doc.read_text(encoding="utf-8")
        assert "../shared" not in text and "../notes" not in text, doc.name
        for target in re.findall(r"\]\(([^)\s]+)", text):
            assert not target.startswith(("http://", "https://")), f"{doc.name}: {target}"
            if target.startswith("#"):
                continue
            assert (doc.parent / target.split("#")[0]).exists(), f"{doc.name}: {target}"
