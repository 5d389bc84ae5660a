"""Raw YAML-style transform configs go through config.normalize_transform on entry."""

from __future__ import annotations

from pathlib import Path

from pycharter_gui.etl_generator.transformers import transform_batch

DATA = [{"a": "1", "b": None, "c": "x"}, {"a": "2", "b": "y", "c": "z"}]


def test_dict_form_applies_fixed_order() -> None:
    raw = {"transform": {"drop": ["c"], "convert": {"n": "int"}, "rename": {"a": "n"},
                         "defaults": {"b": "d"}}}
    assert transform_batch(DATA, raw).records == [{"b": "d", "n": 1}, {"b": "y", "n": 2}]


def test_list_form_applies_list_order() -> None:
    raw = {"transform": [{"add": {"a2": "${a}${a}"}}, {"rename": {"a2": "aa"}},
                         {"select": ["aa"]}]}
    assert transform_batch(DATA, raw).records == [{"aa": "11"}, {"aa": "22"}]


def test_legacy_top_level_ops() -> None:
    raw = {"rename": {"a": "n"}, "convert": {"n": "int"}, "drop": ["b", "c"]}
    assert transform_batch(DATA, raw).records == [{"n": 1}, {"n": 2}]


def test_0020_dialect() -> None:
    raw = {"rename": {"c": "k"}, "type": {"a": "integer"}, "fill_null": {"b": {"default": "-"}},
           "drop": ["k"]}
    records = transform_batch(DATA, raw).records
    assert records == [{"a": 1, "b": "-"}, {"a": 2, "b": "y"}]


def test_jsonata_and_custom_function_at_top_level(tmp_path: Path) -> None:
    (tmp_path / "tf_raw_mod.py").write_text(
        "def tag(records, label='?', **kw):\n    return [dict(r, label=label) for r in records]\n")
    raw = {"jsonata": {"expression": '{"a": a}', "mode": "record"},
           "custom_function": {"module": "tf_raw_mod", "function": "tag",
                               "kwargs": {"label": "L"}},
           "base_dir": str(tmp_path)}
    assert transform_batch(DATA, raw).records == [{"a": "1", "label": "L"},
                                                  {"a": "2", "label": "L"}]
