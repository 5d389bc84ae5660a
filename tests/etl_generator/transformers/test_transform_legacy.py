"""0.0.20 dialect (config-format Appendix A): rename first, type, fill_null, flatten."""

from __future__ import annotations

from datetime import datetime, timedelta

from tf_helpers import canon

from pycharter_gui.etl_generator.transformers import transform_batch


def legacy(*ops: tuple) -> dict:
    return canon(*ops, dialect="0.0.20")


def test_legacy_rename_puts_renamed_fields_first_and_keeps_existing_dst() -> None:
    res = transform_batch([{"a": 1, "b": 2, "c": 3}, {"b": 2, "z": 9}],
                          legacy(("rename", {"c": "x", "q": "z"})))
    assert list(res.records[0].items()) == [("x", 3), ("a", 1), ("b", 2)]
    assert res.records[1] == {"b": 2, "z": 9}


def test_legacy_type_uses_python_constructors() -> None:
    data = [{"b": "false", "i": "3.7", "j": "4", "d": "2024-01-05"}]
    res = transform_batch(data, legacy(("convert", {"b": "bool", "i": "int", "j": "int",
                                                    "d": "datetime"})))
    assert res.records[0] == {"b": True, "i": "3.7", "j": 4, "d": datetime(2024, 1, 5)}
    assert [w.field for w in res.warnings] == ["i"]


def test_type_and_fill_null_op_names_imply_legacy_semantics() -> None:
    res = transform_batch([{"b": "false", "n": None}],
                          canon(("type", {"b": "boolean"}), ("fill_null", {"n": {"default": 0}})))
    assert res.records == [{"b": True, "n": 0}]


def test_fill_null_week_tokens() -> None:
    [rec] = transform_batch([{}], legacy(("defaults", {"s": "@week_start", "e": "@week_end",
                                                       "n": "@now"}))).records
    assert rec["s"].weekday() == 0 and (rec["s"].hour, rec["s"].minute) == (0, 0)
    assert rec["e"] - rec["s"] == timedelta(days=7) - timedelta(microseconds=1)
    assert isinstance(rec["n"], datetime)


def test_flatten_simple_one_level_in_place() -> None:
    data = [{"id": 1, "addr": {"city": "X", "geo": {"lat": 1}}, "z": 0}]
    res = transform_batch(data, legacy(("flatten", {"addr": {"strategy": "simple"}})))
    assert list(res.records[0].items()) == [("id", 1), ("addr_city", "X"),
                                            ("addr_geo", {"lat": 1}), ("z", 0)]


def test_flatten_recursive_with_separator_max_depth_and_key_mapping() -> None:
    data = [{"a": {"b": {"c": {"d": 1}}, "k": 2}}]
    spec = {"a": {"strategy": "recursive", "separator": ".", "max_depth": 2,
                  "key_mapping": {"k": "kay"}}}
    res = transform_batch(data, legacy(("flatten", spec)))
    assert res.records == [{"a.b.c": {"d": 1}, "kay": 2}]


def test_flatten_arrays_and_list_spec() -> None:
    data = [{"items": [{"sku": "A"}, {"sku": "B"}], "m": {"x": 1}}]
    res = transform_batch(data, legacy(("flatten", {"items": {"strategy": "array_flatten"}})))
    assert res.records == [{"items_0_sku": "A", "items_1_sku": "B", "m": {"x": 1}}]
    res = transform_batch(data, legacy(("flatten", ["m"])))
    assert res.records[0]["m_x"] == 1 and res.records[0]["items"] == data[0]["items"]


def test_flatten_disabled_and_non_dict_values_untouched() -> None:
    data = [{"a": {"x": 1}, "b": "s"}]
    res = transform_batch(data, legacy(("flatten", {"a": {"enabled": False}, "b": {}})))
    assert res.records == data
