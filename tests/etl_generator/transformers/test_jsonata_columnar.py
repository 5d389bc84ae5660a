"""Differential tests: JSONata record mode evaluated column by column gives exactly what the
jsonata-python interpreter gives record by record — results, filtered records and dead letters."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from pycharter_gui.etl_generator.transformers.jsonata_stage import JsonataStage
from pycharter_gui.etl_generator.transformers.results import TransformResult

FIELDS = ["a", "b", "s", "t", "missing", "o.x", "`Order Date`"]
VALUES: list[Any] = [
    0, 1, -3, 7, 2 ** 60 + 1, 0.5, 2.675, -1.25, 3.0, 1e300, float("nan"), True, False, None,
    "", "abc", "5", "1e3", "0x1F", " 7 ", "é✓", "ABC def",
]
NUMBERS = ["0", "2", "-1", "2.5", "1e3", "0.1"]
STRINGS = ['"x"', '"5"', '""', '"é"']


def _expr(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(FIELDS + NUMBERS + STRINGS + ["true", "false"])
    kind = rng.randrange(6)
    sub = lambda: _expr(rng, depth - 1)  # noqa: E731
    if kind == 0:
        op = rng.choice(["+", "-", "*", "/", "%", "<", "<=", ">", ">=", "=", "!=", "&",
                         "and", "or"])
        return f"({sub()} {op} {sub()})"
    if kind == 1:
        return f"-{sub()}"
    if kind == 2:
        return f"({sub()} ? {sub()} : {sub()})" if rng.random() < 0.7 else f"({sub()} ? {sub()})"
    name = rng.choice(["round", "string", "number", "uppercase", "lowercase", "substring",
                       "contains"])
    args = {"round": [sub(), rng.choice(["0", "2", "-1"])][:rng.randint(1, 2)],
            "substring": [sub(), rng.choice(NUMBERS), rng.choice(NUMBERS)][:rng.randint(2, 3)],
            "contains": [sub(), rng.choice(STRINGS)]}.get(name, [sub()])
    return f"${name}({', '.join(args)})"


def _top(rng: random.Random) -> str:
    fields = ", ".join(f'"{k}": {_expr(rng, 3)}' for k in rng.sample(["a", "total", "k", "z"],
                                                                       rng.randint(1, 3)))
    form = rng.randrange(3)
    if form == 0:
        return f"$merge([$, {{{fields}}}])"
    if form == 1:
        return f"{{{fields}}}"
    return _expr(rng, 3)


def _record(rng: random.Random) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for name in ("a", "b", "s", "t", "Order Date"):
        if rng.random() < 0.9:
            record[name] = rng.choice(VALUES)
    if rng.random() < 0.3:
        record["o"] = rng.choice([{"x": rng.choice(VALUES)}, [1, 2], 5])
    if rng.random() < 0.05:
        record["when"] = date(2024, 1, 2)
    return record


def _run(stage: JsonataStage, records: list[dict[str, Any]]) -> Any:
    result = TransformResult()
    out, idx = stage.apply([dict(r) for r in records], list(range(len(records))), result)
    rejected = [(r.index, r.step, r.reason, r.message, r.error_type) for r in result.rejected]
    return repr((out, idx, rejected, result.filtered, result.added))


def _same(expression: str, records: list[dict[str, Any]]) -> bool:
    """Assert identical outcomes; True when the columnar translation was used."""
    fast = JsonataStage(expression, "record")
    slow = JsonataStage(expression, "record")
    slow._columnar = None
    assert _run(fast, records) == _run(slow, records), expression
    return fast._columnar is not None


@pytest.mark.parametrize("seed", range(40))
def test_generated_expressions_match_the_interpreter(seed: int) -> None:
    rng = random.Random(seed)
    records = [_record(rng) for _ in range(60)]
    assert sum(_same(_top(rng), records) for _ in range(8)) >= 6


@pytest.mark.parametrize("expression", [
    '$merge([$, {"total": $round(amount * Qty, 2)}])',
    '$merge([$, {"total": $round(amount * Qty, 2), "big": amount > 100 ? "yes" : "no"}])',
    '{"id": id, "name": $uppercase(name), "n": $number(qty), "s": $string(amount)}',
    '$merge([$, {"code": $substring($lowercase(name), 0, 3), "has": $contains(name, "a")}])',
    'amount * Qty',
    'amount > 100 ? $ : undefined_field',
])
def test_analyst_expressions_are_translated_and_exact(expression: str) -> None:
    rng = random.Random(5)
    records = [{"id": i, "name": rng.choice(["Ann", "bob", "", "Éva"]),
                "amount": rng.choice([1.5, 2.675, 100, 250.25, None, "x", 1e308]),
                "Qty": rng.choice([1, 3, 0, -2, True, "4"]), "qty": rng.choice(["7", "1e2", "z"])}
               for i in range(200)]
    translated = _same(expression, records)
    assert translated == (expression != 'amount > 100 ? $ : undefined_field')


@pytest.mark.parametrize("expression", [
    "$sum(a)", "a[0]", "$.a", '$merge([$, {"k": {"n": a}}])', "$length(s)", "a ~> $string()",
    '$contains(s, /ab/)', "null", '{"k": a, "k": b}',
])
def test_other_expressions_use_the_interpreter(expression: str) -> None:
    rng = random.Random(2)
    records = [_record(rng) for _ in range(30)]
    assert not _same(expression, records)


@pytest.mark.parametrize("digits", [0, 1, 2, 3, 6])
def test_vectorised_round_matches_the_library(digits: int) -> None:
    """``$round(x, n)`` by numpy equals jsonata-python's Decimal rounding, halves included."""
    from jsonata.functions import Functions

    from pycharter_gui.etl_generator.transformers.jsonata_columnar import (
        _as_call_result,
        _round_column,
    )

    rng = random.Random(digits)
    values: list[Any] = [2.675, 0.125, 0.375, -2.5, 2.5, 1.005, 1e15 + 0.5, -0.001, 0, 7, 2 ** 52]
    values += [round(rng.uniform(-1e4, 1e4), rng.randint(0, 8)) for _ in range(3000)]
    values += [rng.randint(1, 999) / 100 * rng.randint(1, 20) for _ in range(3000)]
    values += [(rng.randint(-10 ** 6, 10 ** 6) + 0.5) / 10 ** digits for _ in range(1000)]
    expected = _as_call_result([Functions._call(Functions.round, 2, [v, digits]) for v in values])
    assert _round_column(values, digits) == expected


