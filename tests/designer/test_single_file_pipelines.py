"""Single-file pipelines in the designer (issue 18): the pipeline document holds the real file
(pipeline.yaml, a steps list in extract.yaml, a v2 ``kind: Pipeline``); the YAML tab edits it,
saving writes only it (never extract/transform/load.yaml beside it), the forms are read-only
and say why, and validation, Preview and Dry run use its unsaved text. "Convert to folder
format" writes the trio after a review and moves the file to the trash; the result validates
and dry-runs with the counts of before."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog

from pycharter_gui.designer import actions
from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.views import convert_dialog
from pycharter_gui.designer.workspace import Workspace
from pycharter_gui.etl_generator import (
    ConfigError,
    ETLOrchestrator,
    detect,
    folder_files,
    validate_pipeline,
)

from .test_pycharter_formats_designer import CORPUS, PEOPLE, WAIT

TRIO = ("extract.yaml", "transform.yaml", "load.yaml")


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    for name in ("v2_file", "steps_in_extract"):
        shutil.copytree(CORPUS / name, root / name)
    people = root / "people"
    people.mkdir(parents=True)
    (people / "people.csv").write_text("id,name,age\n1,Ann,30\n2,Bob,x2\n3,Cy,40\n")
    (people / "more.csv").write_text("id,name,age\n" + "".join(
        f"{i},P{i},{20 + i}\n" for i in range(1, 8)))
    (people / "pipeline.yaml").write_text(PEOPLE)
    return root


@pytest.fixture
def window(qtbot, ws: Path):
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.close()


def _select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name)


def _type_yaml(qtbot, win: MainWindow, text: str) -> None:
    """Replace the single file's text in the YAML tab, as typing does; wait for its parse."""
    editor = win.editor.yaml_editors["pipeline"]
    with qtbot.waitSignal(win.current.text_changed, timeout=WAIT):
        editor.setPlainText(text)
        editor.flush_edit()


def test_yaml_tab_edits_pipeline_yaml_and_save_writes_only_it(qtbot, window: MainWindow,
                                                               ws: Path) -> None:
    _select(qtbot, window, "people")
    editor, tabs = window.editor, window.editor.yaml_tabs
    shown = [tabs.tabText(i) for i in range(tabs.count()) if tabs.isTabVisible(i)]
    assert shown == ["pipeline.yaml"]
    assert editor.yaml_editors["pipeline"].toPlainText() == PEOPLE
    original = (ws / "people" / "pipeline.yaml").read_bytes()
    _type_yaml(qtbot, window, PEOPLE.replace("path: out/people.jsonl", "path: out/persons.jsonl"))
    assert window.current.is_dirty()
    window.actions_by_name["save"].trigger()
    assert not window.current.is_dirty()
    saved = (ws / "people" / "pipeline.yaml").read_bytes()
    assert saved == original.replace(b"path: out/people.jsonl", b"path: out/persons.jsonl")
    assert b"# beside this file" in saved  # comments kept
    assert not any((ws / "people" / name).exists() for name in TRIO)


def test_steps_in_extract_yaml_saves_only_extract_yaml(qtbot, window: MainWindow,
                                                        ws: Path) -> None:
    _select(qtbot, window, "steps_in_extract")
    tabs = window.editor.yaml_tabs
    assert [tabs.tabText(i) for i in range(tabs.count()) if tabs.isTabVisible(i)] == [
        "extract.yaml"]
    path = ws / "steps_in_extract" / "extract.yaml"
    original = path.read_text()
    assert window.editor.yaml_editors["pipeline"].toPlainText() == original
    _type_yaml(qtbot, window, original + "# reviewed\n")
    window.actions_by_name["save"].trigger()
    assert path.read_text() == original + "# reviewed\n"
    assert not any((ws / "steps_in_extract" / n).exists() for n in ("transform.yaml",
                                                                     "load.yaml"))


