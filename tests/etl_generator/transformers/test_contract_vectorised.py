"""Differential tests: the column-wise contract screen accepts and rejects exactly the records
(with exactly the dead-letter messages) of the per-record jsonschema path."""

from __future__ import annotations

import random
from datetime import date, datetime
from typing import Any

import pytest

from pycharter_gui.etl_generator.transformers import ContractValidator

MISSING = object()
VALUES: list[Any] = [
    0, 1, -1, 7, 2 ** 53 + 1, -(2 ** 63), 0.0, -0.5, 1.0, 2.5, 99.99, 1e300,
    float("nan"), float("inf"), float("-inf"), True, False, None, "", "a", "ab", "abc", "ABC",
    "active", "closed", "1", "é✓", "x" * 12, date(2024, 1, 5), datetime(2024, 1, 5, 7, 8, 9),
    {"k": 1}, [1, "a"], [],
]
PROPERTY_SCHEMAS: list[dict[str, Any]] = [
    {"type": "integer"}, {"type": "number"}, {"type": "string"}, {"type": "boolean"},
    {"type": "null"}, {"type": ["string", "null"]}, {"type": ["integer", "string"]},
    {"type": "object"}, {"type": "array"},
    {"enum": ["active", "closed"]}, {"enum": [1, "1", None, True]}, {"enum": [1.0, [1, "a"]]},
    {"minimum": 1}, {"maximum": 7}, {"exclusiveMinimum": 0}, {"exclusiveMaximum": 2.5},
    {"minimum": 0, "maximum": 100, "type": "number"},
    {"minLength": 1}, {"minLength": 2}, {"maxLength": 0}, {"maxLength": 3},
    {"pattern": "^[a-z]+$"}, {"pattern": "b"}, {"pattern": "^\\d{4}-\\d{2}"},
    {"type": "string", "minLength": 2, "maxLength": 3, "pattern": "^a", "format": "email",
     "title": "t", "description": "d"},
    # not screened: checked by the compiled residual validator per record
    {"multipleOf": 2}, {"const": "a"}, {"type": "object", "properties": {"k": {"minimum": 2}}},
    {"not": {"type": "string"}}, {"anyOf": [{"type": "integer"}, {"minLength": 2}]},
]


def _record(rng: random.Random, names: list[str]) -> dict[str, Any]:
    record = {}
    for name in names:
        value = rng.choice([*VALUES, MISSING, MISSING])
        if value is not MISSING:
            record[name] = value
    if rng.random() < 0.2:
        record["extra"] = rng.choice(VALUES)
    return record


def _outcome(validator: ContractValidator, records: list[dict[str, Any]]) -> Any:
    valid, rejected = validator.validate(records)
    return (valid, [(r.index, r.record, r.step, r.reason, r.message, r.error_type, r.field)
                    for r in rejected])


def _per_record(contract: dict[str, Any]) -> ContractValidator:
    """The reference: the same contract validated record by record with ``iter_errors``."""
    validator = ContractValidator(contract)
    validator._screen = None
    return validator


def _same(contract: dict[str, Any], records: list[dict[str, Any]]) -> Any:
    fast = ContractValidator(contract)
    assert fast._screen is not None
    expected = _outcome(_per_record(contract), records)
    got = _outcome(fast, records)
    assert repr(got) == repr(expected)  # repr: NaN != NaN but prints the same
    return got


@pytest.mark.parametrize("seed", range(12))
def test_random_schemas_and_records_match_per_record_jsonschema(seed: int) -> None:
    rng = random.Random(seed)
    names = ["a", "b", "c", "d"]
    props = {n: rng.choice(PROPERTY_SCHEMAS) for n in names}
    schema: dict[str, Any] = {"type": "object", "properties": props,
                              "required": rng.sample(names, rng.randint(0, 3))}
    records = [_record(rng, names) for _ in range(300)]
    _same({"schema": schema}, records)


@pytest.mark.parametrize("prop", PROPERTY_SCHEMAS, ids=repr)
def test_each_keyword_against_every_value(prop: dict[str, Any]) -> None:
    records = [{"v": v, "n": i} for i, v in enumerate(VALUES)] + [{"n": -1}]
    _, rejected = _same({"schema": {"type": "object", "properties": {"v": prop},
                                    "required": ["n"]}}, records)
    assert len(rejected) < len(records)