@pytest.mark.parametrize("seed", range(12))
def test_table_evaluation_matches_the_record_path(seed: int) -> None:
    """compile_table gives the fields the record path merges into every record, or None when
    some record needs the interpreter."""
    import jsonata
    import pyarrow as pa

    from pycharter_gui.etl_generator.transformers.jsonata_columnar import (
        UNDEFINED,
        compile_columnar,
        compile_table,
    )

    rng = random.Random(seed)
    plain = [v for v in VALUES if not (isinstance(v, float) and v != v)]
    columns = {name: [rng.choice(plain) for _ in range(40)] for name in ("a", "b", "s")}
    columns["n"] = [rng.choice([1.5, 2.675, 3, None]) for _ in range(40)]
    for name in ("a", "b", "s"):  # one Python type per column, as canonical tables hold
        kinds = {type(v) for v in columns[name]} - {type(None)}
        if len(kinds) > 1:
            columns[name] = [v if type(v) is type(columns[name][0]) else None
                             for v in columns[name]]
    table = pa.table({k: pa.array(v) for k, v in columns.items()})
    records = table.to_pylist()
    for _ in range(10):
        fields = ", ".join(f'"{k}": {_expr(rng, 2).replace("t", "n")}'
                           for k in rng.sample(["a", "total", "k"], rng.randint(1, 2)))
        expression = jsonata.Jsonata(f"$merge([$, {{{fields}}}])")
        by_table = compile_table(expression)
        by_record = compile_columnar(expression)
        if by_table is None:
            assert by_record is None
            continue
        merged = by_table(table)
        expected = by_record(records)
        if merged is None:
            continue
        assert UNDEFINED not in expected
        got = [{**r, **dict(zip([k for k, _ in merged], row, strict=True))}
               for r, row in zip(records, zip(*[v for _, v in merged], strict=True), strict=True)]
        assert repr(got) == repr(expected)
