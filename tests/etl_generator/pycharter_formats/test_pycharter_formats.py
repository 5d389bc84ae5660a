"""Every pipeline format pycharter published (issue 18), from a corpus in those shapes: each
pipeline validates, dry-runs and runs against local servers, or is rejected naming its format
and what is missing."""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator import ConfigError, ETLOrchestrator, validate_pipeline
from pycharter_gui.etl_generator.config.dialects import detect
from pycharter_gui.etl_generator.database.watermark import list_watermarks, reset_watermarks

RUNNABLE = ["sections_jsonata", "sections_sqlite_upsert", "steps_file", "steps_in_extract",
            "v2_file", "v2_sqlite_upsert"]
REJECTED = {
    "rejected_do_nothing": "not supported: on_conflict action do_nothing",
    "rejected_v2_store": "not supported: contracts from a contract store",
    "rejected_v2_join": "not supported: a join step ('both')",
    "rejected_streaming": "this is a pycharter v2 `kind: StreamingWorker` file",
    "rejected_required_var": "CORPUS_API_KEY is required",
}
PG_URL = os.environ.get("PYCHARTER_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _errors(folder: Path) -> list[Any]:
    return [p for p in validate_pipeline(folder) if p.severity == "error"]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def _run(folder: Path, **kw: Any) -> dict[str, Any]:
    return await ETLOrchestrator(contract_dir=folder, verbose=False).run(**kw)


@pytest.mark.parametrize("name", RUNNABLE)
async def test_runnable_formats_validate_and_dry_run_writes_nothing(corpus, name: str) -> None:
    folder = corpus(name)
    assert _errors(folder) == []
    before = sorted(p.name for p in folder.rglob("*"))
    result = await _run(folder, dry_run=True)
    assert result["success"], result["error"]
    assert result["extraction"]["total_records"] > 0
    assert sorted(p.name for p in folder.rglob("*")) == before


@pytest.mark.parametrize(("name", "says"), sorted(REJECTED.items()))
async def test_unsupported_formats_say_what_by_name(corpus, name: str, says: str) -> None:
    folder = corpus(name)
    errors = _errors(folder)
    text = "\n".join(f"{p.message} {p.hint or ''}" for p in errors)
    assert says in text
    assert "did you mean" not in text.lower() and "unknown key" not in text.lower()
    assert all(Path(p.file).name == "pipeline.yaml" for p in errors)
    with pytest.raises(ConfigError, match=says.split(":")[0]):
        await _run(folder)


def test_problems_point_into_the_real_file(corpus) -> None:
    folder = corpus("rejected_v2_store")
    (problem,) = _errors(folder)
    lines = (folder / "pipeline.yaml").read_text().splitlines()
    assert "ref: {type: store" in lines[problem.line - 1]
    assert problem.key == "spec.steps.0.contract.ref"
    text = (folder / "pipeline.yaml").read_text().replace("csv}", "csv, sheet: 2}")
    (folder / "pipeline.yaml").write_text(text.replace(
        "ref: {type: store, name: order, version: \"2.0.0\"}", "ref: {type: file, path: c.json}"))
    (folder / "c.json").write_text('{"type": "object"}')
    lines = (folder / "pipeline.yaml").read_text().splitlines()
    errors = _errors(folder)
    assert any("sheet" in p.message and "sheet: 2" in lines[p.line - 1] for p in errors), errors


async def test_sections_pipeline_with_a_jsonata_step_in_the_list(corpus) -> None:
    folder = corpus("sections_jsonata")
    result = await _run(folder)
    assert result["status"] == "completed"
    assert _jsonl(folder / "out/users.jsonl") == [
        {"user_id": 1, "name": "ANN LEE", "score_pct": 50, "source": "corpus"},
        {"user_id": 2, "name": "BO CHAN", "score_pct": 75, "source": "corpus"},
        {"user_id": 3, "name": "CY DORN", "score_pct": 100, "source": "corpus"}]
    assert result["lineage"]["namespace"] == "corpus-tests"
    assert result["lineage"]["outputs"][0]["name"].endswith("out/users.jsonl")


async def test_on_conflict_update_upserts_into_sqlite(corpus) -> None:
    folder = corpus("sections_sqlite_upsert")
    result = await _run(folder)
    assert result["success"], result["error"]
    rows = sqlite3.connect(folder / "stock.db").execute(
        "select id, name, qty from stock order by id").fetchall()
    assert rows == [(1, "apple", 3), (2, "pear", 7)]
    assert "lineage" not in result  # lineage: {enabled: false}


async def test_http_cursor_field_spelling_pages_through(corpus, api, monkeypatch) -> None:
    api.ticks = [{"id": i, "ts": f"t{i}"} for i in range(5)]
    monkeypatch.setenv("TICKS_URL", f"{api.url}/ticks")
    folder = corpus("sections_http_cursor")
    result = await _run(folder)
    assert result["success"], result["error"]
    assert [r["timestamp"] for r in _jsonl(folder / "out/ticks.jsonl")] == [
        "t0", "t1", "t2", "t3", "t4"]


async def test_steps_contract_quarantines_and_dead_letters_panel_sees_it(corpus) -> None:
    folder = corpus("steps_file")
    result = await _run(folder)
    assert result["status"] == "completed_with_dead_letters"
    assert [r["order_id"] for r in _jsonl(folder / "out/orders.jsonl")] == [1, 3]
    assert result["dlq_by_reason"] == {"schema_mismatch": 1}
    dead = _jsonl(folder / ".pycharter/dead_letters.jsonl")
    assert [d["record_data"]["amount"] for d in dead] == ["oops"]


async def test_steps_saved_as_extract_yaml(corpus) -> None:
    folder = corpus("steps_in_extract")
    assert detect(folder) == ("steps", folder / "extract.yaml")
    result = await _run(folder)
    assert result["success"], result["error"]
    assert (folder / "out/cities.csv").read_text().splitlines()[1:] == ["1,Oslo", "2,Lima"]


async def test_v2_manifest_runs_with_spec_variables_and_env_wins(corpus, monkeypatch) -> None:
    folder = corpus("v2_file")
    assert detect(folder)[0] == "manifest"
    monkeypatch.setenv("OUTPUT_PATH", "out/from_env.jsonl")
    result = await _run(folder)
    assert result["success"], result["error"]
    assert _jsonl(folder / "out/from_env.jsonl") == [{"price": 3.5, "product_sku": "A1"},
                                                      {"price": 4.0, "product_sku": "B2"}]
    assert result["lineage"]["job"] == "v2_file"


async def test_v2_mode_and_match_on_upsert(corpus) -> None:
    folder = corpus("v2_sqlite_upsert")
    result = await _run(folder)
    assert result["success"], result["error"]
    rows = sqlite3.connect(folder / "users.db").execute(
        "select user_id, name from users order by user_id").fetchall()
    assert rows == [(1, "Ann B"), (2, "Bo")]


def test_variables_yaml_required_message_and_defaults(corpus, monkeypatch) -> None:
    folder = corpus("incremental_db")
    (folder / "variables.yaml").write_text("# nothing set\n")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    problem = _errors(folder)[0]
    assert problem.message == "DATABASE_URL is required"
    assert Path(problem.file).name == "extract.yaml" and problem.line == 8


# -- incremental extraction ---------------------------------------------------------------

def _events(url: str, table: str, rows: list[tuple[int, str]]) -> None:
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"create table if not exists {table} "
                             "(id integer primary key, name text, updated_at timestamp)")
        for i, at in rows:
            conn.exec_driver_sql(f"insert into {table} values ({i}, 'e{i}', '{at}')")
    engine.dispose()