def test_screened_keywords_leave_no_residual_validator() -> None:
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "orders",
              "type": "object", "required": ["id"],
              "properties": {"id": {"type": "integer", "minimum": 1},
                             "name": {"type": "string", "minLength": 2, "pattern": "^[A-Z]"}}}
    screen = ContractValidator({"schema": schema})._screen
    assert screen.residual is None and [n for n, _ in screen.columns] == ["id", "name"]
    records = [{"id": i, "name": "Ab" if i % 7 else "b"} for i in range(1, 200)]
    records += [{"name": "Zed"}, {"id": 0}, {"id": "3", "name": 5}]
    _, rejected = _same({"schema": schema}, records)
    assert len(rejected) == 31


@pytest.mark.parametrize("schema", [
    {"type": "object", "additionalProperties": False, "properties": {"a": {"minimum": 1}}},
    {"$schema": "http://json-schema.org/draft-04/schema#", "type": "object",
     "properties": {"a": {"minimum": 1, "exclusiveMinimum": True}}},
    {"type": "object", "properties": {"a": {"$ref": "#/$defs/pos"}},
     "$defs": {"pos": {"minimum": 1}}},
    {"type": "object", "required": ["a"], "dependentRequired": {"a": ["b"]}},
], ids=["additionalProperties", "draft4", "ref", "dependentRequired"])
def test_schemas_outside_the_screen_are_checked_per_record(schema: dict[str, Any]) -> None:
    rng = random.Random(3)
    records = [_record(rng, ["a", "b"]) for _ in range(200)]
    _same({"schema": schema}, records)


def test_coercion_and_rules_with_the_screen() -> None:
    rng = random.Random(9)
    schema = {"type": "object", "required": ["id"],
              "properties": {"id": {"type": "integer", "minimum": 1},
                             "day": {"type": "string", "pattern": "^2024"},
                             "qty": {"type": "number", "maximum": 50}}}
    records = [{"id": rng.choice(["7", "0", "x", 3, None, 2.0]),
                "day": rng.choice(["2024-01-05", "2023-02-01", "nope", None]),
                "qty": rng.choice(["1.5", "99", 3, "q"])} for _ in range(300)]
    coerced = {"schema": schema, "coercion_rules": {"id": "int", "day": "date", "qty": "float"}}
    _same(coerced, records)
    _same({**coerced, "validation_rules": {"id": {"unique": True}, "qty": {"min": 0}}}, records)


@pytest.mark.parametrize("seed", range(6))
def test_table_validation_matches_records(seed: int) -> None:
    """validate_table over an Arrow table rejects exactly the records validate rejects, with
    the same index, record and message."""
    import pyarrow as pa

    rng = random.Random(seed)
    schema = {"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "integer", "minimum": 0, "exclusiveMaximum": 90},
        "name": {"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]"},
        "amount": {"type": ["number", "null"], "maximum": 50.5},
        "flag": {"type": "integer"},
        "n": {"type": "integer"},
        "e": {"enum": ["a", "b", None]}}}
    columns = {
        "id": [rng.choice([-1, 0, 5, 89, 90, None]) for _ in range(200)],
        "name": [rng.choice(["ab", "a", "abcde", "Ab", "é✓", None]) for _ in range(200)],
        "amount": [rng.choice([1.5, 50.5, 50.75, None]) for _ in range(200)],
        "flag": [rng.choice([True, False]) for _ in range(200)],
        "n": [rng.choice([1.0, 2.5, None]) for _ in range(200)],
        "e": [rng.choice(["a", "c", None]) for _ in range(200)],
    }
    if seed % 2:
        del columns["name"]  # a required property missing from every record
    table = pa.table(columns)
    validator = ContractValidator({"schema": schema})
    assert validator.by_columns
    valid_table, rejected = validator.validate_table(table)
    valid, expected = validator.validate(table.to_pylist())
    assert valid_table.to_pylist() == valid
    assert [(r.index, r.record, r.message, r.field) for r in rejected] == \
        [(r.index, r.record, r.message, r.field) for r in expected]
