"""Simple ops run step by step over a batch; results must equal record-by-record semantics."""

from __future__ import annotations

from tf_helpers import assert_invariant, canon

from pycharter_gui.etl_generator.transformers import transform_batch


def test_warnings_come_back_in_record_order_across_steps() -> None:
    data = [{"a": "x", "b": "1"}, {"a": "2", "b": "y"}, {"a": "z", "b": "w"}]
    res = transform_batch(data, canon(("convert", {"a": "int"}),
                                      ("add", {"c": "to_int(${b}"}),
                                      ("convert", {"b": "float"})))
    assert [(w.index, w.field) for w in res.warnings] == [
        (0, "a"), (1, "b"), (2, "a"), (2, "b")]
    assert res.records[1] == {"a": 2, "b": "y", "c": "to_int(y"}


def test_strict_rejections_in_record_order_and_first_failing_field_only() -> None:
    data = [{"a": "1", "b": "x"}, {"a": "q", "b": "2"}, {"a": "r", "b": "s"}, {"a": "4", "b": "5"}]
    res = transform_batch(data, canon(("convert", {"a": "int", "b": "int"}), strict=True))
    assert [(r.index, r.field) for r in res.rejected] == [(0, "b"), (1, "a"), (2, "a")]
    assert res.rejected[0].record is data[0] and res.records == [{"a": 4, "b": 5}]
    assert_invariant(data, res)


def test_values_already_of_the_target_type_and_bools_are_handled() -> None:
    data = [{"n": 1, "f": 1.5, "t": True}, {"n": None, "f": 2.0, "t": False}]
    res = transform_batch(data, canon(("convert", {"n": "int", "f": "float", "t": "int"})))
    assert res.records == [{"n": 1, "f": 1.5, "t": 1}, {"n": None, "f": 2.0, "t": 0}]
    assert [type(r["t"]) for r in res.records] == [int, int] and not res.warnings


def test_filter_between_batch_steps_keeps_indices() -> None:
    data = [{"k": i, "v": str(i) if i != 3 else "bad"} for i in range(6)]
    res = transform_batch(data, canon(("filter", {"field": "k", "operator": "ne", "value": 1}),
                                      ("convert", {"v": "int"}), ("add", {"s": "x"})))
    assert [r["k"] for r in res.records] == [0, 2, 3, 4, 5] and res.filtered == 1
    assert [(w.index, w.field) for w in res.warnings] == [(3, "v")]
    assert all(r["s"] == "x" for r in res.records)


def test_defaults_and_drop_in_batch_form() -> None:
    data = [{"a": None, "b": 1}, {"b": 2}, {"a": 0, "b": 3}]
    res = transform_batch(data, canon(("defaults", {"a": 9}), ("drop", ["b"])))
    assert res.records == [{"a": 9}, {"a": 9}, {"a": 0}]
