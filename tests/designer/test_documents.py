"""PipelineDocument: round-trip edits, parse errors, undo, atomic saves."""

from __future__ import annotations

from pathlib import Path

from pycharter_gui.designer.documents import PipelineDocument

from .conftest import EXTRACT, LOAD


def _diff_lines(a: bytes, b: bytes) -> list[tuple[bytes, bytes]]:
    la, lb = a.splitlines(keepends=True), b.splitlines(keepends=True)
    assert len(la) == len(lb)
    return [(x, y) for x, y in zip(la, lb, strict=True) if x != y]


def test_one_form_change_changes_exactly_one_line(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    original = (workspace / "people" / "load.yaml").read_bytes()
    assert doc.set_value("load", "write_method", "upsert")
    assert doc.is_dirty()
    doc.save()
    saved = (workspace / "people" / "load.yaml").read_bytes()
    assert _diff_lines(original, saved) == [(b"write_method: insert\n", b"write_method: upsert\n")]
    assert b"# Write to SQLite." in saved
    assert not doc.is_dirty()


def test_quoted_nested_value_keeps_quotes_and_comment(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("extract", "path", "data/other.csv")
    doc.set_value("load", "database.url", "sqlite:///x.db")
    assert "path: data/other.csv   # relative to this folder\n" in doc.text("extract")
    assert '  url: "sqlite:///x.db"\n' in doc.text("load")
    assert doc.text("extract").replace("other", "people") == EXTRACT


def test_new_nested_key_and_delete(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "primary_key", ["id"])
    assert doc.value("load", "primary_key") == ["id"]
    assert "# Write to SQLite." in doc.text("load")
    assert doc.delete_key("load", "primary_key")
    assert doc.text("load") == LOAD


def test_parse_error_keeps_last_good_data(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    doc.set_text("load", LOAD + "table: [oops\n")
    err = doc.parse_error("load")
    assert err is not None and err.line is not None
    assert doc.value("load", "table") == "people"  # last good state
    assert not doc.set_value("load", "table", "x")  # form edits wait for a valid file
    doc.set_text("load", LOAD.replace("people", "folks"))
    assert doc.parse_error("load") is None
    assert doc.value("load", "table") == "folks"


def test_undo_redo_covers_form_and_yaml_edits(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    doc.set_value("load", "table", "a")
    doc.seal()
    doc.set_text("load", doc.text("load").replace("write_method: insert", "write_method: replace"))
    assert doc.undo_stack.count() == 2
    doc.undo_stack.undo()
    assert doc.value("load", "write_method") == "insert"
    assert doc.value("load", "table") == "a"
    doc.undo_stack.undo()
    assert doc.text("load") == LOAD
    assert not doc.is_dirty()
    doc.undo_stack.redo()
    assert doc.value("load", "table") == "a"


def test_consecutive_typing_merges_into_one_step(qtbot, workspace: Path):
    doc = PipelineDocument("people", workspace / "people")
    for partial in ("f", "fo", "foo"):
        doc.set_value("load", "table", partial)
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert doc.value("load", "table") == "people"


def test_save_is_atomic_and_keeps_crlf(qtbot, tmp_path: Path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "extract.yaml").write_bytes(b"# c\r\ntype: file\r\npath: a.csv\r\n")
    (folder / "transform.yaml").write_bytes(b"")
    (folder / "load.yaml").write_bytes(b"type: file\r\n")
    doc = PipelineDocument("p", folder)
    doc.set_value("extract", "path", "b.csv")
    with qtbot.waitSignal(doc.saved):
        doc.save()
    assert (folder / "extract.yaml").read_bytes() == b"# c\r\ntype: file\r\npath: b.csv\r\n"
    assert sorted(p.name for p in folder.iterdir()) == ["extract.yaml", "load.yaml",
                                                        "transform.yaml"]


def test_empty_file_gets_new_keys(qtbot, tmp_path: Path):
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "transform.yaml").write_text("# nothing yet\n")
    doc = PipelineDocument("p", folder)
    doc.set_value("transform", "jsonata.expression", "$")
    assert doc.text("transform") == "# nothing yet\njsonata:\n  expression: $\n"
