"""One YAML parser, one meaning: the designer's preview of unsaved text and the engine's run of
the saved file read pipeline YAML alike (YAML 1.2: ``NO`` is the text 'NO', not False)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from pycharter_gui.designer import pipeline_tasks
from pycharter_gui.etl_generator import ETLOrchestrator, parse_yaml_text

PACKAGE = Path(__file__).resolve().parents[1] / "pycharter_gui"
TRANSFORM = "transform:\n  defaults:\n    country: NO\n    active: yes\n"
# Modules that may read YAML with PyYAML: none of them reads a pipeline config.
PYYAML_ALLOWED = {"etl_generator/pipeline_tests/files.py"}  # a pipeline test's own test.yaml


def _pipeline(folder: Path) -> Path:
    folder.mkdir()
    (folder / "in.jsonl").write_text(json.dumps({"id": 1}) + "\n")
    (folder / "extract.yaml").write_text("type: file\npath: in.jsonl\n")
    (folder / "transform.yaml").write_text("{}\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    return folder


async def test_preview_of_unsaved_text_and_run_of_saved_file_agree(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path / "pipe")
    expected = {"id": 1, "country": "NO", "active": "yes"}

    cfg = pipeline_tasks.normalized_transform(TRANSFORM, folder)  # the unsaved editor text
    preview = pipeline_tasks.compute_transform_preview([{"id": 1}], cfg)
    assert preview.after == [expected]
    unsaved = pipeline_tasks.build_orchestrator(folder, {"transform": TRANSFORM})
    assert _run_output(await unsaved.run(), folder) == [expected]

    (folder / "transform.yaml").write_text(TRANSFORM)  # saved: the run reads the file
    saved = ETLOrchestrator(contract_dir=folder, verbose=False)
    assert _run_output(await saved.run(), folder) == [expected]


def _run_output(result: dict, folder: Path) -> list[dict]:
    assert result["success"], result["error"]
    return [json.loads(line) for line in (folder / "out.jsonl").read_text().splitlines()]


def test_the_public_text_parser_is_yaml_1_2_with_lines() -> None:
    data, lines = parse_yaml_text("a: 1\ncountry: NO\n", file="x.yaml")
    assert data == {"a": 1, "country": "NO"} and lines["country"] == 2


def test_no_module_reads_pipeline_yaml_with_pyyaml() -> None:
    importers = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if any(n == "yaml" or n.startswith("yaml.") for n in names):
                importers.add(path.relative_to(PACKAGE).as_posix())
    assert importers <= PYYAML_ALLOWED, (
        f"{sorted(importers - PYYAML_ALLOWED)} import PyYAML (YAML 1.1); read pipeline YAML "
        "with pycharter_gui.etl_generator.parse_yaml_text")
