"""ContractValidator: coercion, JSON Schema and validation rules."""

from __future__ import annotations

from datetime import date

import pytest

from pycharter_gui.etl_generator.errors import ConfigError
from pycharter_gui.etl_generator.transformers import ContractValidator

SCHEMA = {
    "type": "object",
    "required": ["id", "email"],
    "properties": {
        "id": {"type": "integer", "minimum": 1},
        "email": {"type": "string", "pattern": "@"},
        "status": {"enum": ["active", "closed"]},
        "day": {"type": "string"},
    },
}


@pytest.fixture
def validator_factory():
    return ContractValidator


def test_schema_with_coercion(validator_factory) -> None:
    validator = validator_factory({"schema": SCHEMA,
                                   "coercion_rules": {"id": "int", "day": "date"}})
    records = [
        {"id": "7", "email": "a@x", "status": "active", "day": "2024-01-05"},
        {"id": "0", "email": "b@x"},
        {"id": 3},
        {"id": 4, "email": "nope", "status": "weird"},
    ]
    valid, rejected = validator.validate(records)
    assert valid == [{"id": 7, "email": "a@x", "status": "active", "day": date(2024, 1, 5)}]
    assert [r.index for r in rejected] == [1, 2, 3]
    assert all(r.step == "validate" and r.reason == "validation_error" for r in rejected)
    assert rejected[0].field == "id" and "minimum" in rejected[0].message
    assert rejected[1].field == "email" and "required" in rejected[1].message
    assert rejected[2].field in ("email", "status") and "more" in rejected[2].message
    assert rejected[1].record == {"id": 3}  # the original record goes to the DLQ


def test_failed_coercion_is_judged_by_schema(validator_factory) -> None:
    validator = validator_factory({"schema": SCHEMA, "coercion_rules": {"id": "int"}})
    _, [rej] = validator.validate([{"id": "abc", "email": "a@x"}])
    assert rej.field == "id" and "type" in rej.message


@pytest.mark.parametrize(("rules", "record", "field_rule"), [
    ({"age": {"min": 0}}, {"age": -1}, "min"),
    ({"age": {"max": 120}}, {"age": 121}, "max"),
    ({"code": {"min_length": 3}}, {"code": "ab"}, "min_length"),
    ({"code": {"max_length": 2}}, {"code": "abc"}, "max_length"),
    ({"code": {"pattern": "^[A-Z]+$"}}, {"code": "ab"}, "pattern"),
    ({"s": {"enum": ["a", "b"]}}, {"s": "c"}, "enum"),
    ({"s": {"allowed_values": ["a"]}}, {"s": "c"}, "enum"),
    ({"s": {"not_null": True}}, {"s": None}, "not_null"),
    ({"s": {"required": True}}, {}, "not_null"),
    ({"age": {"min": 0}}, {"age": "x"}, "min"),
])
def test_validation_rules_reject(rules: dict, record: dict, field_rule: str) -> None:
    valid, [rej] = ContractValidator({"validation_rules": rules}).validate([record])
    assert valid == []
    field = next(iter(rules))
    assert rej.field == field and f"rule '{field_rule}'" in rej.message and field in rej.message


def test_validation_rules_accept_valid_and_null_values() -> None:
    rules = {"age": {"min": 0, "max": 10}, "code": {"pattern": "^a", "max_length": 3}}
    valid, rejected = ContractValidator({"validation_rules": rules}).validate(
        [{"age": 5, "code": "ab"}, {"age": None}])
    assert len(valid) == 2 and rejected == []


def test_unique_in_batch() -> None:
    valid, rejected = ContractValidator({"validation_rules": {"id": {"unique": True}}}).validate(
        [{"id": 1}, {"id": 2}, {"id": 1}])
    assert [r["id"] for r in valid] == [1, 2] and rejected[0].index == 2


def test_bad_contract_is_config_error_listing_every_problem() -> None:
    with pytest.raises(ConfigError) as info:
        ContractValidator({"coercion_rules": {"a": "money"},
                           "validation_rules": {"b": {"between": 1}, "c": {"pattern": "("}}})
    assert len(info.value.problems) == 3
