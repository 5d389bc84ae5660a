"""A database given as separate fields (driver, host, port, user, password, name)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pycharter_gui.etl_generator import ETLOrchestrator
from pycharter_gui.etl_generator.config import load_pipeline_config, normalize_extract


def test_separate_fields_build_the_url_with_an_escaped_password() -> None:
    cfg = normalize_extract({"type": "database", "table": "t", "database": {
        "driver": "postgresql+psycopg", "host": "db.example", "port": 5433,
        "user": "ana", "password": "p@ss:word", "name": "sales"}})
    assert cfg["url"] == "postgresql+psycopg://ana:p%40ss%3Aword@db.example:5433/sales"


def test_password_from_a_variable_never_shows_in_messages(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "s3cr3t-value")
    (tmp_path / "extract.yaml").write_text(
        "type: database\ntable: t\ndatabase:\n  driver: postgresql+psycopg\n  host: db.example\n"
        "  user: ana\n  password: ${DB_PASSWORD}\n  name: sales\n")
    (tmp_path / "load.yaml").write_text("path: out.json\n")
    config = load_pipeline_config(contract_dir=tmp_path)
    assert "s3cr3t-value" in config.extract["url"]
    assert config.mask(f"could not connect to {config.extract['url']}").count("s3cr3t-value") == 0
    assert "s3cr3t-value" not in repr(config)


async def test_sqlite_by_fields_runs(tmp_path: Path) -> None:
    db = tmp_path / "src.db"
    with sqlite3.connect(db) as con:
        con.execute("CREATE TABLE t (id INTEGER)")
        con.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
    (tmp_path / "extract.yaml").write_text(f"type: database\ntable: t\ndatabase:\n  driver: sqlite\n  name: {db}\n")
    (tmp_path / "load.yaml").write_text("path: out.jsonl\nformat: jsonl\n")
    result = await ETLOrchestrator(contract_dir=tmp_path, verbose=False).run()
    assert result["success"], result["error"]
    assert result["loading"]["total_records"] == 2
