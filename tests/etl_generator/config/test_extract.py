"""Extract normalisation: every spelling of config-format §3 and §11, and its errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pycharter_gui.etl_generator.config import normalize_extract
from pycharter_gui.etl_generator.errors import ConfigError


def norm(raw, base_dir="/pipes/p"):
    return normalize_extract(raw, base_dir=base_dir)


def problems(raw, base_dir="/pipes/p"):
    with pytest.raises(ConfigError) as err:
        normalize_extract(raw, base_dir=base_dir)
    return err.value.problems


@pytest.mark.parametrize("raw", [
    {"type": "file", "path": "data/in.csv"},
    {"source_type": "file", "file_path": "data/in.csv"},
    {"file_path": "data/in.csv"},
    {"type": "FILE", "path": "data/in.csv", "title": "t", "description": "d", "version": 2,
     "name": "n"},
])
def test_file_spellings(raw):
    cfg = norm(raw)
    assert cfg["__canonical__"] and cfg["type"] == "file"
    assert cfg["path"] == os.path.normpath("/pipes/p/data/in.csv")
    assert cfg["csv_options"]["delimiter"] == "," and cfg["batch_size"] == 1000
    assert norm(cfg) is cfg  # canonical dicts pass through unchanged


def test_csv_options_aliases_and_top_level():
    cfg = norm({"path": "a.csv", "delimiter": ";", "encoding": "latin-1",
                "csv_options": {"quotechar": "'", "has_header": False}})
    assert cfg["csv_options"] == {"delimiter": ";", "quote_char": "'", "escape_char": None,
                                  "has_header": False, "encoding": "latin-1", "skip_rows": 0}
    assert cfg["json_options"]["encoding"] == "latin-1"
    nested = norm({"path": "a.csv", "delimiter": ";", "csv_options": {"delimiter": "|",
                                                                      "quote_char": "~"}})
    assert nested["csv_options"]["delimiter"] == "|"
    assert nested["csv_options"]["quote_char"] == "~"
    assert norm({"path": "a.tsv"})["csv_options"]["delimiter"] == "\t"
    assert norm({"path": "x.data", "format": "ndjson"})["json_options"]["lines"] is True


def test_absolute_and_glob_paths_kept():
    assert norm({"path": "/abs/in.csv"})["path"] == "/abs/in.csv"
    assert norm({"path": "in/**/*.csv"})["path"] == "/pipes/p/in/**/*.csv"


@pytest.mark.parametrize("conn", [
    {"database": {"url": "sqlite:///data/app.db"}},
    {"connection_string": "sqlite:///data/app.db"},
    {"database": "sqlite:///data/app.db"},
    {"url": "sqlite:///data/app.db", "type": "database"},
    {"database": {"path": "data/app.db"}},
])
def test_database_spellings(conn):
    cfg = norm({"query": "select * from t where a = :a", "params": {"a": 1}, **conn})
    assert cfg["type"] == "database"
    assert cfg["url"] == "sqlite:////pipes/p/data/app.db"
    assert cfg["query_params"] == {"a": 1} == cfg["params"]


def test_database_query_params_and_schema_alias():
    cfg = norm({"type": "database", "database": {"url": "postgresql://h/db"},
                "query_params": {"a": 2}, "schema": "s", "table": "t"})
    assert cfg["query_params"] == {"a": 2} and cfg["schema_name"] == "s"
    assert cfg["url"] == "postgresql://h/db"
    assert norm({"query": "select 1", "database": "sqlite:///:memory:"})["url"] == (
        "sqlite:///:memory:")


def test_database_without_connection_or_query():
    found = problems({"type": "database"})
    keys = {p.key for p in found}
    assert {"database.url", "query"} <= keys


@pytest.mark.parametrize("raw,url", [
    ({"url": "https://api.x/v1/items"}, "https://api.x/v1/items"),
    ({"base_url": "https://api.x/", "api_endpoint": "/v1/items"}, "https://api.x/v1/items"),
    ({"base_url": "https://api.x", "endpoint": "v1/items"}, "https://api.x/v1/items"),
    ({"base_url": "https://ignored", "api_endpoint": "https://api.x/v1/items"},
     "https://api.x/v1/items"),
    ({"base_url": "https://api.x", "url": "/v1/items"}, "https://api.x/v1/items"),
])
def test_http_endpoint_spellings(raw, url):
    cfg = norm(raw)
    assert cfg["type"] == "http" and cfg["url"] == url
    assert cfg["method"] == "GET" and cfg["rate_limit_delay"] == 0.0
    assert cfg["timeout"] == {"connect": 10.0, "read": 30.0, "write": 10.0, "pool": 10.0}
    assert cfg["retry"]["max_attempts"] == 3


def test_http_timeout_retry_auth():
    cfg = norm({"url": "https://a/b", "method": "post", "timeout": {"read": 5},
                "retry": {"max_retries": 5, "retry_on_status": [503]},
                "auth": {"type": "api_key", "header": "X-Key", "value": "v", "in": "query"}})
    assert cfg["method"] == "POST" and cfg["timeout"]["read"] == 5.0
    assert cfg["timeout"]["connect"] == 10.0
    assert cfg["retry"]["max_attempts"] == 5 and cfg["retry"]["retry_on_status"] == [503]
    assert cfg["auth"] == {"type": "api_key", "token": None, "username": None,
                           "password": None, "name": "X-Key", "value": "v", "in": "query"}


def test_pagination_flat_maps_to_nested():
    cfg = norm({"url": "https://a/b", "pagination": {
        "enabled": True, "strategy": "link", "page_param": "p", "cursor_param": "after",
        "cursor_path": "meta.next", "next_link_path": "links.next", "limit_param": "per_page",
        "page_size": 25, "max_pages": 4}})
    pag = cfg["pagination"]
    assert pag["strategy"] == "link_header" and pag["enabled"] is True
    assert pag["page"]["param_name"] == "p"
    assert pag["cursor"] == {"param_name": "after", "response_path": "meta.next"}
    assert pag["next_url"]["response_path"] == "links.next"
    assert {"type": "max_pages", "value": 4, "response_path": None} in pag["stop_conditions"]
    assert cfg["params"]["per_page"] == 25


def test_pagination_nested_form_and_enabled_default():
    cfg = norm({"url": "https://a/b", "pagination": {
        "strategy": "offset", "offset": {"param_name": "skip", "increment_by": 50},
        "stop_conditions": [{"type": "fewer_records"}, {"type": "max_records", "value": 9}]}})
    pag = cfg["pagination"]
    assert pag["enabled"] is True and pag["offset"]["param_name"] == "skip"
    assert pag["offset"]["increment_by"] == 50 and pag["page_delay"] == 0.0
    assert len(pag["stop_conditions"]) == 2
    assert norm({"url": "https://a", "pagination": {"enabled": False}})["pagination"][
        "enabled"] is False


def test_cloud_storage_spellings():
    cfg = norm({"type": "cloud_storage", "storage": {"provider": "S3", "bucket": "b",
                                                     "path": "in/*.csv"}})
    assert cfg["storage"]["provider"] == "s3" and cfg["storage"]["container"] == "b"
    top = norm({"provider": "azure", "container": "c", "path": "x.json", "storage": {}})
    assert top["type"] == "cloud_storage" and top["storage"]["bucket"] == "c"


def test_input_params_list_and_mapping():
    listed = norm({"url": "https://a", "input_params": ["symbol", "day"]})
    assert listed["input_params"]["symbol"] == {"type": None, "required": False,
                                                "default": None, "description": None}
    mapped = norm({"url": "https://a", "param_mapping": {"symbol": "s"}, "input_params": {
        "symbol": {"type": "string", "required": True}, "n": {"type": "integer", "default": 5},
        "flag": None}})
    assert mapped["input_params"]["symbol"]["type"] == "str"
    assert mapped["input_params"]["n"] == {"type": "int", "required": False, "default": 5,
                                           "description": None}
    assert mapped["param_mapping"] == {"symbol": "s"}


def test_unknown_key_did_you_mean_and_nested():
    found = problems({"type": "http", "bse_url": "https://a", "url": "https://a",
                      "pagination": {"strategy": "page", "page": {"param_nam": "p"}}})
    by_key = {p.key: p for p in found}
    assert by_key["bse_url"].message == "unknown key 'bse_url' — did you mean 'base_url'?"
    assert "param_name" in by_key["pagination.page.param_nam"].message


def test_two_spellings_of_one_key_and_wrong_types():
    found = problems({"path": "a.csv", "file_path": "b.csv", "batch_size": "many",
                      "format": "docx"})
    messages = {p.key: p.message for p in found}
    assert "same setting" in messages["file_path"]
    assert "integer" in messages["batch_size"]
    assert "docx" in messages["format"]


def test_no_type_and_unknown_type():
    assert problems({"batch_size": 5})[0].key == "type"
    (p,) = problems({"type": "ftp", "path": "x"})
    assert "ftp" in p.message and "file" in p.hint


def test_relative_paths_do_not_depend_on_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cfg = normalize_extract({"path": "data/in.csv"}, base_dir=tmp_path / "pipe")
    assert Path(cfg["path"]) == tmp_path / "pipe" / "data" / "in.csv"
