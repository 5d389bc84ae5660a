"""Simple operations: exact semantics of config-format §4.2 on canonical dicts."""

from __future__ import annotations

import pytest
from tf_helpers import assert_invariant, canon

from pycharter_gui.etl_generator.errors import ConfigError
from pycharter_gui.etl_generator.transformers import apply_transforms, transform_batch


def test_empty_or_missing_config_returns_data_unchanged() -> None:
    data = [{"a": 1}]
    assert apply_transforms(data, None) is data
    assert apply_transforms(data, {}) is data
    assert transform_batch([], canon(("drop", ["a"]))).records == []


def test_input_records_are_not_mutated() -> None:
    data = [{"a": 1, "b": "2"}]
    transform_batch(data, canon(("rename", {"a": "x"}), ("convert", {"b": "int"})))
    assert data == [{"a": 1, "b": "2"}]


def test_rename_appends_at_end_and_overwrites_existing_target() -> None:
    res = transform_batch([{"a": 1, "b": 2, "c": 3}], canon(("rename", {"a": "z", "b": "c"})))
    assert list(res.records[0].items()) == [("z", 1), ("c", 2)]


def test_rename_missing_source_is_skipped_with_one_warning_per_batch() -> None:
    res = transform_batch([{"a": 1}, {"a": 2}], canon(("rename", {"nope": "x", "gone": "y"})))
    assert res.records == [{"a": 1}, {"a": 2}]
    assert len(res.warnings) == 1
    assert "nope" in res.warnings[0].message and "gone" in res.warnings[0].message


def test_defaults_fill_missing_and_none_but_not_empty_string() -> None:
    data = [{"x": None}, {}, {"x": ""}, {"x": 0}]
    res = transform_batch(data, canon(("defaults", {"x": "d"})))
    assert [r["x"] for r in res.records] == ["d", "d", "", 0]


def test_defaults_unwraps_0020_default_mapping_and_tokens() -> None:
    from datetime import datetime

    res = transform_batch([{}], canon(("defaults", {"a": {"default": 5}, "t": "@utcnow"})))
    assert res.records[0]["a"] == 5
    assert isinstance(res.records[0]["t"], datetime)


def test_select_keeps_record_order_not_list_order_and_ignores_unknown() -> None:
    res = transform_batch([{"a": 1, "b": 2, "c": 3}], canon(("select", ["c", "a", "zz"])))
    assert list(res.records[0]) == ["a", "c"]


def test_select_of_nothing_filters_the_record() -> None:
    data = [{"a": 1}, {"b": 2}]
    res = transform_batch(data, canon(("select", ["a"])))
    assert res.records == [{"a": 1}] and res.filtered == 1
    assert_invariant(data, res)


def test_drop_ignores_unknown_names() -> None:
    res = transform_batch([{"a": 1, "b": 2}], canon(("drop", ["b", "zz"])))
    assert res.records == [{"a": 1}]


def test_dict_form_order_is_fixed_rename_convert_defaults_add_select_drop_filter() -> None:
    cfg = canon(
        ("rename", {"n": "num"}),
        ("convert", {"num": "int"}),
        ("defaults", {"city": "?"}),
        ("add", {"double": "${num}${num}", "label": "concat(${city}, '-', ${num})"}),
        ("select", ["num", "label", "double", "secret"]),
        ("drop", ["secret"]),
        ("filter", {"field": "num", "operator": "gt", "value": 1}),
    )
    data = [{"n": "3.9", "secret": "s"}, {"n": "1"}]
    res = transform_batch(data, cfg)
    assert res.records == [{"num": 3, "double": "33", "label": "?-3"}]
    assert res.filtered == 1
    assert_invariant(data, res)


def test_list_form_may_repeat_an_op() -> None:
    cfg = canon(("add", {"a": "1"}), ("rename", {"a": "b"}), ("add", {"a": "2"}))
    assert transform_batch([{}], cfg).records == [{"b": "1", "a": "2"}]


FILTER_CASES = [
    ("eq", 2, [2]), ("ne", 2, [1, 3, None]), ("gt", 1, [2, 3]), ("gte", 2, [2, 3]),
    ("lt", 2, [1]), ("lte", 2, [1, 2]), ("in", [1, 3], [1, 3]), ("in", 2, [2]),
    ("not_in", [1, 3], [2, None]), ("is_null", None, [None]), ("is_not_null", None, [1, 2, 3]),
]


@pytest.mark.parametrize(("operator", "value", "kept"), FILTER_CASES)
def test_filter_operators(operator: str, value: object, kept: list) -> None:
    data = [{"v": 1}, {"v": 2}, {"v": 3}, {"v": None}]
    res = transform_batch(data, canon(("filter", {"field": "v", "operator": operator,
                                                   "value": value})))
    assert [r["v"] for r in res.records] == kept
    assert res.filtered == len(data) - len(kept)


def test_filter_contains_uses_str_of_field() -> None:
    data = [{"v": "apple"}, {"v": 1234}, {"v": None}, {"v": "pear"}]
    keep = transform_batch(data, canon(("filter", {"field": "v", "operator": "contains",
                                                    "value": "23"}))).records
    assert keep == [{"v": 1234}]
    drop = transform_batch(data, canon(("filter", {"field": "v", "operator": "not_contains",
                                                    "value": "pp"}))).records
    assert [r["v"] for r in drop] == [1234, None, "pear"]


def test_filter_incompatible_comparison_rejects_record_not_the_run() -> None:
    data = [{"v": 5}, {"v": "abc"}, {"v": 0}]
    res = transform_batch(data, canon(("filter", {"field": "v", "operator": "gt", "value": 1})))
    assert res.records == [{"v": 5}]
    assert len(res.rejected) == 1
    rej = res.rejected[0]
    assert (rej.index, rej.step, rej.reason, rej.field) == (1, "filter", "transformation_error", "v")
    assert rej.record == {"v": "abc"} and "abc" in rej.message
    assert_invariant(data, res)


def test_filter_unknown_operator_warns_and_keeps_everything() -> None:
    data = [{"v": 1}, {"v": 2}]
    res = transform_batch(data, canon(("filter", {"field": "v", "operator": "like", "value": 1})))
    assert res.records == data and len(res.warnings) == 1


def test_filter_list_of_conditions_all_must_hold() -> None:
    cfg = canon(("filter", [{"field": "a", "operator": "gte", "value": 2},
                            {"field": "b", "operator": "eq", "value": "x"}]))
    data = [{"a": 1, "b": "x"}, {"a": 2, "b": "x"}, {"a": 3, "b": "y"}]
    assert transform_batch(data, cfg).records == [{"a": 2, "b": "x"}]


def test_unknown_op_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="explode"):
        transform_batch([{"a": 1}], canon(("explode", {})))


def test_unsupported_convert_type_is_a_config_error_naming_the_field() -> None:
    with pytest.raises(ConfigError, match=r"convert\.price.*money"):
        transform_batch([{"price": 1}], canon(("convert", {"price": "money"})))
