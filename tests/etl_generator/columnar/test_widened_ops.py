"""Date/datetime converts and ``add`` expressions on the columnar path: identical output,
results, warnings and dead letters with the fast path off and on."""

from __future__ import annotations

import json
import random
import re
import uuid
from pathlib import Path

import pyarrow as pa
import pytest

from pycharter_gui.etl_generator import create_orchestrator
from pycharter_gui.etl_generator.columnar.expressions import compile_add, uuid4_column

from .conftest import make_pipeline
from .test_equivalence import LOADS, _csv, mixed_data


def dated_data(n: int, seed: int, *, bad_every: int = 0) -> str:
    """Dates in the three accepted formats, datetimes with and without fractions and Z,
    words with non-ASCII case rules (ß, ǅ), blanks."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        y, m, d = rng.randint(1990, 2030), rng.randint(1, 12), rng.randint(1, 28)
        day = rng.choice([f"{y}-{m:02d}-{d:02d}", f"{y}/{m}/{d}", f"{m:02d}/{d:02d}/{y}", ""])
        stamp = rng.choice([f"{y}-{m:02d}-{d:02d}T10:11:{d:02d}", f"{y}-{m:02d}-{d:02d} 23:59:59.5",
                            f"{y}-{m:02d}-{d:02d}T00:00:00.123456Z", ""])
        if bad_every and i % bad_every == 2:
            day, stamp = "2024-02-30", "2024-01-05"  # no such day; a date is not a datetime
        rows.append([i, day, stamp, rng.choice(["straße", "Oslo", " lima ", "ǅemal", "", "PUNE"]),
                     rng.choice(["", str(rng.randint(-9, 9))]), f"{rng.uniform(0, 99):.2f}"])
    return _csv(rows, ["id", "day", "stamp", "city", "qty", "price"])


DATE_TRANSFORMS = {
    "dates": "convert: {day: date, stamp: datetime}\n",
    "timestamp_then_date": "transform:\n  - convert: {stamp: timestamp, id: date}\n"
                           "  - convert: {stamp: date}\n",
    "date_then_text": "transform:\n  - convert: {day: date}\n"
                      "  - add: {label: '${day}/${city:-none}', s: 'str(${day})'}\n",
}

ADD_TRANSFORMS = {
    "interpolation": "add: {k: '${city}-${qty:-none}', p: 'x ${price}', lone: '${id}',"
                     " missing: '${nope}'}\n",
    "string_functions": "add: {u: 'upper(${city})', l: 'lower(${city})', t: 'trim(${city})',"
                        " c: 'concat(${id}, _, ${city}, 1.5)', n: 'len(${city})',"
                        " s: 'str(${qty})', w: upper(word), e: 'upper(trim(${city}))'}\n",
    "arithmetic": "transform:\n  - convert: {qty: int, price: float}\n"
                  "  - add: {a: '${id} * 2', b: '(${price} + 1) / 3', c: '${qty:-0} - ${id}',"
                  " d: '${price} * ${qty}', e: '-${id} + 0.5'}\n",
    "constants": "add: {k: 5, f: 1.5, t: true, z: null, s: ' spaced ', m: '2 * 3',"
                 " env: 'env(PYCHARTER_TEST_NOT_SET, dflt)'}\n",
    "order_matters": "transform:\n  - add: {city: 'upper(${city})', x: 'lower(${city})'}\n"
                     "  - filter: {field: x, operator: ne, value: 'oslo'}\n  - drop: [day]\n",
}


@pytest.mark.parametrize("target", sorted(LOADS))
@pytest.mark.parametrize("transform", sorted(DATE_TRANSFORMS))
async def test_date_converts_identical(both_ways, target: str, transform: str) -> None:
    out = await both_ways(data=dated_data(50, seed=len(transform)), load=LOADS[target],
                          transform=DATE_TRANSFORMS[transform])
    assert out["result"]["success"], out["result"]["error"]
    assert out["fast"] > 0 and out["fallback"] == 0


@pytest.mark.parametrize("target", ["parquet", "jsonl", "sqlite"])
@pytest.mark.parametrize("strict", [False, True])
async def test_bad_dates_fall_back_per_batch(both_ways, target: str, strict: bool) -> None:
    transform = ("strict: true\n" if strict else "") + "convert: {day: date, stamp: datetime}\n"
    out = await both_ways(data=dated_data(56, seed=9, bad_every=20), load=LOADS[target],
                          transform=transform)
    assert out["fallback"] == 3 and out["fast"] == 5  # rows 2, 22, 42: batches 0, 3, 6
    result = out["result"]
    if strict:
        assert result["dead_lettered"] == 3
    else:
        assert result["transformation"]["warnings"] == 6


@pytest.mark.parametrize("target", sorted(LOADS))
@pytest.mark.parametrize("transform", sorted(ADD_TRANSFORMS))
async def test_add_expressions_identical(both_ways, target: str, transform: str) -> None:
    out = await both_ways(data=dated_data(60, seed=len(transform) + 3), load=LOADS[target],
                          transform=ADD_TRANSFORMS[transform])
    assert out["result"]["success"], out["result"]["error"]
    assert out["fast"] > 0


async def test_arithmetic_warnings_fall_back(both_ways) -> None:
    """A non-numeric value warns in the dict path (the field is skipped): that batch falls back."""
    data = _csv([[i, "x" if i == 9 else i] for i in range(20)], ["id", "v"])
    out = await both_ways(data=data, load=LOADS["jsonl"], transform="add: {w: '${v} * 2'}\n")
    assert out["fallback"] == 1 and out["fast"] == 2
    assert out["result"]["transformation"]["warnings"] == 1


async def test_add_of_mixed_data_identical(both_ways) -> None:
    out = await both_ways(data=mixed_data(40, seed=2), load=LOADS["csv"],
                          transform="add: {k: 'upper(${name})', n: '${qty} * ${price}'}\n")
    assert out["fast"] > 0


async def test_now_and_uuid_per_row(tmp_path: Path) -> None:
    """now() is one instant per batch (ISO text, as the dict path gives); uuid() one fresh
    UUID4 per row."""
    folder = make_pipeline(tmp_path / "p", data=_csv([[i] for i in range(20)], ["id"]),
                           transform="add: {at: now(), day: 'now(%Y-%m-%d)', u: uuid(),"
                                     " t: '@now'}\n",
                           load=LOADS["jsonl"])
    (folder / "out").mkdir()
    result = await create_orchestrator(folder, verbose=False).run()
    assert result["success"], result["error"]
    rows = [json.loads(line) for line in (folder / "out" / "items.jsonl").read_text().splitlines()]
    assert len(rows) == 20 and len({r["u"] for r in rows}) == 20
    for row in rows:
        assert uuid.UUID(row["u"]).version == 4 and str(uuid.UUID(row["u"])) == row["u"]
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?", row["at"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", row["day"])


def test_uuid_column_is_uuid4_text() -> None:
    values = uuid4_column(1000).to_pylist()
    assert len(set(values)) == 1000
    assert all(str(uuid.UUID(v)) == v and uuid.UUID(v).version == 4
               and uuid.UUID(v).variant == uuid.RFC_4122 for v in values)


@pytest.mark.parametrize("expr", ["upper(x)", "'${a}'", "concat()", "len(${a})", "3 * 4"])
def test_expressions_match_the_dict_evaluator(expr: str) -> None:
    from pycharter_gui.etl_generator.transformers.expressions import compile_expression

    table = pa.table({"a": ["ß", "aé", "x"]})
    column = compile_add(expr)
    assert column is not None
    expected = [compile_expression(expr)(r) for r in table.to_pylist()]
    assert column(table).to_pylist() == expected


@pytest.mark.parametrize("target", sorted(LOADS))
async def test_mixed_int_and_float_results_identical(both_ways, target: str) -> None:
    """``1e16 * 1`` is an int beyond 2**53, ``2.5 * 1`` a float: such batches take the dict
    path (Parquet cannot even hold both in one type); a JSONata ``$round`` mixes ints and floats
    that stay columnar (test_contract_jsonata)."""
    data = _csv([[i, "1e16" if i % 3 else "2.5"] for i in range(12)], ["id", "x"])
    out = await both_ways(data=data, load=LOADS[target], transform="add: {y: '${x} * 1'}\n")
    assert out["fast"] == 0 and out["fallback"] == 2


def test_mixed_numbers_keep_each_type() -> None:
    from pycharter_gui.etl_generator.columnar.values import column_from_values

    values = [25, 2.5, None, -0.0, 7, 2 ** 53, 1e300]
    column = column_from_values(values)
    assert column is not None and column.to_pylist() == values
    assert [type(v) for v in column.to_pylist()] == [type(v) for v in values]
    assert column_from_values([2 ** 53 + 1, 0.5]) is None
