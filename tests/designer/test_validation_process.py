"""Issue 12: the live validation runs in one warm child interpreter, not on a GUI-process thread.

Results still arrive and stale ones are dropped; a killed child is restarted and the next check
works; the child never imports Qt; when no child can start the check runs on the thread.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.workers import engine_child, validation
from pycharter_gui.designer.workers.validation import (
    ValidationController,
    validation_process,
)

BROKEN_EXTRACT = "type: file\npath: data/people.csv\nbatch_size: [\n"


def _collect(qtbot, controller: ValidationController) -> list[tuple[str, list]]:
    got: list[tuple[str, list]] = []
    controller.validated.connect(lambda name, problems: got.append((name, problems)))
    return got


def _wait_idle(qtbot, controller: ValidationController) -> None:
    qtbot.waitUntil(lambda: not controller.is_busy(), timeout=60_000)


def _doc(workspace: Path) -> PipelineDocument:
    doc = PipelineDocument("people", workspace / "people")
    doc.load()
    return doc


def test_results_arrive_from_the_process(qtbot, workspace: Path):
    controller = ValidationController(debounce_ms=10)
    got = _collect(qtbot, controller)
    doc = _doc(workspace)
    controller.request(doc, immediate=True)
    _wait_idle(qtbot, controller)
    assert [name for name, _ in got] == ["people"]
    assert not [p for p in got[0][1] if p.severity == "error"]
    assert validation_process().pid is not None  # the check ran in the child
    doc.set_text("extract", BROKEN_EXTRACT, merge=False)
    controller.request(doc, immediate=True)
    _wait_idle(qtbot, controller)
    errors = [p for p in got[-1][1] if p.severity == "error"]
    assert errors and errors[0].file == "extract.yaml"  # unsaved text, file named by base name
    controller.shutdown()


def test_stale_results_are_dropped(qtbot, workspace: Path):
    controller = ValidationController(debounce_ms=10)
    got = _collect(qtbot, controller)
    doc = _doc(workspace)
    doc.set_text("extract", BROKEN_EXTRACT, merge=False)
    controller.request(doc, immediate=True)  # in flight when the next snapshot comes
    doc.revert()
    controller.request(doc, immediate=True)
    _wait_idle(qtbot, controller)
    assert len(got) == 1  # only the newest snapshot's result
    assert not [p for p in got[0][1] if p.severity == "error"]
    controller.shutdown()


def test_a_killed_process_is_restarted_and_the_next_check_works(qtbot, workspace: Path):
    process = validation_process()
    process.child_modules()  # started
    starts, pid = process.starts, process.pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    controller = ValidationController(debounce_ms=10)
    got = _collect(qtbot, controller)
    controller.request_path("people", workspace / "people")
    _wait_idle(qtbot, controller)
    assert got and got[0][0] == "people"
    assert not [p for p in got[0][1] if "could not run" in p.message]
    assert process.starts == starts + 1 and process.pid not in (None, pid)
    controller.shutdown()


DYING_CHILD = r"""
import os, pickle, struct, sys
H = struct.Struct("!Q")
def read(n):
    return sys.stdin.buffer.read(n)
pickle.loads(read(H.unpack(read(H.size))[0]))
data = pickle.dumps(("ready", os.getpid()))
sys.stdout.buffer.write(H.pack(len(data)) + data)
sys.stdout.buffer.flush()
read(H.size)
os._exit(3)  # dies on its first request, every time
"""


def test_a_process_that_keeps_dying_is_reported_in_words(workspace: Path, monkeypatch):
    process = engine_child.EngineProcess()
    monkeypatch.setattr(validation._SLOT, "process", process)
    monkeypatch.setattr(engine_child, "_CHILD", DYING_CHILD)
    problems = validation.validate_snapshot(workspace / "people", None)
    assert process.starts == 2  # restarted once
    assert len(problems) == 1 and problems[0].severity == "error"
    assert "Validation could not run" in problems[0].message
    assert "failed twice" in problems[0].message and "exit code 3" in problems[0].message
    process.shutdown()


def test_the_child_never_imports_qt():
    modules = validation_process().child_modules()
    assert "pycharter_gui.etl_generator" in modules
    assert not [m for m in modules if m.startswith(("PySide6", "shiboken6", "pycharter_gui.designer"))]
    assert "PySide6" in sys.modules  # while this (the GUI) process has it


def test_falls_back_to_the_thread_when_no_process_can_start(workspace: Path, monkeypatch, caplog):
    validation.shutdown_validation_process()
    monkeypatch.setattr(validation._SLOT, "process", engine_child.EngineProcess())
    monkeypatch.setattr(validation, "_USE_THREAD", False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with caplog.at_level("WARNING", logger=validation.__name__):
        problems = validation.validate_snapshot(workspace / "people", {"extract": BROKEN_EXTRACT})
    assert validation._USE_THREAD
    assert "on a thread of the designer instead of a separate process" in caplog.text
    assert [p for p in problems if p.severity == "error" and p.file == "extract.yaml"]


def test_the_dead_letter_queue_is_found_without_reading_the_config_here(
        workspace: Path, monkeypatch):
    """The Dead letters panel's lookup reads the config in the child: on a thread here a big
    config held the interpreter lock while the window waited (first open of a 3,000-line
    pipeline: ~0.4 s of lag)."""
    from pycharter_gui.designer.views.dlq_sources import queue_for_pipeline
    from pycharter_gui.etl_generator import configured_queue, load_pipeline_config
    from pycharter_gui.etl_generator.config import loading

    monkeypatch.setattr(validation, "_USE_THREAD", False)
    expected = load_pipeline_config(contract_dir=workspace / "people")

    def no_reads_here(*_a, **_k):
        raise AssertionError("the config was read in the designer's process")

    monkeypatch.setattr(loading, "collect", no_reads_here)
    queue, keys = queue_for_pipeline(workspace / "people")
    same = configured_queue(expected.load, workspace / "people", expected.name)
    assert type(queue.backend) is type(same.backend) and queue.location == same.location
    assert keys == (list(expected.load.get("primary_key") or []) or None)


def test_a_config_error_in_the_child_arrives_as_the_engines_config_error(workspace: Path,
                                                                         monkeypatch):
    from pycharter_gui.etl_generator import ConfigError

    monkeypatch.setattr(validation, "_USE_THREAD", False)
    (workspace / "people" / "load.yaml").write_text("path: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        validation.read_load_section(workspace / "people")
    assert any(p.file and p.file.endswith("load.yaml") for p in caught.value.problems)


def test_the_lookup_reads_here_when_no_process_can_start(workspace: Path, monkeypatch):
    validation.shutdown_validation_process()
    monkeypatch.setattr(validation._SLOT, "process", engine_child.EngineProcess())
    monkeypatch.setattr(validation, "_USE_THREAD", False)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    load, name = validation.read_load_section(workspace / "people")
    assert validation._USE_THREAD and name == "people" and load


@pytest.fixture(autouse=True, scope="module")
def _end_process():
    yield
    validation.shutdown_validation_process()
