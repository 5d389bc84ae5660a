"""Run outcomes tell the truth: ``status``, the error threshold's origin, a dry run's dead
letters in ``--json``, 0 loaded when a file target's commit fails, and ``apply_transforms``
raising instead of returning fewer records silently (issue 13, issue 14 #6)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from pycharter_gui.cli import main
from pycharter_gui.etl_generator import ETLOrchestrator, apply_transforms
from pycharter_gui.etl_generator.errors import RecordError
from pycharter_gui.etl_generator.loaders.file import FileLoadSession

CSV = "id,v\n" + "".join(f"{i},{'bad' if i % 4 == 0 else i}\n" for i in range(1, 13))


def _pipeline(write_pipeline, tmp_path: Path, *, strict: bool = True, load: str = "") -> Path:
    return write_pipeline(
        **{"in.csv": CSV},
        extract="path: in.csv\nbatch_size: 4\n",
        transform=f"transform:\n  convert:\n    v: int\nstrict: {'true' if strict else 'false'}\n",
        load=load or f"type: file\npath: {tmp_path}/out.jsonl\nformat: jsonl\n",
    )


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


async def test_status_completed_and_completed_with_dead_letters(write_pipeline, tmp_path) -> None:
    clean = await ETLOrchestrator(contract_dir=_pipeline(write_pipeline, tmp_path, strict=False),
                                  verbose=False).run()
    assert (clean["success"], clean["status"]) == (True, "completed")
    dirty = await ETLOrchestrator(contract_dir=_pipeline(write_pipeline, tmp_path),
                                  verbose=False).run()
    assert (dirty["success"], dirty["dead_lettered"]) == (True, 3)
    assert dirty["status"] == "completed_with_dead_letters"


async def test_status_failed(write_pipeline, tmp_path) -> None:
    folder = write_pipeline(extract="path: missing.csv\n", transform="",
                            load=f"type: file\npath: {tmp_path}/o.jsonl\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert (result["success"], result["status"]) == (False, "failed")


def test_cli_summary_and_json_show_status(write_pipeline, tmp_path) -> None:
    folder = _pipeline(write_pipeline, tmp_path)
    code, out = _cli("run", str(folder))
    assert code == 0
    assert "pipe: COMPLETED with 3 dead letter(s)" in out and ": OK" not in out
    code, out = _cli("run", str(folder), "--json")
    assert json.loads(out)["status"] == "completed_with_dead_letters"


def test_cli_json_of_a_dry_run_includes_its_dead_letters(write_pipeline, tmp_path) -> None:
    code, out = _cli("run", str(_pipeline(write_pipeline, tmp_path)), "--dry-run", "--json")
    assert code == 0
    letters = json.loads(out)["dead_letters"]
    assert sorted(int(d["record_data"]["id"]) for d in letters) == [4, 8, 12]
    assert {d["reason"] for d in letters} == {"transformation_error"}
    assert all("v" in d["error_message"] for d in letters)


async def test_error_threshold_says_where_it_is_set(write_pipeline, tmp_path, monkeypatch) -> None:
    async def broken(self, records, batch_index):
        raise OSError("disk on fire")

    monkeypatch.setattr(FileLoadSession, "write_batch", broken)
    folder = _pipeline(write_pipeline, tmp_path, strict=False)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(max_retries=0)
    assert result["status"] == "failed"
    assert "error_threshold=0.1" in result["error"]
    assert "run(error_threshold=" in result["error"] and "--error-threshold" in result["error"]


def test_cli_error_threshold_flag_reaches_the_run(write_pipeline, tmp_path, monkeypatch) -> None:
    async def broken(self, records, batch_index):
        raise OSError("disk on fire")

    monkeypatch.setattr(FileLoadSession, "write_batch", broken)
    folder = _pipeline(write_pipeline, tmp_path, strict=False)
    code, out = _cli("run", str(folder), "--error-threshold", "1", "--json")
    summary = json.loads(out)
    assert code == 1
    assert summary["extraction"]["batches_processed"] == 3  # not aborted: threshold 1
    assert "error_threshold" not in summary["error"]


async def test_failed_file_commit_reports_nothing_loaded(write_pipeline, tmp_path, monkeypatch) -> None:
    def full_disk(self):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(FileLoadSession, "_commit_sync", full_disk)
    folder = _pipeline(write_pipeline, tmp_path, strict=False)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["status"] == "failed" and "No space left" in result["error"]
    assert not (tmp_path / "out.jsonl").exists()
    assert result["loading"]["total_records"] == 0
    assert result["loading"]["inserted"] == 0


def test_apply_transforms_raises_when_a_custom_function_raises(tmp_path: Path) -> None:
    (tmp_path / "boom_mod.py").write_text("def f(record, **kw):\n    raise KeyError('nope')\n")
    cfg = {"custom_function": {"module": "boom_mod", "function": "f", "mode": "record"},
           "base_dir": str(tmp_path)}
    with pytest.raises(RecordError, match="nope") as info:
        apply_transforms([{"id": 1}, {"id": 2}], cfg)
    assert "2 of 2 records" in str(info.value)
    assert info.value.record_index == 0


def test_orchestrator_transform_raises_like_apply_transforms(write_pipeline, tmp_path) -> None:
    orch = ETLOrchestrator(contract_dir=_pipeline(write_pipeline, tmp_path), verbose=False)
    assert orch.transform([{"id": "1", "v": "2"}]) == [{"id": "1", "v": 2}]
    with pytest.raises(RecordError, match="1 of 2 records failed"):
        orch.transform([{"id": "1", "v": "2"}, {"id": "2", "v": "bad"}])