@pytest.mark.parametrize(("name", "words"), [
    ("people", "pycharter pipeline.yaml file"),
    ("steps_in_extract", "steps pipeline"),
    ("v2_file", "pycharter v2 `kind: Pipeline` file"),
])
def test_forms_are_read_only_and_say_why(qtbot, window: MainWindow, name: str,
                                         words: str) -> None:
    _select(qtbot, window, name)
    doc = window.current
    for kind, form in window.editor.forms.items():
        window.editor.tabs.setCurrentWidget(form)
        qtbot.waitUntil(form.format_banner.isVisible)
        text = form.format_banner.text()
        assert words in text and "edit it in the YAML tab" in text
        assert "convert it to the folder format" in text
        assert not form.body.isEnabled() and form.body.isHidden()
        assert doc.set_value(kind, "batch_size", 5) is False
        assert doc.set_text(kind, "type: file\n") is False
    assert not doc.is_dirty()


def test_folder_pipeline_forms_stay_editable(qtbot, window: MainWindow, ws: Path) -> None:
    from .conftest import make_pipeline

    make_pipeline(ws, "classic")
    window.workspace.refresh()
    _select(qtbot, window, "classic")
    form = window.editor.forms["load"]
    window.editor.tabs.setCurrentWidget(form)
    qtbot.waitUntil(form.body.isVisible)
    assert form.body.isEnabled() and form.format_banner.isHidden()
    assert not window.editor.yaml_tabs.isTabVisible(
        list(window.editor.yaml_editors).index("pipeline"))


def test_validation_checks_the_unsaved_single_file(qtbot, window: MainWindow, ws: Path) -> None:
    _select(qtbot, window, "people")
    bad = PEOPLE.replace("  format: jsonl", "  format: excel")
    line = bad.splitlines().index("  format: excel") + 1
    _type_yaml(qtbot, window, bad)

    def found() -> list:
        return [p for p in window.problem_model.problems()
                if p.file == "pipeline.yaml" and "excel" in p.message]

    qtbot.waitUntil(lambda: bool(found()), timeout=WAIT)
    assert found()[0].line == line
    row = window.problem_model.problems().index(found()[0])
    window.problems_view.doubleClicked.emit(window.problem_model.index(row, 2))
    assert window.editor.tabs.currentIndex() == window.editor.yaml_tab_index
    assert window.editor.yaml_editors["pipeline"].current_line() == line
    assert (ws / "people" / "pipeline.yaml").read_text() == PEOPLE  # nothing saved


def test_preview_and_dry_run_use_the_unsaved_text(qtbot, window: MainWindow, ws: Path) -> None:
    _select(qtbot, window, "people")
    _type_yaml(qtbot, window, PEOPLE.replace("path: people.csv", "path: more.csv"))
    docks = window.data_docks
    with qtbot.waitSignal(docks.preview.preview_finished, timeout=WAIT):
        window.actions_by_name["preview"].trigger()
    assert docks.preview.model.rowCount() == 7
    with qtbot.waitSignal(docks.run_panel.run_finished, timeout=WAIT) as blocker:
        window.actions_by_name["dry_run"].trigger()
    result = blocker.args[0]
    assert result["success"], result.get("error")
    assert result["loading"]["total_records"] == 7


@pytest.mark.parametrize(("name", "file"), [("people", "pipeline.yaml"),
                                          ("steps_in_extract", "extract.yaml")])
def test_engine_reads_unsaved_single_file_text(ws: Path, name: str, file: str) -> None:
    folder = ws / name
    text = (folder / file).read_text()
    bad = text.replace("format: jsonl", "format: excel").replace("format: csv", "format: excel")
    line = next(i for i, row in enumerate(bad.splitlines(), 1) if "excel" in row)
    problems = validate_pipeline(folder, texts={"pipeline": bad})
    errors = [p for p in problems if p.severity == "error"]
    assert [(Path(p.file).name, p.line) for p in errors] == [(file, line)]
    assert not [p for p in validate_pipeline(folder) if p.severity == "error"]


# -- convert to folder format --------------------------------------------------------------
def _dry_run(folder: Path) -> tuple[Any, ...]:
    result = asyncio.run(ETLOrchestrator(contract_dir=folder, verbose=False).run(dry_run=True))
    assert result["success"], result.get("error")
    return (result["extraction"]["total_records"], result["loading"]["total_records"],
            result["dead_lettered"])


def _errors(folder: Path) -> list:
    return [p for p in validate_pipeline(folder) if p.severity == "error"]


@pytest.mark.parametrize(("name", "dialect"), [
    ("sections_jsonata", "sections"), ("sections_sqlite_upsert", "sections"),
    ("steps_file", "steps"), ("steps_in_extract", "steps"), ("v2_file", "manifest"),
    ("v2_sqlite_upsert", "manifest")])
