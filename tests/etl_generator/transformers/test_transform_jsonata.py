"""JSONata stage (config-format §4.5): record and batch modes, rejects, counting."""

from __future__ import annotations

import threading

import pytest
from tf_helpers import assert_invariant, canon

from pycharter_gui.etl_generator.errors import ConfigError
from pycharter_gui.etl_generator.transformers import compile_transform, transform_batch


def jcfg(expression: str, mode: str, *ops: tuple) -> dict:
    return canon(*ops, jsonata={"expression": expression, "mode": mode})


def test_record_mode_maps_each_record() -> None:
    data = [{"id": 1, "name": "ann"}, {"id": 2, "name": "bo"}]
    res = transform_batch(data, jcfg('{"id": id, "name": $uppercase(name)}', "record"))
    assert res.records == [{"id": 1, "name": "ANN"}, {"id": 2, "name": "BO"}]


def test_record_mode_undefined_is_filtered_on_purpose() -> None:
    data = [{"x": 1}, {"x": 5}]
    res = transform_batch(data, jcfg("$[x > 2]", "record"))
    assert res.records == [{"x": 5}] and res.filtered == 1 and res.rejected == []
    assert_invariant(data, res)


def test_record_mode_error_rejects_only_that_record_with_jsonata_text() -> None:
    data = [{"q": 2}, {"q": None}, {"q": 3}]
    res = transform_batch(data, jcfg('{"t": q * 2}', "record"))
    assert res.records == [{"t": 4}, {"t": 6}]
    [rej] = res.rejected
    assert (rej.index, rej.step, rej.reason) == (1, "jsonata", "transformation_error")
    assert rej.record == {"q": None}
    assert "T2001" in rej.message and "left side of the * operator" in rej.message
    assert_invariant(data, res)


def test_record_mode_non_object_result_is_rejected() -> None:
    data = [{"v": 1}, {"v": 2}]
    res = transform_batch(data, jcfg("v", "record"))
    assert res.records == []
    assert [r.index for r in res.rejected] == [0, 1]
    assert "not an object" in res.rejected[0].message
    assert_invariant(data, res)


def test_batch_mode_aggregate_over_batch() -> None:
    data = [{"a": 1}, {"a": 2}, {"a": 3}]
    res = transform_batch(data, jcfg('{"total": $sum(a), "n": $count($)}', "batch"))
    assert res.records == [{"total": 6, "n": 3}]
    assert res.filtered == 2
    assert_invariant(data, res)


def test_batch_mode_expanding_counts_added() -> None:
    data = [{"xs": [1, 2, 3]}, {"xs": [4]}]
    res = transform_batch(data, jcfg('$.xs.{"x": $}', "batch"))
    assert [r["x"] for r in res.records] == [1, 2, 3, 4]
    assert res.added == 2 and res.filtered == 0
    assert_invariant(data, res)


def test_batch_mode_undefined_result_gives_nothing() -> None:
    data = [{"a": 1}]
    res = transform_batch(data, jcfg("$[a > 5]", "batch"))
    assert res.records == [] and res.filtered == 1


def test_batch_mode_non_object_items_rejected() -> None:
    data = [{"a": 1}, {"a": 2}]
    res = transform_batch(data, jcfg("[{\"a\": 1}, 5]", "batch"))
    assert res.records == [{"a": 1}]
    [rej] = res.rejected
    assert rej.index is None and rej.record == 5 and rej.step == "jsonata"
    assert_invariant(data, res)


def test_batch_mode_error_isolates_failing_records_and_reaggregates_the_rest() -> None:
    data = [{"q": 1}, {"q": "x"}, {"q": 2}]
    res = transform_batch(data, jcfg('{"total": $sum($.(q * 10))}', "batch"))
    assert res.records == [{"total": 30}]
    [rej] = res.rejected
    assert rej.index == 1 and rej.record == {"q": "x"} and "operator" in rej.message
    assert_invariant(data, res)


def test_batch_mode_error_only_in_combination_rejects_whole_batch() -> None:
    # $single raises when more than one item matches: no record fails on its own.
    data = [{"a": 1}, {"a": 2}]
    res = transform_batch(data, jcfg("$single($)", "batch"))
    assert res.records == []
    assert [r.index for r in res.rejected] == [0, 1]
    assert "whole batch" in res.rejected[0].message
    assert_invariant(data, res)


def test_default_mode_is_batch() -> None:
    res = transform_batch([{"a": 1}, {"a": 2}], canon(jsonata={"expression": "{\"n\": $count($)}"}))
    assert res.records == [{"n": 2}]


def test_empty_expression_skips_stage() -> None:
    assert transform_batch([{"a": 1}], canon(jsonata={"expression": "  "})).records == [{"a": 1}]


def test_syntax_error_is_config_error() -> None:
    with pytest.raises(ConfigError, match=r"jsonata\.expression"):
        compile_transform(jcfg("{a: ", "record"))


def test_runs_after_simple_ops() -> None:
    res = transform_batch([{"a": "2"}], jcfg('{"b": a * 2}', "record", ("convert", {"a": "int"})))
    assert res.records == [{"b": 4}]


def test_compiled_transform_is_usable_from_several_threads() -> None:
    compiled = compile_transform(jcfg('{"y": x + 1}', "record"))
    results: dict[int, list] = {}

    def work(k: int) -> None:
        data = [{"x": k * 1000 + i} for i in range(300)]
        results[k] = compiled.apply(data).records

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(4):
        assert results[k] == [{"y": k * 1000 + i + 1} for i in range(300)]
