"""transform_steps: each stage's records in and out, filtered and rejected rows, and totals that
match a dry run of the same records."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from pycharter_gui.etl_generator import create_orchestrator, transform_steps

ORDERS = [
    {"order": "1", "qty": "2", "price": "5", "status": "paid"},
    {"order": "2", "qty": "x", "price": "7", "status": "paid"},      # strict convert rejects it
    {"order": "3", "qty": "1", "price": "4", "status": "void"},      # filtered out
    {"order": "4", "qty": "900", "price": "1", "status": "paid"},    # breaks the contract
    {"order": "5", "qty": "3", "price": "2", "status": "paid"},
]
TRANSFORM = {"transform": {
    "rename": {"qty": "quantity"},
    "convert": {"quantity": "int", "price": "float"},
    "add": {"amount": "${quantity} * ${price}"},
    "filter": {"field": "status", "operator": "eq", "value": "paid"},
}, "jsonata": {"expression": '$merge([$, {"total": amount + 1}])', "mode": "record"},
    "strict": True}
CONTRACT = {"schema": {"type": "object", "properties": {"quantity": {"type": "integer",
                                                                     "maximum": 100}}}}


def test_each_step_has_its_records_in_and_out_with_sample_rows():
    out = transform_steps(ORDERS, TRANSFORM, contract=CONTRACT)
    names = [s.name for s in out.steps]
    assert names == ["rename", "convert", "add", "filter", "jsonata", "contract"]
    rename, convert, add, filt, jsonata, contract = out.steps
    assert rename.rows_in == [0, 1, 2, 3, 4] and rename.rows_out == [0, 1, 2, 3, 4]
    assert "quantity" in rename.records_out[0] and "qty" in rename.records_in[0]
    assert rename.records_out[0]["quantity"] == "2"  # a snapshot: the convert came later
    assert convert.rows_out == [0, 2, 3, 4]
    [rej] = convert.rejected
    assert (rej.index, rej.step, rej.field) == (1, "convert", "quantity")
    assert add.records_out[0]["amount"] == 10
    assert filt.rows_in == [0, 2, 3, 4] and filt.rows_out == [0, 3, 4] and filt.filtered == [2]
    assert jsonata.records_out[0]["total"] == 11 and jsonata.aligned
    [bad] = contract.rejected
    assert bad.index == 3 and bad.step == "validate" and bad.field == "quantity"
    assert contract.rows_out == [0, 4] and out.rows == [0, 4]
    assert [r["order"] for r in out.records] == ["1", "5"]
    assert [s.title for s in out.steps][:2] == ["1 · rename", "2 · convert"]


def test_a_batch_wide_jsonata_stage_is_lined_up_when_it_keeps_one_record_each():
    cfg = {"jsonata": {"expression": '$.{"id": order}', "mode": "batch"}}
    [stage] = transform_steps(ORDERS[:3], cfg).steps
    assert stage.aligned and stage.rows_out == [0, 1, 2]
    [agg] = transform_steps(ORDERS, {"jsonata": {
        "expression": '{"n": $count($)}', "mode": "batch"}}).steps
    assert not agg.aligned and agg.records_out == [{"n": 5}] and agg.rows_out == [None]


def test_an_emptied_batch_still_lists_every_later_step():
    cfg = {"transform": {"filter": {"field": "status", "operator": "eq", "value": "none"}},
           "jsonata": {"expression": '$merge([$, {"n": 1}])', "mode": "record"}}
    out = transform_steps(ORDERS, cfg)
    assert [(s.name, len(s.rows_out)) for s in out.steps] == [("filter", 0), ("jsonata", 0)]
    assert out.filtered == 5 and out.steps[0].filtered == [0, 1, 2, 3, 4]


def test_totals_equal_a_dry_run_of_the_same_records(tmp_path: Path):
    import yaml

    folder = tmp_path / "orders"
    folder.mkdir()
    header = list(ORDERS[0])
    lines = [",".join(header)] + [",".join(r[h] for h in header) for r in ORDERS]
    (folder / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "extract.yaml").write_text("type: file\npath: orders.csv\n", encoding="utf-8")
    (folder / "transform.yaml").write_text(yaml.safe_dump(TRANSFORM), encoding="utf-8")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n",
                                      encoding="utf-8")
    (folder / "schema.yaml").write_text(json.dumps(CONTRACT["schema"]), encoding="utf-8")
    orch = create_orchestrator(str(folder))
    result = asyncio.run(orch.run(dry_run=True))
    sample = [{k: str(v) for k, v in r.items()} for r in ORDERS]
    out = transform_steps(sample, orch.config.transform, contract=orch.config.contract)
    assert result["dead_lettered"] == len(out.rejected) == 2
    assert result["loading"]["total_records"] == len(out.records) == 2
    assert result["transformation"]["filtered"] == out.filtered == 1
