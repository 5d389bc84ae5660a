"""Pipeline tests from a sample: comparison, save / run / accept, and ``pycharter-etl test``."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from pycharter_gui.cli import main
from pycharter_gui.etl_generator import (
    accept_test_output,
    list_pipeline_tests,
    run_pipeline_tests,
    save_pipeline_test,
)
from pycharter_gui.etl_generator.pipeline_tests import ABSENT, PipelineOutput, compare_outputs

RECORDS = [{"id": 1, "qty": "2"}, {"id": 2, "qty": "3"}, {"id": 3, "qty": "many"}]
TRANSFORM = "transform:\n  convert:\n    qty: int\n  add:\n    seen_at: now()\nstrict: true\n"


def make_pipeline(root: Path, transform: str = TRANSFORM) -> Path:
    folder = root / "orders"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "in.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    (folder / "extract.yaml").write_text("type: file\npath: data/in.jsonl\n", encoding="utf-8")
    (folder / "transform.yaml").write_text(transform, encoding="utf-8")
    (folder / "load.yaml").write_text("type: file\npath: out/out.jsonl\nformat: jsonl\n",
                                      encoding="utf-8")
    return folder


def loaded(*rows: tuple[int, dict]) -> list[dict]:
    return [{"row": row, "record": rec} for row, rec in rows]


def dead(row: int, stage: str = "transform", reason: str = "transformation_error") -> dict:
    return {"row": row, "stage": stage, "reason": reason, "field": "qty", "message": "bad",
            "record": {"id": row}}


# -- comparison ------------------------------------------------------------------------------
def test_a_changed_cell_names_row_field_expected_and_actual() -> None:
    expected = PipelineOutput(loaded((1, {"id": 1, "qty": 2}), (2, {"id": 2, "qty": 3})))
    actual = PipelineOutput(loaded((1, {"id": 1, "qty": 2.0}), (2, {"id": 2, "qty": 3})))
    [diff] = compare_outputs(expected, actual)
    assert (diff.kind, diff.row, diff.field, diff.expected, diff.actual) == ("changed", 1, "qty", 2, 2.0)
    assert diff.describe() == "row 1, qty: expected 2, got 2.0"


def test_a_field_only_on_one_side_is_absent_on_the_other() -> None:
    diffs = compare_outputs(PipelineOutput(loaded((1, {"id": 1, "old": 1}))),
                            PipelineOutput(loaded((1, {"id": 1, "new": 1}))))
    assert [(d.field, d.expected, d.actual) for d in diffs] == [("old", 1, ABSENT), ("new", ABSENT, 1)]


def test_missing_and_extra_rows() -> None:
    expected = PipelineOutput(loaded((1, {"id": 1}), (2, {"id": 2})))
    actual = PipelineOutput(loaded((1, {"id": 1}), (3, {"id": 3})))
    diffs = compare_outputs(expected, actual)
    assert [(d.kind, d.row) for d in diffs] == [("missing", 2), ("extra", 3)]


def test_a_record_moved_to_dead_letters_and_back() -> None:
    expected = PipelineOutput(loaded((1, {"id": 1})), [dead(2)])
    actual = PipelineOutput(loaded((2, {"id": 2})), [dead(1, "validate", "validation_error")])
    diffs = compare_outputs(expected, actual)
    assert [(d.kind, d.row) for d in diffs] == [("to_dead_letters", 1), ("from_dead_letters", 2)]
    assert "now a dead letter (validate: bad)" in diffs[0].describe()


def test_a_dead_letter_with_another_reason_is_a_difference() -> None:
    diffs = compare_outputs(PipelineOutput([], [dead(1)]),
                            PipelineOutput([], [dead(1, "validate", "validation_error")]))
    assert [(d.kind, d.field) for d in diffs] == [("dead_letter_changed", "stage"),
                                                  ("dead_letter_changed", "reason")]


def test_ignored_fields_are_compared_for_presence_only() -> None:
    expected = PipelineOutput(loaded((1, {"id": 1, "at": "*"})))
    assert compare_outputs(expected, PipelineOutput(loaded((1, {"id": 1, "at": "now"}))), ["at"]) == []
    assert compare_outputs(expected, PipelineOutput(loaded((1, {"id": 1}))), ["at"])


# -- save, run, accept -------------------------------------------------------------------------
def test_save_run_change_accept(tmp_path: Path) -> None:
    folder = make_pipeline(tmp_path)
    case = asyncio.run(save_pipeline_test(folder, "sample", RECORDS))
    assert case.ignore_fields == ["seen_at"]  # now(): varies run to run
    lines = case.expected_file.read_text().splitlines()
    assert json.loads(lines[0]) == {"row": 1, "record": {"id": 1, "qty": 2, "seen_at": "*"}}
    [bad] = [json.loads(x) for x in case.dead_letters_file.read_text().splitlines()]
    assert (bad["row"], bad["stage"], bad["field"]) == (3, "transform", "qty")
    assert [r.status for r in asyncio.run(run_pipeline_tests(folder))] == ["passed"]

    (folder / "transform.yaml").write_text(TRANSFORM.replace("qty: int", "qty: float"))
    [result] = asyncio.run(run_pipeline_tests(folder))
    assert result.status == "failed"
    assert [(d.row, d.field, d.expected, d.actual) for d in result.differences] == [
        (1, "qty", 2, 2.0), (2, "qty", 3, 3.0)]
    accept_test_output(result)
    assert [r.status for r in asyncio.run(run_pipeline_tests(folder))] == ["passed"]


def test_a_row_that_now_fails_moves_to_dead_letters(tmp_path: Path) -> None:
    folder = make_pipeline(tmp_path, "transform:\n  convert:\n    qty: int\n")  # not strict
    asyncio.run(save_pipeline_test(folder, "lenient", RECORDS))
    (folder / "transform.yaml").write_text(TRANSFORM)
    [result] = asyncio.run(run_pipeline_tests(folder))
    assert ("to_dead_letters", 3) in [(d.kind, d.row) for d in result.differences]


def test_bad_test_names_and_existing_tests_are_refused(tmp_path: Path) -> None:
    from pycharter_gui.etl_generator import ConfigError

    folder = make_pipeline(tmp_path)
    with pytest.raises(ConfigError):
        asyncio.run(save_pipeline_test(folder, "../escape", RECORDS))
    asyncio.run(save_pipeline_test(folder, "one", RECORDS))
    with pytest.raises(FileExistsError):
        asyncio.run(save_pipeline_test(folder, "one", RECORDS))
    assert [c.name for c in list_pipeline_tests(folder)] == ["one"]


# -- the command line ----------------------------------------------------------------------------
def test_cli_runs_tests_with_junit_and_accepts(tmp_path: Path) -> None:
    folder = make_pipeline(tmp_path)
    asyncio.run(save_pipeline_test(folder, "sample", RECORDS))
    report = tmp_path / "junit.xml"
    assert main(["test", str(folder), "--junit", str(report)], out=io.StringIO()) == 0
    (folder / "transform.yaml").write_text(TRANSFORM.replace("qty: int", "qty: float"))
    out = io.StringIO()
    assert main(["test", str(tmp_path), "--junit", str(report)], out=out) == 1
    assert "row 1, qty: expected 2, got 2.0" in out.getvalue()
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and (suite.get("tests"), suite.get("failures")) == ("1", "1")
    failure = suite.find("testcase/failure")
    assert failure is not None and "row 2, qty: expected 3, got 3.0" in (failure.text or "")
    assert main(["test", str(folder), "--accept"], out=io.StringIO()) == 0
    assert main(["test", str(folder)], out=io.StringIO()) == 0


def test_cli_bad_test_config_exits_2(tmp_path: Path) -> None:
    folder = make_pipeline(tmp_path)
    (folder / "tests" / "broken").mkdir(parents=True)
    (folder / "tests" / "broken" / "test.yaml").write_text("input: nowhere.jsonl\n")
    assert main(["test", str(folder)], out=io.StringIO()) == 2


def test_a_pipeline_without_tests_is_not_read(tmp_path: Path, monkeypatch) -> None:
    """The designer's Tests panel runs the tests of every pipeline it shows; reading the
    config of one without tests was ~0.4 s of lock-holding Python at 3,000 lines (issue 12)."""
    from pycharter_gui.etl_generator.pipeline_tests import running

    folder = make_pipeline(tmp_path)
    reads: list[object] = []
    real = running.load_pipeline_config
    monkeypatch.setattr(running, "load_pipeline_config",
                        lambda *a, **k: reads.append(a) or real(*a, **k))
    assert asyncio.run(run_pipeline_tests(folder)) == []
    assert reads == []
    asyncio.run(save_pipeline_test(folder, "one", RECORDS))
    reads.clear()
    assert [r.status for r in asyncio.run(run_pipeline_tests(folder))] == ["passed"]
    assert reads  # with a case, the pipeline is read
    assert asyncio.run(run_pipeline_tests(folder, ["other"])) == []
