"""convert target types (config-format §4.3), failure handling and strict mode."""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from tf_helpers import assert_invariant, canon

from pycharter_gui.etl_generator.transformers import transform_batch


def conv(value: object, type_name: str) -> object:
    res = transform_batch([{"v": value}], canon(("convert", {"v": type_name})))
    return res.records[0]["v"]


@pytest.mark.parametrize(("value", "expected"), [
    ("3.7", 3), ("-3.7", -3), ("1e3", 1000), (" 42 ", 42), ("6.0", 6), (2.9, 2), (True, 1),
])
def test_int(value: object, expected: int) -> None:
    got = conv(value, "integer")
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", ["", "abc", "nan"])
def test_int_failures_keep_the_value(value: str) -> None:
    assert conv(value, "int") == value


def test_float_and_nan() -> None:
    assert conv("1e3", "float") == 1000.0
    assert conv("-0.5", "number") == -0.5
    assert math.isnan(conv("nan", "float"))


@pytest.mark.parametrize(("value", "expected"), [
    (1.0, "1.0"), (True, "True"), ({"k": 1}, "{'k': 1}"), ([1], "[1]"),
])
def test_str(value: object, expected: str) -> None:
    assert conv(value, "string") == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("true", True), ("TRUE", True), ("1", True), ("yes", True), ("On", True),
    ("false", False), ("maybe", False), ("", False), (0, False), (2, True), ([], False),
])
def test_bool(value: object, expected: bool) -> None:
    assert conv(value, "bool") is expected


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-01-05T10:11:12", datetime(2024, 1, 5, 10, 11, 12)),
    ("2024-01-05T10:11:12.250", datetime(2024, 1, 5, 10, 11, 12, 250000)),
    ("2024-01-05T10:11:12Z", datetime(2024, 1, 5, 10, 11, 12)),
    ("2024-01-05T10:11:12.5Z", datetime(2024, 1, 5, 10, 11, 12, 500000)),
    ("2024-01-05 10:11:12", datetime(2024, 1, 5, 10, 11, 12)),
    ("2024-01-05 10:11:12.000001", datetime(2024, 1, 5, 10, 11, 12, 1)),
])
def test_datetime_formats(value: str, expected: datetime) -> None:
    got = conv(value, "datetime")
    assert got == expected and got.tzinfo is None


@pytest.mark.parametrize("value", ["2024-01-05", "2024-01-05T10:11:12+02:00", "junk"])
def test_datetime_failures_keep_value(value: str) -> None:
    assert conv(value, "datetime") == value


def test_datetime_passes_non_strings_through() -> None:
    assert conv(1700000000, "datetime") == 1700000000


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-01-05", date(2024, 1, 5)), ("2024/01/05", date(2024, 1, 5)),
    ("01/05/2024", date(2024, 1, 5)), (datetime(2024, 1, 5, 3, 4), date(2024, 1, 5)),
])
def test_date(value: object, expected: date) -> None:
    assert conv(value, "date") == expected


@pytest.mark.parametrize("value", ["2024-02-30", "05-01-2024", "20240105", "2024-01-05T10:11:12"])
def test_date_failures_keep_value(value: str) -> None:
    assert conv(value, "date") == value


def test_missing_field_skipped_and_none_stays_none() -> None:
    res = transform_batch([{}, {"v": None}], canon(("convert", {"v": "int"})))
    assert res.records == [{}, {"v": None}] and res.warnings == []


def test_failure_keeps_value_and_records_warning() -> None:
    res = transform_batch([{"v": "1"}, {"v": "x"}], canon(("convert", {"v": "int"})))
    assert [r["v"] for r in res.records] == [1, "x"]
    [warning] = res.warnings
    assert (warning.index, warning.field, warning.step) == (1, "v", "convert")
    assert "'x'" in warning.message


def test_strict_mode_rejects_failed_conversion() -> None:
    data = [{"v": "1"}, {"v": "x", "k": 2}, {"v": "3"}]
    res = transform_batch(data, canon(("convert", {"v": "int"}), strict=True))
    assert [r["v"] for r in res.records] == [1, 3]
    [rej] = res.rejected
    assert (rej.index, rej.step, rej.reason, rej.field) == (1, "convert", "transformation_error", "v")
    assert rej.record == {"v": "x", "k": 2} and rej.error_type == "ValueError"
    assert_invariant(data, res)
