"""``columnar_plan``: a plan only when every stage has an exact column-wise equivalent."""

from __future__ import annotations

from pathlib import Path

import pytest

from pycharter_gui.etl_generator.columnar import columnar_plan
from pycharter_gui.etl_generator.config import load_pipeline_config

BASE_TRANSFORM = ("rename: {a: b}\nconvert: {b: int, c: float, d: str, e: boolean}\n"
                  "add: {k: const, n: 3}\ndrop: [x]\nselect: [b, c, d, e, k, n]\n")
PARQUET = "path: out/o.parquet\nformat: parquet\n"
SQLITE = ("type: database\ndatabase:\n  url: sqlite:///out/t.db\ntable: t\n"
          "write_method: insert\n")


def _config(folder: Path, *, extract: str = "path: in.csv\n", transform: str = BASE_TRANSFORM,
            load: str = PARQUET, contract: str | None = None, data_name: str = "in.csv"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / data_name).write_text("a,c\n1,2\n")
    (folder / "extract.yaml").write_text(extract)
    (folder / "transform.yaml").write_text(transform)
    (folder / "load.yaml").write_text(load)
    if contract is not None:
        (folder / "contract.yaml").write_text(contract)
    return load_pipeline_config(contract_dir=folder)


def test_simple_pipeline_gets_a_plan(tmp_path: Path) -> None:
    plan = columnar_plan(_config(tmp_path / "p"))
    assert plan is not None
    assert [op.kind for op in plan.ops] == ["rename", "convert", "add", "select", "drop"]
    assert plan.source_format == "csv" and plan.target == "file"


@pytest.mark.parametrize("extract,name", [
    ("path: in.tsv\n", "in.tsv"),
    ("path: in.parquet\n", "in.parquet"),
    ("path: 'data*.csv'\n", "data1.csv"),
    ("path: in.txt\nformat: csv\n", "in.txt"),
])
def test_sources_that_qualify(tmp_path: Path, extract: str, name: str) -> None:
    assert columnar_plan(_config(tmp_path / "p", extract=extract, data_name=name)) is not None


def test_list_form_and_sqlite_insert_qualify(tmp_path: Path) -> None:
    transform = "transform:\n  - rename: {a: b}\n  - add: {k: 1}\n  - drop: [c]\n"
    plan = columnar_plan(_config(tmp_path / "p", transform=transform, load=SQLITE))
    assert plan is not None and plan.target == "database"


@pytest.mark.parametrize("extract,name", [
    ("path: in.jsonl\n", "in.jsonl"),
    ("path: in.json\n", "in.json"),
    ("path: 'data/*'\n", "in.csv"),
])
def test_sources_that_disqualify(tmp_path: Path, extract: str, name: str) -> None:
    assert columnar_plan(_config(tmp_path / "p", extract=extract, data_name=name)) is None


@pytest.mark.parametrize("transform", [
    "jsonata: '$'\n",
    "custom_function:\n  module: m\n  function: f\n",
    "defaults: {a: '@now'}\n",
    "add: {k: 'coalesce(${a}, 1)'}\n",
    "add: {k: 'upper(${a}, 2)'}\n",
    "add: {k: 'int(${a})'}\n",
    "add: {k: [1, 2]}\n",
    "add: {k: 99999999999999999999}\n",
    "type: {a: int}\n",
    "fill_null: {a: {default: 0}}\n",
    "flatten: [a]\n",
])
def test_transforms_that_disqualify(tmp_path: Path, transform: str) -> None:
    assert columnar_plan(_config(tmp_path / "p", transform=transform)) is None, transform


@pytest.mark.parametrize("transform", [
    "convert: {a: datetime, b: date, c: timestamp}\n",
    "add: {k: '${a}', n: now(), u: uuid(), x: '${a} * 2', c: 'concat(${a}, -, x)'}\n",
    "add: {k: 'upper(${a})', l: 'lower(trim(${b}))', m: 'len(${a})', t: '@now'}\n",
])
def test_widened_transforms_qualify(tmp_path: Path, transform: str) -> None:
    assert columnar_plan(_config(tmp_path / "p", transform=transform)) is not None, transform


@pytest.mark.parametrize("load", [
    SQLITE.replace("insert", "upsert") + "primary_key: [a]\n",
    "type: database\ndatabase:\n  url: postgresql://u@127.0.0.1/db\ntable: t\n",
])
def test_targets_that_disqualify(tmp_path: Path, load: str) -> None:
    assert columnar_plan(_config(tmp_path / "p", load=load)) is None


@pytest.mark.parametrize("contract,by_columns", [
    ({"schema": {"type": "object", "properties": {"a": {"type": "integer", "minimum": 0}}}}, True),
    ({"schema": {"properties": {"a": {"anyOf": [{"type": "string"}]}}}}, False),
    ({"schema": {"type": "object"}, "coercion_rules": {"a": "int"}}, False),
    ({"validation_rules": {"a": {"min": 1}}}, False),
])
def test_contracts_checked_by_column(contract: dict, by_columns: bool) -> None:
    """A contract leaves the plan alone; run_columnar takes the columnar path only when the
    validator can check an Arrow table (a schema screened column by column, nothing else)."""
    from pycharter_gui.etl_generator.transformers.contract import ContractValidator

    assert ContractValidator(contract).by_columns is by_columns


def test_environment_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _config(tmp_path / "p")
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "0")
    assert columnar_plan(config) is None
    monkeypatch.setenv("PYCHARTER_COLUMNAR", "1")
    assert columnar_plan(config) is not None
