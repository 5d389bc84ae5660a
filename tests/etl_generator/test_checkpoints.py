"""CheckpointManager: round trip, atomic writes, unreadable files, disabled mode."""

from __future__ import annotations

import json
import os

import pytest

from pycharter_gui.etl_generator import checkpoints as checkpoints_module
from pycharter_gui.etl_generator.checkpoints import CheckpointManager, CheckpointState


def test_save_load_round_trip(tmp_path):
    mgr = CheckpointManager(tmp_path / "cp")
    meta = {"stats": {"extracted": 10, "by_reason": {"load_error": 2}}, "run_id": "r1"}
    path = mgr.save("orders-abc", "load", 3, 3000, {"symbol": "AAPL"}, metadata=meta)
    assert path == str(tmp_path / "cp" / "orders-abc.json")
    on_disk = json.loads((tmp_path / "cp" / "orders-abc.json").read_text())
    assert on_disk["batch_num"] == 3 and on_disk["metadata"] == meta
    state = mgr.load("orders-abc")
    assert isinstance(state, CheckpointState)
    assert (state.stage, state.batch_num, state.records_processed) == ("load", 3, 3000)
    assert state.last_processed_params == {"symbol": "AAPL"}
    assert state.metadata == meta
    assert state.error is None
    assert CheckpointState.from_dict(state.to_dict()) == state


def test_metadata_none_is_saved_as_empty_dict(tmp_path):
    mgr = CheckpointManager(tmp_path)
    mgr.save("a", "error", 1, 5, {}, error="boom")
    assert json.loads((tmp_path / "a.json").read_text())["metadata"] == {}
    assert mgr.load("a").error == "boom"


def test_list_and_delete(tmp_path):
    mgr = CheckpointManager(tmp_path)
    for name in ("b", "a"):
        mgr.save(name, "load", 1, 1, {})
    (tmp_path / ".a.123.tmp").write_text("partial")
    assert mgr.list_checkpoints() == ["a", "b"]
    assert mgr.delete("a") is True
    assert mgr.delete("a") is False
    assert mgr.load("a") is None
    assert mgr.list_checkpoints() == ["b"]


@pytest.mark.parametrize("garbage", ['{"checkpoint_id": "x", "stage"', "", "[1, 2]",
                                     '{"checkpoint_id": "x"}', "\xff\xfe not json"])
def test_unreadable_checkpoint_loads_as_none(tmp_path, garbage):
    mgr = CheckpointManager(tmp_path)
    (tmp_path / "x.json").write_text(garbage, encoding="latin-1")
    assert mgr.load("x") is None


def test_kill_mid_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    mgr = CheckpointManager(tmp_path)
    mgr.save("run", "load", 1, 100, {})

    def dies(*_args, **_kwargs):
        raise KeyboardInterrupt  # the process is interrupted between write and rename

    monkeypatch.setattr(checkpoints_module.os, "replace", dies)
    with pytest.raises(KeyboardInterrupt):
        mgr.save("run", "load", 2, 200, {})
    monkeypatch.undo()
    assert mgr.load("run").batch_num == 1
    assert sorted(os.listdir(tmp_path)) == ["run.json"]  # no temp file left behind


def test_disabled_manager_does_nothing(tmp_path):
    mgr = CheckpointManager(None)
    assert not mgr.enabled
    assert mgr.save("x", "load", 1, 1, {}) is None
    assert mgr.load("x") is None
    assert mgr.delete("x") is False
    assert mgr.list_checkpoints() == []


def test_bad_ids_are_rejected_clearly(tmp_path):
    mgr = CheckpointManager(tmp_path)
    for bad in ("../evil", "a/b", "", ".hidden"):
        with pytest.raises(ValueError, match="Invalid checkpoint id"):
            mgr.save(bad, "load", 1, 1, {})
