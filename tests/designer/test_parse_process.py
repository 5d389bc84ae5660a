"""Big YAML texts are parsed in a child process (issue 12): on a worker thread of the designer
the round-trip parse of a 3,000-line file (~500 ms of pure Python) held the interpreter lock,
and the window lagged ~0.2-0.3 s on opening it and ~0.1 s after each pause in typing.

What comes back must be what an in-process parse gives: the same dump in every indentation
style (comments, quotes, anchors, block scalars), the same line marks, the same errors."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pycharter_gui.designer import yaml_roundtrip as yrt
from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.workers import parse_process
from pycharter_gui.designer.yaml_roundtrip import reading

from .conftest import make_pipeline

HEAD = '''# A big transform, as analysts grow them
transform:
  defaults: &defaults
    currency: "EUR"   # quoted on purpose
    country: 'NO'
  add:
    <<: *defaults
    note: |
      two lines
      of text
    flag: yes
    tagged: !custom value
  rename:
'''


def big_text(lines: int = 3000) -> str:
    body = "".join(f"    column_{i}: 'renamed_{i}'   # note {i}\n" if i % 3 == 0 else
                   f"    column_{i}: renamed_{i}\n" for i in range(lines))
    return HEAD + body + "  drop: [a, b]   # flow\n"


def _lines(data: object, prefix: str = "") -> dict[str, object]:
    """Every key's line mark, by dotted key."""
    out: dict[str, object] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            dotted = f"{prefix}.{key}" if prefix else str(key)
            out[dotted] = reading.line_of(data, [key])
            out.update(_lines(value, dotted))
    return out


@pytest.fixture(autouse=True)
def _fresh_child(monkeypatch):
    monkeypatch.setattr(parse_process, "_USE_THREAD", False)
    yield
    parse_process.shutdown_parse_process()


def test_child_parse_is_the_in_process_parse(monkeypatch) -> None:
    text = big_text()
    here = yrt.parse(text)
    calls: list[int] = []
    real = yrt.parse
    monkeypatch.setattr(yrt, "parse", lambda t: calls.append(len(t)) or real(t))
    data, error, style = parse_process.parse_text(text, with_style=True)
    assert calls == [] and error is None  # parsed in the child
    assert parse_process.parse_process().pid is not None
    assert style == yrt.detect_style(text, here)
    for m, s, o in reading._CANDIDATES:
        candidate = yrt.YamlStyle(m, s, o)
        assert yrt.dump(data, candidate) == yrt.dump(here, candidate)
    assert yrt.dump(data, style) == text
    assert _lines(data) == _lines(here)
    # (a tagged scalar equals only itself: compared by its repr, tag and value)
    assert repr(yrt.to_plain(data)) == repr(yrt.to_plain(here))


def test_child_parse_error_is_the_in_process_error() -> None:
    text = big_text() + "  broken: [unclosed\n"
    with pytest.raises(yrt.ParseError) as here:
        yrt.parse(text)
    data, error, style = parse_process.parse_text(text, with_style=True)
    assert data is None and style == yrt.detect_style(text)
    assert (error.message, error.line) == (here.value.message, here.value.line)


def test_short_texts_are_parsed_here(monkeypatch) -> None:
    monkeypatch.setattr(parse_process.EngineProcess, "call",
                        lambda *_a: pytest.fail("a short text went to the child"))
    data, error, _ = parse_process.parse_text("a: 1\n")
    assert data == {"a": 1} and error is None


def test_no_child_means_parsing_here(monkeypatch, caplog) -> None:
    parse_process.shutdown_parse_process()
    monkeypatch.setattr(parse_process._SLOT, "process", parse_process.EngineProcess("parse process"))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    with caplog.at_level("WARNING", logger=parse_process.__name__):
        data, error, _ = parse_process.parse_text(big_text())
    assert parse_process._USE_THREAD and error is None and "column_2999" in data["transform"]["rename"]
    assert "on a thread of the designer" in caplog.text


def test_child_never_imports_qt_after_a_parse() -> None:
    parse_process.parse_text(big_text())
    modules = parse_process.parse_process().child_modules()
    assert "pycharter_gui.designer.yaml_roundtrip.reading" in modules
    assert not [m for m in modules if m.startswith(("PySide6", "shiboken6"))]


def test_a_big_pipeline_opens_edits_and_saves_through_the_child(qtbot, tmp_path: Path,
                                                               monkeypatch) -> None:
    text = big_text()
    folder = make_pipeline(tmp_path, "big", transform=text)
    real, parsed_here = yrt.parse, []
    monkeypatch.setattr(yrt, "parse", lambda t: parsed_here.append(len(t)) or real(t))
    doc = PipelineDocument("big", folder)
    doc.load()
    qtbot.waitUntil(lambda: not doc.is_loading(), timeout=60_000)
    assert len(text) not in parsed_here  # the big file was parsed in the child
    assert doc.value("transform", "transform.rename.column_2999") == "renamed_2999"
    assert doc.line_of("transform", "transform.rename.column_10") == HEAD.count("\n") + 11
    assert doc.style("transform") == yrt.YamlStyle(2, 2, 0)
    assert doc.set_value("transform", "transform.rename.column_1", "first")
    doc.save()
    qtbot.waitUntil(lambda: not doc.is_parsing("transform"), timeout=60_000)
    saved = (folder / "transform.yaml").read_text(encoding="utf-8")
    assert saved == text.replace("column_1: renamed_1\n", "column_1: first\n")


def test_a_parse_child_killed_mid_parse_is_restarted_and_the_file_still_opens(
        qtbot, tmp_path: Path) -> None:
    """kill -9 of the parse child while it parses: the request is sent again to a new child,
    the document loads with the file's data, and nothing is parsed in the designer."""
    import os
    import signal

    text = big_text()
    folder = make_pipeline(tmp_path, "big", transform=text)
    process = parse_process.parse_process()
    process.shutdown()
    starts = process.starts
    doc = PipelineDocument("big", folder)
    doc.load()
    qtbot.waitUntil(lambda: process.pid is not None, timeout=60_000)
    os.kill(process.pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: not doc.is_loading(), timeout=60_000)
    assert process.starts == starts + 2  # the first child, and the one that answered
    assert doc.parse_error("transform") is None
    assert doc.value("transform", "transform.rename.column_2999") == "renamed_2999"
