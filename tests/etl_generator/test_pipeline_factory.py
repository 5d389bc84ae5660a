"""PipelineFactory discovery rules (config-format.md §10, engine lines)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator, PipelineFactory

TRIO = ("extract.yaml", "transform.yaml", "load.yaml")


def _pipe(folder: Path, files=TRIO) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in files:
        (folder / name).write_text("path: x.csv\n" if name != "transform.yaml" else "")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    _pipe(tmp_path / "alpha")
    _pipe(tmp_path / "group" / "delta")
    _pipe(tmp_path / "group" / "deeper" / "epsilon")  # too deep
    _pipe(tmp_path / "templates" / "tpl")  # excluded
    _pipe(tmp_path / ".hidden")
    _pipe(tmp_path / "old" / "legacy")
    _pipe(tmp_path / "beta_no_transform", files=("extract.yaml", "load.yaml"))
    _pipe(tmp_path / "group2")
    _pipe(tmp_path / "group2" / "zeta")
    return tmp_path


def test_discovers_children_and_grandchildren(root: Path) -> None:
    factory = PipelineFactory(root)
    assert factory.get_pipeline_names() == ["alpha", "delta", "group2", "zeta"]
    assert factory.incomplete_pipelines() == {"beta_no_transform": ["transform.yaml"]}


def test_required_files_and_exclusions_are_configurable(root: Path) -> None:
    factory = PipelineFactory(root, excluded_dirs=["group"], required_files=["extract.yaml", "load.yaml"])
    assert "beta_no_transform" in factory.get_pipeline_names()
    assert "delta" not in factory.get_pipeline_names()
    assert "tpl" in factory.get_pipeline_names()


def test_contract_dir_is_absolute_and_unknown_names_are_listed(root: Path) -> None:
    factory = PipelineFactory(root)
    assert factory.get_contract_dir("delta") == str((root / "group" / "delta").resolve())
    assert factory.get_contract_dir("nope") is None
    with pytest.raises(ValueError, match="Available pipelines: alpha, delta"):
        factory.create_orchestrator("nope")


def test_collisions_are_reported(root: Path) -> None:
    _pipe(root / "other" / "alpha")
    collisions = PipelineFactory(root).collisions()
    assert list(collisions) == ["alpha"] and len(collisions["alpha"]) == 2


def test_refresh_rescans(root: Path) -> None:
    factory = PipelineFactory(root)
    assert "new" not in factory.get_pipeline_names()
    _pipe(root / "new")
    assert "new" not in factory.get_pipeline_names()  # cached
    factory.refresh()
    assert "new" in factory.get_pipeline_names()


def test_missing_root_has_no_pipelines(tmp_path: Path) -> None:
    assert PipelineFactory(tmp_path / "absent").get_pipeline_names() == []


def test_create_orchestrator_for_example(tmp_path) -> None:
    from pycharter_gui.paths import resource_path

    factory = PipelineFactory(resource_path("examples"))
    orch = factory.create_orchestrator("orders_to_sqlite", verbose=False)
    assert isinstance(orch, ETLOrchestrator)
    assert orch.pipeline_name == "orders_to_sqlite"
