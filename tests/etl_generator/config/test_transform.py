"""Transform normalisation: dict, list, legacy top-level and 0.0.20 forms -> ops."""

from __future__ import annotations

import pytest

from pycharter_gui.etl_generator.config import load_pipeline_config, normalize_transform
from pycharter_gui.etl_generator.errors import ConfigError


def ops(raw):
    return [(o["op"], o["spec"]) for o in normalize_transform(raw)["ops"]]


def test_empty_and_canonical_passthrough():
    cfg = normalize_transform(None)
    assert cfg["ops"] == [] and cfg["jsonata"] is None and cfg["strict"] is False
    assert normalize_transform({}) == cfg
    assert normalize_transform(cfg) is cfg


def test_dict_form_uses_fixed_order():
    raw = {"transform": {"filter": {"field": "n", "operator": ">", "value": 1},
                         "drop": "x", "add": {"c": "now()"}, "rename": {"a": "b"},
                         "convert": {"n": "number"}, "select": ["b", "n"],
                         "defaults": {"n": 0}}}
    assert [name for name, _ in ops(raw)] == ["rename", "convert", "defaults", "add",
                                              "select", "drop", "filter"]
    assert dict(ops(raw))["convert"] == {"n": "float"}
    assert dict(ops(raw))["drop"] == ["x"]
    assert dict(ops(raw))["filter"] == {"field": "n", "operator": "gt", "value": 1}


def test_legacy_top_level_form():
    assert ops({"rename": {"a": "b"}, "select": ["b"]}) == [
        ("rename", {"a": "b"}), ("select", ["b"])]


def test_list_form_keeps_order_and_repeats():
    raw = [{"add": {"x": "1"}}, {"rename": {"x": "y"}}, {"add": {"z": "2"}},
           {"drop": ["y"], "rename": {"z": "w"}}]
    assert ops(raw) == [("add", {"x": "1"}), ("rename", {"x": "y"}), ("add", {"z": "2"}),
                        ("rename", {"z": "w"}), ("drop", ["y"])]
    assert ops({"transform": raw[:1]}) == [("add", {"x": "1"})]


def test_0020_dialect():
    cfg = normalize_transform({"rename": {"a": "b"}, "type": {"n": "integer"},
                               "fill_null": {"m": {"default": 0}, "k": "@now"},
                               "flatten": {"addr": {"enabled": True}}, "drop": ["z"]})
    assert cfg["dialect"] == "0.0.20"
    assert [(o["op"], o["spec"]) for o in cfg["ops"]] == [
        ("rename", {"a": "b"}), ("flatten", {"addr": {"enabled": True}}),
        ("convert", {"n": "int"}), ("defaults", {"m": 0, "k": "@now"}), ("drop", ["z"])]


def test_jsonata_and_custom_function_defaults():
    cfg = normalize_transform({"jsonata": {"expression": "$"},
                               "custom_function": {"module": "m", "function": "f"}})
    assert cfg["jsonata"] == {"expression": "$", "mode": "batch"}
    assert cfg["custom_function"] == {"module": "m", "function": "f", "callable": None,
                                      "mode": "batch", "kwargs": {}}
    assert normalize_transform({"jsonata": {"expression": " "}})["jsonata"] is None
    assert normalize_transform({"jsonata": "$"})["jsonata"]["mode"] == "batch"
    rec = normalize_transform({"jsonata": {"expression": "$", "mode": "RECORD"},
                               "custom_function": {"callable": "pkg.mod.fn", "mode": "record",
                                                   "kwargs": {"k": 1}}})
    assert rec["jsonata"]["mode"] == "record" and rec["custom_function"]["mode"] == "record"


def test_custom_function_python_callable():
    def fn(records):
        return records

    cfg = normalize_transform({"custom_function": {"callable": fn}})
    assert cfg["custom_function"]["callable"] is fn


@pytest.mark.parametrize("raw", [{"strict": True, "convert": {"a": "int"}},
                                 {"convert_strict": True, "convert": {"a": "int"}},
                                 {"transform": {"convert": {"a": "int"}, "strict": True}}])
def test_strict_flag(raw):
    assert normalize_transform(raw)["strict"] is True


def test_errors_with_lines(write_pipeline):
    folder = write_pipeline(
        extract="type: file\npath: in.csv\n",
        transform="transform:\n  - renam: {a: b}\n  - convert:\n      n: money\n"
                  "custom_function:\n  mode: batch\n",
        load="type: file\npath: out.json\n")
    with pytest.raises(ConfigError) as err:
        load_pipeline_config(folder)
    by_key = {p.key: p for p in err.value.problems}
    assert "did you mean 'rename'" in by_key["transform.0.renam"].message
    assert by_key["transform.0.renam"].line == 2
    assert "money" in by_key["transform.1.convert"].message
    assert by_key["transform.1.convert"].line == 3
    assert "module" in by_key["custom_function"].message
    assert by_key["custom_function"].line == 5


def test_bad_filter_operator_is_an_error():
    with pytest.raises(ConfigError, match="unknown operator 'like'"):
        normalize_transform({"filter": {"field": "a", "operator": "like"}})


def test_top_level_ops_beside_transform_are_a_warning(write_pipeline):
    from pycharter_gui.etl_generator.config import validate_pipeline

    folder = write_pipeline(extract="path: in.csv\n", load="path: out.json\n",
                            transform="transform:\n  drop: [a]\nrename: {b: c}\n")
    (folder / "in.csv").write_text("a\n")
    (p,) = validate_pipeline(folder)
    assert p.severity == "warning" and p.key == "rename" and p.line == 3
    assert load_pipeline_config(folder).transform["ops"] == [{"op": "drop", "spec": ["a"]}]
