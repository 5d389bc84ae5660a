"""The exported models document every key (designer tooltips)."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter

from pycharter_gui.etl_generator.config import (
    ExtractConfig,
    HttpExtractConfig,
    LoadConfig,
    field_descriptions,
    normalize_extract,
)


def test_descriptions_cover_nested_keys_and_aliases():
    extract = field_descriptions("extract")
    assert "pagination.page.param_name" in extract and "database.url" in extract
    assert "another spelling of 'path'" in extract["file_path"]
    assert all(extract.values())
    load = field_descriptions("load")
    assert {"write_method", "dead_letter_queue.backend", "target_table"} <= set(load)
    transform = field_descriptions("transform")
    assert {"rename", "transform.rename", "jsonata.expression", "custom_function.mode"} <= set(
        transform)
    assert set(field_descriptions("extract.http")) < set(extract)
    with pytest.raises(ValueError):
        field_descriptions("nope")


def test_union_models_pick_the_type():
    model = TypeAdapter(ExtractConfig).validate_python({"base_url": "https://a"})
    assert isinstance(model, HttpExtractConfig)
    load = TypeAdapter(LoadConfig).validate_python({"type": "file", "path": "o.json"})
    assert load.path == "o.json"


def test_base_dir_inside_raw_dict(tmp_path):
    cfg = normalize_extract({"path": "in.csv", "base_dir": str(tmp_path)})
    assert cfg["path"] == str(tmp_path / "in.csv") and cfg["base_dir"] == str(tmp_path)
