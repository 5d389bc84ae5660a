"""extract.yaml / load.yaml ``validation:`` blocks are applied (issue 13): quarantine, skip,
warn, fail, and the settings.yaml contract of pycharter 0.0.30-0.0.35."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ConfigError, ETLOrchestrator, validate_pipeline

ROWS = [{"id": 1, "amount": 5}, {"id": 2, "amount": "lots"}, {"id": 3, "amount": 7}]
SCHEMA = {"type": "object", "required": ["id", "amount"],
          "properties": {"id": {"type": "integer"}, "amount": {"type": "number"}}}


def _pipeline(write_pipeline, extract_extra: str = "", load_extra: str = "",
              **files: str) -> Path:
    folder = write_pipeline(
        extract="type: file\npath: rows.json\n" + extract_extra,
        load="type: file\npath: out.jsonl\ndead_letter_queue: {backend: memory}\n" + load_extra,
        **files)
    (folder / "rows.json").write_text(json.dumps(ROWS))
    (folder / "amounts.json").write_text(json.dumps(SCHEMA))
    return folder


def _loaded(folder: Path) -> list[dict]:
    out = folder / "out.jsonl"
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


async def test_extract_quarantine_dead_letters_invalid_records(write_pipeline):
    folder = _pipeline(write_pipeline, "validation:\n  schema: amounts.json\n"
                                       "  on_error: quarantine\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["status"] == "completed_with_dead_letters"
    assert [r["id"] for r in _loaded(folder)] == [1, 3]
    assert result["dlq_by_reason"] == {"schema_mismatch": 1}
    (dead,) = result["dead_letters"].get_records()
    assert dead.stage == "validate" and dead.record_data == ROWS[1]
    assert "amount" in dead.error_message


async def test_extract_skip_filters_with_warnings(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {schema: amounts.json, on_error: skip}\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["status"] == "completed"
    assert [r["id"] for r in _loaded(folder)] == [1, 3]
    assert result["transformation"]["filtered"] == 1
    assert result["transformation"]["warnings"] == 1
    assert result["dead_lettered"] == 0


async def test_extract_warn_loads_everything_and_counts(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {schema: amounts.json, on_error: warn}\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert [r["id"] for r in _loaded(folder)] == [1, 2, 3]
    assert result["transformation"]["warnings"] == 1


async def test_fail_stops_the_run_naming_the_record(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {schema: amounts.json, on_error: fail}\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["status"] == "failed" and not result["success"]
    assert "record 2 of batch 1" in result["error"] and "amount" in result["error"]
    assert '"lots"' in result["error"]
    assert not (folder / "out.jsonl").exists()


async def test_load_block_checks_transformed_records(write_pipeline):
    folder = _pipeline(
        write_pipeline, "",
        "validation:\n  schema: limits.json\n  on_error: quarantine\n",
        transform="transform:\n  rename: {amount: value}\n  filter: {field: id, operator: ne, "
                  "value: 2}\n")
    (folder / "limits.json").write_text(json.dumps(
        {"type": "object", "properties": {"value": {"type": "number", "maximum": 6}}}))
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert _loaded(folder) == [{"id": 1, "value": 5}]
    (dead,) = result["dead_letters"].get_records()
    assert dead.stage == "validate" and dead.record_data == {"id": 3, "value": 7}
    assert result["transformation"]["filtered"] == 1


async def test_settings_contract_is_the_schema_of_a_block_without_one(write_pipeline):
    folder = _pipeline(write_pipeline, "validation:\n  on_error: quarantine\n  dlq: true\n",
                       settings="contract:\n  name: amounts\n  schema_path: amounts.json\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert [r["id"] for r in _loaded(folder)] == [1, 3]
    assert result["dead_lettered"] == 1


async def test_dry_run_quarantines_in_memory(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {schema: amounts.json, on_error: quarantine}\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True)
    assert result["dead_lettered"] == 1 and result["loading"]["total_records"] == 2
    assert not (folder / "out.jsonl").exists()


def test_a_block_without_any_schema_is_a_config_error(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {on_error: quarantine}\n")
    problems = validate_pipeline(folder)
    assert any(p.key == "validation" and "no schema" in p.message for p in problems)
    with pytest.raises(ConfigError):
        ETLOrchestrator(contract_dir=folder)


def test_missing_or_broken_schema_files_are_config_errors(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {schema: nope.json}\n",
                       "validation: {schema: bad.json}\n")
    (folder / "bad.json").write_text(json.dumps({"type": "object", "properties": {
        "x": {"type": "no-such-type"}}}))
    problems = [p for p in validate_pipeline(folder) if p.severity == "error"]
    assert any(p.key == "validation.schema_path" and "nope.json" in p.message
               and p.file.endswith("extract.yaml") for p in problems)
    assert any(p.key == "validation.schema_path" and "invalid JSON Schema" in p.message
               and p.file.endswith("load.yaml") for p in problems)


def test_settings_contract_without_a_schema_is_reported(write_pipeline):
    folder = _pipeline(write_pipeline, "validation: {on_error: skip}\n",
                       settings="contract:\n  name: amounts\n")
    problems = validate_pipeline(folder)
    assert any(p.key == "contract" and "no schema" in p.message
               and p.file.endswith("settings.yaml") for p in problems)
