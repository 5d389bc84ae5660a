"""The counting invariant len(data) + added == len(records) + len(rejected) + filtered."""

from __future__ import annotations

from pathlib import Path

import pytest
from tf_helpers import assert_invariant, canon

from pycharter_gui.etl_generator.errors import RecordError
from pycharter_gui.etl_generator.transformers import (
    RejectedRecord,
    TransformResult,
    TransformWarning,
    apply_transforms,
    transform_batch,
)

DATA = [{"id": i, "v": v} for i, v in enumerate([1, "x", None, 5, "7", 2.5, "abc", 9])]

CASES = {
    "filter+strict": canon(("convert", {"v": "int"}), ("filter", {"field": "v",
                           "operator": "gt", "value": 1}), strict=True),
    "filter-type-errors": canon(("filter", {"field": "v", "operator": "lt", "value": 5})),
    "select-nothing": canon(("select", ["zz"])),
    "jsonata-record": canon(jsonata={"expression": '$.v > 1 ? {"id": id, "w": v * 2}',
                                     "mode": "record"}),
    "jsonata-batch": canon(("convert", {"v": "float"}), jsonata={
        "expression": '$[$type(v) = "number"].{"id": id, "w": v}', "mode": "batch"}),
    "jsonata-batch-error": canon(jsonata={"expression": '[$.{"w": v * 2}, {"extra": 1}]',
                                          "mode": "batch"}),
}


@pytest.mark.parametrize("name", list(CASES))
def test_invariant_holds(name: str) -> None:
    result = transform_batch([dict(r) for r in DATA], CASES[name])
    assert_invariant(DATA, result)


def test_invariant_with_custom_function_expanding_and_failing(tmp_path: Path) -> None:
    (tmp_path / "tf_count_mod.py").write_text(
        "def f(record, **kw):\n"
        "    if record['id'] % 3 == 0:\n        return [record, record]\n"
        "    if record['id'] % 3 == 1:\n        return None\n"
        "    raise KeyError('nope')\n")
    cfg = canon(base_dir=str(tmp_path), custom_function={
        "module": "tf_count_mod", "function": "f", "mode": "record"})
    result = transform_batch([dict(r) for r in DATA], cfg)
    assert len(result.rejected) == 2 and result.added == 3 and result.filtered == 3
    assert_invariant(DATA, result)


def test_apply_transforms_raises_instead_of_dropping_rejected_records() -> None:
    cfg = canon(("convert", {"v": "int"}), strict=True)  # "x", 2.5 (lossy), "abc" rejected
    with pytest.raises(RecordError, match="3 of 8 records failed"):
        apply_transforms(DATA, cfg)
    assert [r["id"] for r in apply_transforms(DATA[:1], cfg)] == [0]


def test_result_types_are_dataclasses_with_the_documented_fields() -> None:
    from dataclasses import fields

    assert [f.name for f in fields(RejectedRecord)] == [
        "index", "record", "step", "reason", "message", "error_type", "field", "traceback"]
    assert [f.name for f in fields(TransformWarning)] == ["index", "field", "step", "message"]
    assert [f.name for f in fields(TransformResult)] == [
        "records", "rejected", "warnings", "filtered", "added"]
