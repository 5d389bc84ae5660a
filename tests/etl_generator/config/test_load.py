"""Load normalisation: destination spellings, write methods, the dead-letter queue."""

from __future__ import annotations

import pytest

from pycharter_gui.etl_generator.config import normalize_load
from pycharter_gui.etl_generator.errors import ConfigError

BASE = "/pipes/p"


def norm(raw):
    return normalize_load(raw, base_dir=BASE)


def problems(raw):
    with pytest.raises(ConfigError) as err:
        normalize_load(raw, base_dir=BASE)
    return err.value.problems


@pytest.mark.parametrize("raw", [
    {"type": "file", "path": "out/o.csv"},
    {"destination_type": "file", "file_path": "out/o.csv"},
    {"file_path": "out/o.csv"},
])
def test_file_spellings(raw):
    cfg = norm(raw)
    assert cfg["type"] == "file" and cfg["path"] == "/pipes/p/out/o.csv"
    assert cfg["format"] == "csv" and cfg["write_mode"] == "overwrite"
    assert norm(cfg) is cfg


def test_file_format_default_json():
    assert norm({"path": "out/data"})["format"] == "json"
    assert norm({"path": "o.x", "format": "NDJSON"})["format"] == "jsonl"


@pytest.mark.parametrize("type_name", ["sqlite", "postgres", "postgresql", "database", None])
def test_database_type_spellings(type_name):
    raw = {"table": "t", "database": {"url": "sqlite:///data/x.db"}}
    if type_name:
        raw["type"] = type_name
    if type_name in ("postgres", "postgresql"):
        raw["database"] = {"url": "postgresql://h/db"}
    cfg = norm(raw)
    assert cfg["type"] == "database" and cfg["write_method"] == "insert"
    assert cfg["url"] in ("sqlite:////pipes/p/data/x.db", "postgresql://h/db")


@pytest.mark.parametrize("raw", [
    {"type": "sqlite", "path": "data/x.db", "table": "t"},
    {"target_table": "t", "connection_string": "sqlite:///data/x.db"},
    {"destination_type": "database", "target_table": "t",
     "database": {"url": "sqlite+pysqlite:///data/x.db"}},
])
def test_sqlite_spellings(raw):
    cfg = norm(raw)
    assert cfg["table"] == "t"
    assert cfg["url"].endswith(":////pipes/p/data/x.db")


def test_schema_alias_primary_key_and_append():
    cfg = norm({"type": "database", "table": "t", "schema": "s", "url": "postgresql://h/d",
                "write_method": "append", "primary_key": "id"})
    assert cfg["schema_name"] == "s" and cfg["write_method"] == "insert"
    assert cfg["primary_key"] == ["id"]
    cfg = norm({"table": "t", "url": "postgresql://h/d", "write_method": "upsert",
                "primary_key": ["a", "b"], "update_columns": ["c"]})
    assert cfg["primary_key"] == ["a", "b"] and cfg["update_columns"] == ["c"]


@pytest.mark.parametrize("method", ["upsert", "update", "delete"])
def test_primary_key_required(method):
    (p,) = problems({"table": "t", "url": "sqlite:///x.db", "write_method": method})
    assert p.key == "primary_key" and method in p.message


def test_unknown_write_method_and_missing_table():
    found = {p.key: p for p in problems({"type": "database", "url": "sqlite:///x.db",
                                         "write_method": "merge"})}
    assert "merge" in found["write_method"].message
    assert found["table"].message == "required key is missing"


def test_dlq_default_and_spellings():
    default = norm({"path": "o.json"})["dead_letter_queue"]
    assert default == {"enabled": True, "backend": "file",
                       "path": "/pipes/p/.pycharter/dead_letters.jsonl",
                       "table": None, "url": None, "schema_name": None}
    legacy = norm({"path": "o.json", "dead_letter_queue": {"storage_path": "dlq/errors.jsonl"}})
    assert legacy["dead_letter_queue"]["path"] == "/pipes/p/dlq/errors.jsonl"
    folder = norm({"path": "o.json", "dead_letter_queue": {"backend": "file",
                                                           "storage_path": "dlq"}})
    assert folder["dead_letter_queue"]["path"] == "/pipes/p/dlq/dead_letters.jsonl"
    sqlite = norm({"path": "o.json", "dlq": {"path": "dl.sqlite"}})["dead_letter_queue"]
    assert sqlite["backend"] == "sqlite" and sqlite["path"] == "/pipes/p/dl.sqlite"
    via_validation = norm({"path": "o.json", "validation": {"dlq": False}})
    assert via_validation["dead_letter_queue"]["enabled"] is False
    backend = norm({"path": "o.json", "dlq": {"backend": "SQLITE"}})["dead_letter_queue"]
    assert backend["path"] == "/pipes/p/.pycharter/dead_letters.db"


def test_dlq_database_backend_uses_load_url():
    cfg = norm({"table": "t", "url": "postgresql://h/d",
                "dead_letter_queue": {"backend": "database", "schema_name": "pycharter"}})
    assert cfg["dead_letter_queue"]["url"] == "postgresql://h/d"
    (p,) = problems({"path": "o.json", "dead_letter_queue": {"backend": "database"}})
    assert p.key == "dead_letter_queue.url"


def test_cloud_storage_load():
    cfg = norm({"type": "cloud_storage", "storage": {"provider": "gcs", "bucket": "b",
                                                     "path": "out/x.parquet"},
                "partition_by": "year"})
    assert cfg["format"] == "parquet" and cfg["partition_by"] == ["year"]


def test_unknown_key_hint():
    (p,) = problems({"type": "file", "path": "o.json", "writ_mode": "append"})
    assert p.message == "unknown key 'writ_mode' — did you mean 'write_mode'?"