def test_converted_corpus_validates_and_dry_runs_alike(tmp_path: Path, name: str,
                                                       dialect: str) -> None:
    folder = Path(shutil.copytree(CORPUS / name, tmp_path / "ws" / name))
    fmt, original = detect(folder)
    assert fmt == dialect and original is not None
    before = _dry_run(folder)
    original_text = original.read_text()
    files = folder_files(folder)
    assert {"extract.yaml", "transform.yaml", "load.yaml"} <= set(files)
    assert all(text.startswith(f"# Converted to the folder format from {original.name}\n")
               for text in files.values())
    ws = Workspace(tmp_path / "ws")
    trash = ws.convert_job(name, files).run()
    assert detect(folder) == ("folder", None)
    assert {n: (folder / n).read_text() for n in files} == files
    assert not (folder / "pipeline.yaml").exists()
    assert (trash / original.name).read_text() == original_text
    assert trash.parent == tmp_path / "ws" / ".pycharter" / "trash"
    assert _errors(folder) == []
    assert _dry_run(folder) == before


@pytest.mark.parametrize("name", ["incremental_http", "sections_http_cursor"])
def test_converted_http_corpus_validates(tmp_path: Path, name: str) -> None:
    folder = Path(shutil.copytree(CORPUS / name, tmp_path / "ws" / name))
    before = _errors(folder)
    Workspace(tmp_path / "ws").convert_job(name, folder_files(folder)).run()
    assert detect(folder)[0] == "folder"
    assert [(p.key, p.message) for p in _errors(folder)] == [(p.key, p.message) for p in before]


def test_a_pipeline_the_engine_cannot_run_is_not_converted(tmp_path: Path) -> None:
    folder = Path(shutil.copytree(CORPUS / "rejected_v2_join", tmp_path / "rejected_v2_join"))
    with pytest.raises(ConfigError, match="join"):
        folder_files(folder)
    with pytest.raises(ConfigError, match="already in the folder format"):
        folder_files(shutil.copytree(CORPUS / "incremental_db", tmp_path / "incremental_db"))


def test_convert_action_reviews_then_writes_the_trio(qtbot, window: MainWindow, ws: Path,
                                                     monkeypatch) -> None:
    _select(qtbot, window, "people")
    action = window.actions_by_name["convert"]
    assert action.isEnabled()
    model = window.pipeline_list.model()
    assert action in actions.pipeline_menu(window, model.index(model.row_of("people"))).actions()
    shown: list[convert_dialog.ConvertDialog] = []

    def cancel(dialog: convert_dialog.ConvertDialog) -> int:
        shown.append(dialog)
        return QDialog.DialogCode.Rejected

    monkeypatch.setattr(convert_dialog.ConvertDialog, "exec", cancel)
    action.trigger()
    dialog = shown[0]
    rows = [dialog.file_list.item(i).text() for i in range(dialog.file_list.count())]
    assert rows[:3] == ["extract.yaml (new)", "transform.yaml (new)", "load.yaml (new)"]
    assert "+path: people.csv" in dialog.diff_view.toPlainText()
    assert sorted(p.name for p in (ws / "people").iterdir()) == [
        "more.csv", "people.csv", "pipeline.yaml"]  # cancelled: nothing written

    monkeypatch.setattr(convert_dialog.ConvertDialog, "exec",
                        lambda _d: QDialog.DialogCode.Accepted)
    action.trigger()
    qtbot.waitUntil(lambda: window.current is not None and window.current.single is None,
                    timeout=WAIT)
    folder = ws / "people"
    assert all((folder / n).is_file() for n in TRIO) and not (folder / "pipeline.yaml").exists()
    assert [p.read_text() for p in (ws / ".pycharter" / "trash").glob("people-*/pipeline.yaml")
            ] == [PEOPLE]
    assert not action.isEnabled()
    form = window.editor.forms["load"]
    window.editor.tabs.setCurrentWidget(form)
    qtbot.waitUntil(form.body.isVisible)
    assert form.body.isEnabled() and form.format_banner.isHidden()
    assert "path: out/people.jsonl" in window.editor.yaml_editors["load"].toPlainText()
