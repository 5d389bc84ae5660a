"""Custom function stage (config-format §4.6): import beside the YAML, modes, rejects."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from tf_helpers import assert_invariant, canon

from pycharter_gui.etl_generator.errors import ConfigError
from pycharter_gui.etl_generator.transformers import compile_transform, transform_batch

MODULE = '''
import sibling_util

def enrich(records, factor=1, tag="none", **kwargs):
    return [dict(r, v=r["v"] * factor, tag=tag, extra=sorted(kwargs)) for r in records]

def per_record(record, **kwargs):
    if record.get("boom"):
        raise ValueError("boom in record " + str(record["id"]))
    if record.get("skip"):
        return None
    if record.get("split"):
        return [dict(record, part=1), dict(record, part=2)]
    return dict(record, seen=sibling_util.MARK)

def fragile_batch(records, **kwargs):
    for r in records:
        if r.get("boom"):
            raise RuntimeError("bad record " + str(r["id"]))
    return [{"count": len(records)}]

def pair_only(records, **kwargs):
    if len(records) > 1:
        raise RuntimeError("cannot handle more than one")
    return records

def scalars(records, **kwargs):
    return [records[0], 42]

class Optimizer:
    def optimize(self, records, **kwargs):
        return [dict(r, optimized=True) for r in records]

class CallMe:
    def __call__(self, records, **kwargs):
        return [dict(r, called=True) for r in records]
'''


@pytest.fixture
def pipeline_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "pipe"
    folder.mkdir()
    (folder / "transform.yaml").write_text("custom_function: {module: tf_custom_mod}\n")
    (folder / "tf_custom_mod.py").write_text(textwrap.dedent(MODULE))
    (folder / "sibling_util.py").write_text("MARK = 'sibling'\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # imports must not depend on the cwd
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    for name in ("tf_custom_mod", "sibling_util"):
        monkeypatch.delitem(__import__("sys").modules, name, raising=False)
    return folder


def cfg(folder: Path, function: str, mode: str = "batch", **kw: object) -> dict:
    return canon(base_dir=str(folder), custom_function={
        "module": "tf_custom_mod", "function": function, "mode": mode, "kwargs": kw})


def test_module_beside_yaml_imports_with_other_cwd_and_kwargs_merge(pipeline_dir: Path) -> None:
    res = transform_batch([{"v": 2}], cfg(pipeline_dir, "enrich", factor=3, tag="cfg"),
                          tag="runtime", run_id="r1")
    assert res.records == [{"v": 6, "tag": "runtime", "extra": ["run_id"]}]
    assert str(pipeline_dir) not in __import__("sys").path  # path restored after import


def test_record_mode_keep_drop_extend_and_reject_with_traceback(pipeline_dir: Path) -> None:
    data = [{"id": 1}, {"id": 2, "boom": True}, {"id": 3, "skip": True}, {"id": 4, "split": True}]
    res = transform_batch(data, cfg(pipeline_dir, "per_record", "record"))
    assert res.records == [
        {"id": 1, "seen": "sibling"},
        {"id": 4, "split": True, "part": 1}, {"id": 4, "split": True, "part": 2},
    ]
    [rej] = res.rejected
    assert (rej.index, rej.step, rej.reason, rej.error_type) == (
        1, "custom_function", "transformation_error", "ValueError")
    assert "boom in record 2" in rej.message
    assert rej.traceback and "Traceback" in rej.traceback and "per_record" in rej.traceback
    assert res.filtered == 1 and res.added == 1
    assert_invariant(data, res)


def test_batch_mode_exception_isolates_failing_records(pipeline_dir: Path) -> None:
    data = [{"id": 1}, {"id": 2, "boom": True}, {"id": 3}]
    res = transform_batch(data, cfg(pipeline_dir, "fragile_batch"))
    assert res.records == [{"count": 2}]
    [rej] = res.rejected
    assert rej.index == 1 and "bad record 2" in rej.message and "fragile_batch" in rej.traceback
    assert_invariant(data, res)


def test_batch_mode_error_in_combination_rejects_whole_batch(pipeline_dir: Path) -> None:
    data = [{"id": 1}, {"id": 2}]
    res = transform_batch(data, cfg(pipeline_dir, "pair_only"))
    assert res.records == [] and [r.index for r in res.rejected] == [0, 1]
    assert_invariant(data, res)


def test_batch_mode_non_dict_items_are_rejected(pipeline_dir: Path) -> None:
    data = [{"id": 1}, {"id": 2}]
    res = transform_batch(data, cfg(pipeline_dir, "scalars"))
    assert res.records == [{"id": 1}] and res.rejected[0].record == 42
    assert_invariant(data, res)


@pytest.mark.parametrize(("function", "key"), [("Optimizer", "optimized"), ("CallMe", "called")])
def test_classes_are_instantiated(pipeline_dir: Path, function: str, key: str) -> None:
    assert transform_batch([{"a": 1}], cfg(pipeline_dir, function)).records == [{"a": 1, key: True}]


def test_module_given_as_file_path(pipeline_dir: Path) -> None:
    config = canon(base_dir=str(pipeline_dir), custom_function={
        "module": "tf_custom_mod.py", "function": "per_record", "mode": "record"})
    assert transform_batch([{"id": 1}], config).records == [{"id": 1, "seen": "sibling"}]


def test_callable_dotted_path(pipeline_dir: Path) -> None:
    config = canon(base_dir=str(pipeline_dir), custom_function={
        "callable": "tf_custom_mod.enrich", "kwargs": {"factor": 10}})
    assert transform_batch([{"v": 1}], config).records[0]["v"] == 10


def test_missing_module_is_config_error_naming_module_and_function(pipeline_dir: Path) -> None:
    config = canon(base_dir=str(pipeline_dir), custom_function={
        "module": "no_such_mod_xyz", "function": "go"})
    with pytest.raises(ConfigError, match=r"no_such_mod_xyz.*go"):
        compile_transform(config)


def test_missing_function_is_config_error(pipeline_dir: Path) -> None:
    with pytest.raises(ConfigError, match=r"tf_custom_mod.*nope"):
        compile_transform(cfg(pipeline_dir, "nope"))


def test_function_imported_once_per_compile(pipeline_dir: Path) -> None:
    log = pipeline_dir / "imports.log"
    (pipeline_dir / "tf_counter.py").write_text(
        f"with open({str(log)!r}, 'a') as fh:\n    fh.write('imported\\n')\n"
        "def f(records, **kw):\n    return records\n")
    import sys

    sys.modules.pop("tf_counter", None)
    compiled = compile_transform(canon(base_dir=str(pipeline_dir), custom_function={
        "module": "tf_counter", "function": "f"}))
    for _ in range(3):
        compiled.apply([{"a": 1}])
    assert log.read_text().splitlines() == ["imported"]
    sys.modules.pop("tf_counter", None)
