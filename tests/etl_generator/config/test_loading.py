"""Loading a pipeline: sources and priority, pipeline.yaml, contracts, located errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycharter_gui.etl_generator.config import (
    PipelineConfig,
    load_pipeline_config,
    validate_pipeline,
)
from pycharter_gui.etl_generator.errors import ConfigError

EXTRACT = "title: Orders\ntype: file\npath: data/orders.csv\n"
LOAD = "type: file\npath: out/orders.json\n"


def test_folder_loads_with_names_and_files(write_pipeline):
    folder = write_pipeline("orders", extract=EXTRACT, load=LOAD)
    cfg = load_pipeline_config(folder)
    assert isinstance(cfg, PipelineConfig) and cfg.name == "orders"
    assert cfg.base_dir == folder.resolve()
    assert cfg.extract["path"] == str(folder / "data" / "orders.csv")
    assert cfg.load["path"] == str(folder / "out" / "orders.json")
    assert cfg.transform["ops"] == [] and cfg.files["transform"] is None
    assert cfg.files["extract"] == folder / "extract.yaml" and cfg.contract is None


def test_relative_paths_independent_of_cwd(write_pipeline, tmp_path, monkeypatch):
    folder = write_pipeline(extract=EXTRACT, load="type: sqlite\npath: db/x.db\ntable: t\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    cfg = load_pipeline_config(Path("..") / folder.name)
    assert cfg.extract["path"] == str(folder / "data" / "orders.csv")
    assert cfg.load["url"] == f"sqlite:///{folder / 'db' / 'x.db'}"
    assert cfg.load["dead_letter_queue"]["path"] == str(
        folder / ".pycharter" / "dead_letters.jsonl")


def test_priority_dict_over_file_over_folder(write_pipeline, tmp_path):
    folder = write_pipeline(extract=EXTRACT, load=LOAD, transform="rename: {a: b}\n")
    other = tmp_path / "other_extract.yaml"
    other.write_text("type: file\npath: from_file.csv\n")
    cfg = load_pipeline_config(folder, extract_file=other)
    assert cfg.extract["path"].endswith("from_file.csv")
    assert cfg.files["extract"] == other
    cfg = load_pipeline_config(folder, extract_file=other,
                               extract_config={"path": "from_dict.csv"},
                               transform_config={"drop": ["x"]})
    assert cfg.extract["path"] == str(folder / "from_dict.csv")
    assert cfg.transform["ops"] == [{"op": "drop", "spec": ["x"]}]
    assert cfg.load["path"] == str(folder / "out" / "orders.json")  # still from the folder


def test_extract_file_alone_sets_base_dir(tmp_path):
    folder = tmp_path / "solo"
    folder.mkdir()
    (folder / "e.yaml").write_text("path: in.csv\n")
    (folder / "l.yaml").write_text("path: out.json\n")
    cfg = load_pipeline_config(extract_file=folder / "e.yaml", load_file=folder / "l.yaml")
    assert cfg.base_dir == folder and cfg.extract["path"] == str(folder / "in.csv")


def test_single_file_pipeline_yaml(tmp_path):
    folder = tmp_path / "single"
    folder.mkdir()
    doc = folder / "pipeline.yaml"
    doc.write_text(
        "name: single\nversion: '1'\nextract:\n  type: file\n  path: in.jsonl\n"
        "transform:\n  - rename: {a: b}\njsonata:\n  expression: $\n"
        "load:\n  type: file\n  path: out.csv\ndlq:\n  path: dl.jsonl\n")
    cfg = load_pipeline_config(contract_file=doc)
    assert cfg.files["pipeline"] == doc and cfg.base_dir == folder
    assert cfg.extract["path"] == str(folder / "in.jsonl")
    assert cfg.transform["ops"] == [{"op": "rename", "spec": {"a": "b"}}]
    assert cfg.transform["jsonata"]["expression"] == "$"
    assert cfg.load["dead_letter_queue"]["path"] == str(folder / "dl.jsonl")
    assert load_pipeline_config(folder).extract == cfg.extract  # found in the folder too


def test_pipeline_yaml_errors_carry_section_keys_and_lines(tmp_path):
    doc = tmp_path / "pipeline.yaml"
    doc.write_text("extract:\n  type: file\n  pth: in.csv\nload:\n  type: file\n"
                   "  path: o.json\nbogus: 1\n")
    problems = validate_pipeline(doc)
    by_key = {p.key: p for p in problems}
    assert by_key["extract.pth"].line == 3 and "path" in by_key["extract.pth"].message
    assert by_key["extract.path"].message == "required key is missing"
    assert by_key["bogus"].line == 7


def test_bad_yaml_names_file_and_line(write_pipeline):
    folder = write_pipeline(extract="type: file\npath: [unclosed\nx: 1\n", load=LOAD)
    with pytest.raises(ConfigError) as err:
        load_pipeline_config(folder)
    (p,) = err.value.problems
    assert p.file == str(folder / "extract.yaml") and p.line is not None and p.line >= 2
    assert "invalid YAML" in p.message


def test_empty_files_and_missing_required(write_pipeline):
    folder = write_pipeline(extract=EXTRACT, load=LOAD, transform="")
    assert load_pipeline_config(folder).transform["ops"] == []
    (folder / "load.yaml").unlink()
    with pytest.raises(ConfigError) as err:
        load_pipeline_config(folder)
    assert err.value.problems[0].file == str(folder / "load.yaml")
    assert err.value.pipeline == folder.name


def test_non_mapping_file(write_pipeline):
    folder = write_pipeline(extract="- a\n- b\n", load=LOAD)
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_pipeline_config(folder)


def test_contract_files_and_settings(write_pipeline):
    folder = write_pipeline(extract=EXTRACT, load=LOAD,
                            **{"schema.json": json.dumps({"type": "object"}),
                               "coercion_rules.yaml": "age: int\n",
                               "settings": "name: x\ndlq:\n  backend: sqlite\n"})
    cfg = load_pipeline_config(folder)
    assert cfg.contract == {"schema": {"type": "object"}, "coercion_rules": {"age": "int"}}
    assert cfg.load["dead_letter_queue"]["backend"] == "sqlite"
    assert cfg.files["settings"] == folder / "settings.yaml"
    cfg = load_pipeline_config(folder, contract_dict={"schema": {"title": "c"}})
    assert cfg.contract == {"schema": {"title": "c"}}


def test_contract_file_that_is_a_contract(write_pipeline):
    folder = write_pipeline(extract=EXTRACT, load=LOAD, **{"contract.yaml": "schema:\n  a: 1\n"})
    cfg = load_pipeline_config(contract_file=folder / "contract.yaml")
    assert cfg.contract == {"schema": {"a": 1}} and cfg.base_dir == folder


def test_load_dlq_wins_over_settings(write_pipeline):
    folder = write_pipeline(extract=EXTRACT, load=LOAD + "dead_letter_queue:\n  enabled: false\n",
                            settings="dlq:\n  backend: sqlite\n")
    assert load_pipeline_config(folder).load["dead_letter_queue"]["enabled"] is False


def test_settings_unknown_key(write_pipeline):
    folder = write_pipeline(extract=EXTRACT, load=LOAD, settings="dlqq:\n  path: x\n")
    (p,) = [p for p in validate_pipeline(folder) if p.severity == "error"]
    assert p.file == str(folder / "settings.yaml") and "did you mean 'dlq'" in p.message
    assert p.line == 1