def _pg_or_skip() -> str:
    engine = sa.create_engine(PG_URL, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("select 1")
    except Exception as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL at {PG_URL} is not reachable: {exc}")
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable")
    finally:
        engine.dispose()
    return PG_URL


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_incremental_database_reads_only_new_rows(corpus, monkeypatch, backend) -> None:
    folder = corpus("incremental_db")
    table = f"ev_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("EVENTS_TABLE", table)
    url = f"sqlite:///{folder / 'events.db'}"
    if backend == "postgresql":
        url = _pg_or_skip()
        monkeypatch.setenv("DATABASE_URL", url)  # the environment beats variables.yaml
    _events(url, table, [(1, "2024-03-01 09:00:00"), (2, "2024-03-01 10:00:00")])
    try:
        dry = await _run(folder, dry_run=True)
        assert dry["extraction"]["total_records"] == 2 and list_watermarks(folder) == {}
        first = await _run(folder)
        assert first["extraction"]["total_records"] == 2
        _events(url, table, [(3, "2024-03-01 11:00:00")])
        second = await _run(folder)
        assert second["extraction"]["total_records"] == 1
        assert [r["id"] for r in _jsonl(folder / "out/events.jsonl")] == [1, 2, 3]
        (mark,) = list_watermarks(folder).values()
        assert str(mark["value"]).startswith("2024-03-01") and mark["column"] == "updated_at"
        assert reset_watermarks(folder) == 1
        assert (await _run(folder))["extraction"]["total_records"] == 3
    finally:
        if backend == "postgresql":
            engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
            with engine.begin() as conn:
                conn.exec_driver_sql(f"drop table if exists {table}")
            engine.dispose()


async def test_incremental_http_sends_the_watermark(corpus, api, monkeypatch) -> None:
    api.users = [{"id": 1, "updated_at": "2024-03-01T09:00:00Z"},
                 {"id": 2, "updated_at": "2024-03-01T10:00:00Z"}]
    monkeypatch.setenv("USERS_URL", f"{api.url}/users")
    folder = corpus("incremental_http")
    assert (await _run(folder, dry_run=True))["extraction"]["total_records"] == 2
    assert (await _run(folder))["extraction"]["total_records"] == 2
    api.users.append({"id": 3, "updated_at": "2024-03-01T11:00:00Z"})
    second = await _run(folder)
    assert second["extraction"]["total_records"] == 1
    assert [q["updated_since"] for q in api.queries] == [
        "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2024-03-01T10:00:00Z"]
    assert [r["id"] for r in _jsonl(folder / "out/users.jsonl")] == [1, 2, 3]


def test_watermark_without_incremental_is_an_error(corpus) -> None:
    folder = corpus("incremental_http")
    text = (folder / "pipeline.yaml").read_text()
    (folder / "pipeline.yaml").write_text(text.split("  incremental:")[0] + text.split(
        'initial_value: "1970-01-01T00:00:00Z"\n')[1])
    (problem,) = _errors(folder)
    assert "uses ${__watermark__} but incremental extraction is off" in problem.message
