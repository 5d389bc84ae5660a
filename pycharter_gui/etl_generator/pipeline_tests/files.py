"""A test case's folder: reading ``test.yaml`` and the JSON Lines/CSV files, writing the
expected output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from ..atomic import atomic_write
from ..errors import ConfigError, ConfigProblem
from .model import PipelineOutput, PipelineTestCase, dumps

TESTS_DIR = "tests"
TEST_FILE = "test.yaml"


def write_lines(path: Path, items: list[Any]) -> None:
    atomic_write(path, "".join(dumps(item) + "\n" for item in items))


def _read_jsonl(path: Path) -> list[Any]:
    items = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ConfigError([ConfigProblem(str(path), "", f"not JSON: {exc.msg}", number)]
                                  ) from exc
    return items


def read_input(case: PipelineTestCase) -> list[dict[str, Any]]:
    """The test's input records (JSON Lines, or CSV read like a CSV source)."""
    if case.input_file.suffix.lower() in (".csv", ".tsv"):
        from ..readers import iter_batches

        fmt = case.input_file.suffix.lower().lstrip(".")
        return [rec for batch in iter_batches(case.input_file, fmt) for rec in batch]
    return _read_jsonl(case.input_file)


def read_output(case: PipelineTestCase) -> PipelineOutput:
    return PipelineOutput(
        loaded=_read_jsonl(case.expected_file) if case.expected_file.is_file() else [],
        dead_letters=(_read_jsonl(case.dead_letters_file)
                      if case.dead_letters_file.is_file() else []))


def write_output(case: PipelineTestCase, output: PipelineOutput) -> None:
    """The expected files; ignored fields hold ``*`` so accepting again changes no line."""
    ignore = set(case.ignore_fields)
    loaded = [{**e, "record": {k: "*" if k in ignore else v for k, v in e["record"].items()}}
              if ignore and isinstance(e.get("record"), dict) else e for e in output.loaded]
    write_lines(case.expected_file, loaded)
    write_lines(case.dead_letters_file, output.dead_letters)


def _load_case(folder: Path) -> PipelineTestCase:
    spec_file = folder / TEST_FILE
    try:
        spec = yaml.safe_load(spec_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ConfigError([ConfigProblem(str(spec_file), "", f"invalid YAML: {exc}")]) from exc
    problems = []
    if not isinstance(spec, dict):
        raise ConfigError([ConfigProblem(str(spec_file), "", "must hold a mapping of keys")])
    ignore = spec.get("ignore_fields") or []
    if not isinstance(ignore, list) or not all(isinstance(f, str) for f in ignore):
        problems.append(ConfigProblem(str(spec_file), "ignore_fields", "must be a list of names"))
    files = {key: folder / str(spec.get(key) or default) for key, default in (
        ("input", "input.jsonl"), ("expected", "expected.jsonl"),
        ("expected_dead_letters", "expected_dead_letters.jsonl"))}
    if not files["input"].is_file():
        problems.append(ConfigProblem(str(spec_file), "input",
                                      f"input file not found: {files['input'].name}"))
    if problems:
        raise ConfigError(problems)
    return PipelineTestCase(
        name=folder.name, folder=folder, input_file=files["input"],
        expected_file=files["expected"], dead_letters_file=files["expected_dead_letters"],
        ignore_fields=list(ignore), dry_load=spec.get("dry_load", True) is not False,
        description=str(spec.get("description") or ""))


def write_test_spec(folder: Path, spec: dict[str, Any]) -> None:
    """Write a case's ``test.yaml`` (keys sorted, headed by how to run it)."""
    atomic_write(folder / TEST_FILE, "# A pipeline test: `pycharter-etl test <pipeline>` runs it.\n"
                 + yaml.safe_dump(spec, sort_keys=True, allow_unicode=True))


def list_pipeline_tests(pipeline_dir: str | Path) -> list[PipelineTestCase]:
    """The test cases saved beside a pipeline, by name; a bad ``test.yaml`` raises ``ConfigError``."""
    root = Path(pipeline_dir) / TESTS_DIR
    if not root.is_dir():
        return []
    return [_load_case(d) for d in sorted(root.iterdir()) if (d / TEST_FILE).is_file()]
