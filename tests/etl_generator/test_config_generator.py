"""Config generation: pycharter's job configs, contract stores, and the YAML trio."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from pycharter_gui.etl_generator.config import load_pipeline_config
from pycharter_gui.etl_generator.config_generator import (
    DirectoryContractStore,
    generate_etl_config,
    generate_etl_config_from_contract,
    generate_etl_config_from_store,
    generate_pipeline_files,
    infer_schema,
)

SCHEMA = {
    "title": "CustomerOrder",
    "type": "object",
    "required": ["orderId", "amount"],
    "properties": {
        "orderId": {"type": "integer"},
        "customerName": {"type": "string", "maxLength": 80},
        "notes": {"type": "string", "maxLength": 2000},
        "amount": {"type": "number"},
        "paid": {"type": "boolean", "default": False},
        "status": {"type": ["string", "null"], "default": "new"},
        "createdAt": {"type": "string", "format": "date-time"},
        "shipDate": {"type": "string", "format": "date"},
        "tags": {"type": "array"},
    },
}


def test_generate_etl_config_shape_and_types(tmp_path: Path) -> None:
    out = tmp_path / "job.yaml"
    cfg = generate_etl_config("CustomerOrder", SCHEMA, output_path=out)
    assert list(cfg) == ["job_name", "execution_date", "enabled", "extraction", "loading",
                         "fields"]
    assert cfg["execution_date"] is None and cfg["enabled"] is True
    assert cfg["extraction"]["api_endpoint"] == "/api/v3/CustomerOrder"
    assert cfg["extraction"]["rate_limit_delay"] == 0.2
    assert cfg["loading"]["target_table"] == "customer_order"
    assert cfg["loading"]["write_method"] == "upsert"
    assert cfg["loading"]["primary_key"] == "order_id"  # first required field holding "id"
    by_name = {f["db_name"]: f for f in cfg["fields"]}
    assert {k: v["type"] for k, v in by_name.items()} == {
        "order_id": "integer", "customer_name": "string", "notes": "text", "amount": "float",
        "paid": "boolean", "status": "string", "created_at": "datetime", "ship_date": "date",
        "tags": "json"}
    assert by_name["order_id"]["api_name"] == "orderId" and by_name["order_id"]["required"]
    assert not by_name["paid"]["required"]
    assert yaml.safe_load(out.read_text()) == cfg


def test_primary_key_prefers_id_and_overrides_win() -> None:
    schema = {"properties": {"id": {"type": "integer"}, "code": {"type": "string"}},
              "required": ["code", "id"]}
    cfg = generate_etl_config("things", schema, loading_config={"write_method": "insert"})
    assert cfg["loading"]["primary_key"] == "id"
    assert cfg["loading"]["write_method"] == "insert"
    none = generate_etl_config("x", {"properties": {"a": {"type": "string"}}})
    assert none["loading"]["primary_key"] is None


def test_from_contract_uses_metadata_hints() -> None:
    contract = {"schema": SCHEMA, "metadata": {
        "source": {"api_endpoint": "/orders", "provider_name": "shop"},
        "target": {"target_table": "orders", "schema_name": "sales"}}}
    cfg = generate_etl_config_from_contract(contract, loading_config={"schema_name": "raw"})
    assert cfg["job_name"] == "customer_order_etl"
    assert cfg["extraction"]["api_endpoint"] == "/orders"
    assert cfg["extraction"]["provider_name"] == "shop"
    assert cfg["loading"]["target_table"] == "orders"
    assert cfg["loading"]["schema_name"] == "raw"  # explicit arguments beat metadata
    with pytest.raises(ValueError, match="no 'schema'"):
        generate_etl_config_from_contract({"metadata": {}})


def test_from_directory_store(tmp_path: Path) -> None:
    (tmp_path / "orders").mkdir()
    (tmp_path / "orders" / "schema.yaml").write_text(yaml.safe_dump(SCHEMA))
    (tmp_path / "orders" / "metadata.yaml").write_text("target: {target_table: orders_v1}\n")
    (tmp_path / "orders" / "2").mkdir()
    (tmp_path / "orders" / "2" / "schema.json").write_text(json.dumps(
        {"properties": {"id": {"type": "integer"}}, "required": ["id"]}))
    store = DirectoryContractStore(tmp_path)
    assert store.list_contracts() == ["orders"]
    cfg = generate_etl_config_from_store("orders", store=store)
    assert cfg["loading"]["target_table"] == "orders_v1" and len(cfg["fields"]) == 9
    v2 = generate_etl_config_from_store("orders", version="2", store=store)
    assert [f["db_name"] for f in v2["fields"]] == ["id"]
    with pytest.raises(KeyError, match=r"Contract 'nope' not found.*known: orders"):
        generate_etl_config_from_store("nope", store=store)


SOURCES = [
    {"type": "file", "location": "data/in.csv"},
    {"type": "database", "url": "sqlite:///data/src.db", "table": "orders"},
    {"type": "http", "location": "https://api.example.com/v1/orders",
     "response_path": "data"},
    {"type": "s3", "bucket": "raw", "location": "incoming/", "format": "jsonl",
     "endpoint_url": "http://127.0.0.1:9000"},
]
DESTINATIONS = [
    {"type": "file", "format": "parquet"},
    {"type": "database", "url": "sqlite:///out/target.db", "write_method": "upsert",
     "primary_key": "orderId"},
    {"type": "cloud_storage", "provider": "gcs", "bucket": "curated"},
]


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s["type"])
@pytest.mark.parametrize("destination", DESTINATIONS, ids=lambda d: d["type"])
@pytest.mark.parametrize("with_schema", [False, True])
def test_generated_trio_loads_cleanly(tmp_path: Path, source: dict[str, Any],
                                      destination: dict[str, Any], with_schema: bool) -> None:
    files = generate_pipeline_files(source, destination, tmp_path / "pipe",
                                    schema=SCHEMA if with_schema else None)
    assert set(files) == {"extract.yaml", "transform.yaml", "load.yaml"}
    for name, text in files.items():
        assert text.startswith("# Generated by pycharter-gui")
        assert (tmp_path / "pipe" / name).read_text() == text
        assert isinstance(yaml.safe_load(text), dict)
    cfg = load_pipeline_config(tmp_path / "pipe")
    assert cfg.extract["type"] in ("file", "database", "http", "cloud_storage")
    assert cfg.load["type"] == _dest_type(destination)
    ops = [op["op"] for op in cfg.transform["ops"]]
    assert ops == (["convert", "defaults", "select"] if with_schema else [])
    with pytest.raises(FileExistsError, match=r"extract\.yaml"):
        generate_pipeline_files(source, destination, tmp_path / "pipe")


def _dest_type(dest: dict[str, Any]) -> str:
    return dest["type"]


def test_round_trip_runs_on_a_sample_matching_the_contract(tmp_path: Path) -> None:
    from pycharter_gui.etl_generator import ETLOrchestrator

    folder = tmp_path / "pipe"
    (folder / "data").mkdir(parents=True)
    with open(folder / "data" / "in.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["orderId", "customerName", "amount", "paid", "createdAt", "extra"])
        w.writerow(["1", "Ann", "10.5", "true", "2024-01-02T03:04:05", "dropped"])
        w.writerow(["2", "Bob", "7", "", "2024-02-03T00:00:00", "dropped"])
    generate_pipeline_files({"type": "file", "location": "data/in.csv"},
                            {"type": "file", "location": "out/orders.jsonl", "format": "jsonl"},
                            folder, schema=SCHEMA)
    result = _run(ETLOrchestrator(contract_dir=str(folder)))
    assert result["success"], result["error"]
    rows = [json.loads(line) for line in (folder / "out" / "orders.jsonl").read_text()
            .splitlines()]
    assert [r["orderId"] for r in rows] == [1, 2]
    assert rows[0]["amount"] == 10.5 and rows[1]["amount"] == 7.0
    assert rows[1]["paid"] is False and rows[1]["status"] == "new"  # schema defaults
    assert "extra" not in rows[0]  # select keeps the contract's properties only


def _run(orchestrator: Any) -> dict[str, Any]:
    import asyncio

    return asyncio.run(orchestrator.run())


def test_infer_schema_proposes_types() -> None:
    sample = [{"id": "1", "price": "2.5", "ok": "true", "day": "2024-01-02", "n": 3,
               "note": "x", "when": "2024-01-02T10:00:00"},
              {"id": "2", "price": "3", "ok": "false", "day": "2024-01-03", "n": 4.5,
               "note": None, "when": "2024-01-03T11:00:00"}]
    schema = infer_schema(sample, title="Sample")
    props = schema["properties"]
    assert props["id"] == {"type": "integer"} and props["price"] == {"type": "number"}
    assert props["ok"] == {"type": "boolean"} and props["n"] == {"type": "number"}
    assert props["day"] == {"type": "string", "format": "date"}
    assert props["when"] == {"type": "string", "format": "date-time"}
    assert "note" not in schema["required"] and "id" in schema["required"]
    transform = yaml.safe_load(generate_pipeline_files(
        {"type": "file"}, {"type": "file"}, schema=schema)["transform.yaml"])["transform"]
    assert transform["convert"]["id"] == "int" and transform["convert"]["day"] == "date"
