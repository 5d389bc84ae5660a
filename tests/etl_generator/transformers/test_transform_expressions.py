"""add expressions (config-format §4.4)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime

import pytest
from tf_helpers import canon

from pycharter_gui.etl_generator.transformers import evaluate_expression, transform_batch

REC = {"first": "Ann", "last": "Lee", "n": 5, "none": None, "empty": "", "price": "2.5"}


@pytest.mark.parametrize(("expr", "expected"), [
    (7, 7), (None, None), (True, True), ([1, 2], [1, 2]), ({"k": 1}, {"k": 1}),
    ("  spaced text  ", "spaced text"),
    ("plain", "plain"),
    ("${n}", "5"),
    ("${first} ${last}", "Ann Lee"),
    ("${missing}", ""), ("${none}", ""), ("${missing:-dflt}", "dflt"), ("${none:-d}", "d"),
    ("${empty:-d}", ""),
    ("concat(a,b)", "ab"),
    ("concat(${first}, ' ', ${last})", "Ann Lee"),
    ("CONCAT(${first}, null, 1)", "Ann1"),
    ("lower(${first})", "ann"), ("upper(${first})", "ANN"), ("trim('  x ')", "x"),
    ("lower(null)", ""),
    ("coalesce(null, 'd')", "d"),
    ("coalesce(${x}, 'd')", ""),  # ${x} is "" (not None): never falls back
    ("default(${x}, 7)", ""),
    ("default(null, 7)", 7),
    ("len(${first})", 3), ("len(12345)", 5),
    ("int(${price})", 2), ("int('abc')", None), ("float(${price})", 2.5), ("float('x')", None),
    ("str(null)", ""), ("str(12)", "12"), ("bool('yes')", True), ("bool('maybe')", False),
    ("date('2024/01/05')", "2024-01-05"), ("date('05-01-2024')", "2024-01-05"),
    ("date('garbage')", "garbage"),
    ("datetime('2024-01-05 10:11:12')", "2024-01-05T10:11:12"),
    ("nosuch(${first})", "nosuch(Ann)"),
    ("nosuch(x)", "nosuch(x)"),
    ("upper(concat(${first}, '-', ${last}))", "ANN-LEE"),
    ("concat('a,b', 'c')", "a,bc"),
    ("lower(a) + upper(b)", "lower(a) + upper(b)"),
])
def test_expression(expr: object, expected: object) -> None:
    assert evaluate_expression(expr, REC) == expected


def test_env_function(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYCHARTER_T_VAR", "val")
    assert evaluate_expression("env(PYCHARTER_T_VAR)", {}) == "val"
    assert evaluate_expression("env(PYCHARTER_T_NOPE, 'dflt')", {}) == "dflt"


def test_time_and_uuid_functions() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?", evaluate_expression("now()", {}))
    assert evaluate_expression("now('%Y')", {}) == str(datetime.now().year)
    uuid.UUID(evaluate_expression("uuid()", {}))
    assert evaluate_expression("date()", {}) == date.today().isoformat()
    assert evaluate_expression("@now", {}).year == datetime.now().year


def test_add_sees_earlier_entries_and_overwrites() -> None:
    cfg = canon(("add", {"full": "concat(${first}, ' ', ${last})", "shout": "upper(${full})",
                         "first": "X"}))
    [rec] = transform_batch([dict(REC)], cfg).records
    assert rec["full"] == "Ann Lee" and rec["shout"] == "ANN LEE" and rec["first"] == "X"


def test_uuid_differs_per_record() -> None:
    res = transform_batch([{}, {}], canon(("add", {"id": "uuid()"})))
    assert res.records[0]["id"] != res.records[1]["id"]
