"""Analyst pipelines on the columnar path: contract checked by column and JSONata
``$merge([$, {...}])`` per batch, with identical output, counts and dead letters both ways."""

from __future__ import annotations

import random

import pytest

from .test_equivalence import LOADS, _csv

SCHEMA = """type: object
required: [id, customer, amount, Qty]
properties:
  id: {type: integer, minimum: 0}
  customer: {type: string, minLength: 2, maxLength: 9}
  amount: {type: number, minimum: 0, exclusiveMaximum: 400}
  Qty: {type: integer, minimum: 1}
  total: {type: number, minimum: 0}
  Region: {type: string, pattern: '^[A-Z]'}
"""

ANALYST = """strict: true
transform:
  - rename: {city: Region, price: amount, qty: Qty}
  - convert: {amount: float, Qty: int}
  - add: {loaded: 'str(${id})', region_code: 'upper(${Region})'}
  - filter: {field: Qty, operator: gt, value: 1}
jsonata:
  mode: record
  expression: '$merge([$, {"total": $round(amount * Qty, 2), "big": amount > 100}])'
"""


def analyst_data(n: int, seed: int, *, bad: bool = True) -> str:
    """Rows some of which break the contract (short names, negative or huge amounts, lower-case
    regions) and, with ``bad``, a JSONata null (a blank amount) in one batch."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        amount = f"{rng.uniform(-5, 420):.2f}" if i % 11 else "2.675"
        if bad and i == 17:
            amount = ""
        rows.append([i, rng.choice(["ab", "x", "customer1", "customer10", "Éva"]),
                     rng.choice(["Paris", "oslo", "Lima", "Pune"]),
                     5 if i == 17 else rng.randint(0, 20), amount,
                     f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"])
    return _csv(rows, ["id", "customer", "city", "qty", "price", "created"])


@pytest.mark.parametrize("target", sorted(LOADS))
async def test_analyst_pipeline_identical(both_ways, target: str) -> None:
    out = await both_ways(data=analyst_data(80, seed=1), transform=ANALYST, load=LOADS[target],
                          extra={"schema.yaml": SCHEMA},
                          extract="path: in.csv\nbatch_size: 10\n")
    result = out["result"]
    assert result["dead_lettered"] > 0
    assert set(result["dlq_by_reason"]) == {"validation_error", "transformation_error"}
    assert out["fast"] >= 6 and out["fallback"] >= 1  # row 17's null amount: JSONata errs


@pytest.mark.parametrize("target", ["parquet", "sqlite"])
async def test_contract_only_identical(both_ways, target: str) -> None:
    out = await both_ways(data=analyst_data(50, seed=2, bad=False), load=LOADS[target],
                          transform="rename: {city: Region, price: amount, qty: Qty}\n"
                                    "convert: {created: date}\n",
                          extra={"schema.yaml": SCHEMA})
    assert out["fast"] > 0 and out["result"]["dead_lettered"] > 0


async def test_every_row_invalid_falls_back(both_ways) -> None:
    data = _csv([[i, "x"] for i in range(14)], ["id", "customer"])
    out = await both_ways(data=data, load=LOADS["jsonl"], transform="add: {k: 1}\n",
                          extra={"schema.yaml": "required: [id, customer]\nproperties:\n"
                                                "  customer: {minLength: 2}\n"})
    assert out["fast"] == 0 and out["result"]["dead_lettered"] == 14


async def test_coercion_rules_take_the_dict_path(both_ways) -> None:
    data = _csv([[i, str(i)] for i in range(9)], ["id", "n"])
    out = await both_ways(data=data, load=LOADS["jsonl"], transform="add: {k: 1}\n",
                          extra={"schema.yaml": "properties:\n  n: {type: integer}\n"
                                                "coercion_rules: {n: int}\n"})
    assert not out["used"] or out["fast"] == 0
