"""Drive the designer window as a user: forms, YAML, problems, save, undo, drafts, templates."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLineEdit

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.models.pipelines import StatusRole
from pycharter_gui.designer.views import dialogs
from pycharter_gui.designer.views.yaml_editor import TYPING_PAUSE_MS

from .conftest import LOAD


def select(qtbot, win: MainWindow, name: str) -> None:
    win.select_pipeline(name)
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == name)


def field(win: MainWindow, kind: str, key: str):
    form = win.editor.forms[kind]
    return next(b.widget for b in form.bindings if key in b.keys)


def test_workspace_lists_pipelines_with_status(qtbot, window: MainWindow):
    names = [p.name for p in window.workspace.pipelines]
    assert names == ["api_items", "half_done", "people"]
    model = window.pipeline_list.model()
    half = model.index(model.row_of("half_done"))
    assert half.data(StatusRole) == "incomplete"
    people = model.index(model.row_of("people"))
    qtbot.waitUntil(lambda: people.data(StatusRole) == "valid")


def test_form_edit_changes_yaml_and_save_keeps_other_bytes(qtbot, window: MainWindow,
                                                          workspace: Path):
    select(qtbot, window, "people")
    original = (workspace / "people" / "load.yaml").read_bytes()
    table = field(window, "load", "table")
    window.editor.tabs.setCurrentIndex(2)
    table.clear()
    qtbot.keyClicks(table, "persons")
    assert "table: persons\n" in window.editor.yaml_editors["load"].toPlainText()
    assert window.current.is_dirty()
    assert window.windowTitle().startswith("people[*]") and window.isWindowModified()
    assert window.list_model.index(window.list_model.row_of("people")).data().endswith("*")
    window.actions_by_name["save"].trigger()
    saved = (workspace / "people" / "load.yaml").read_bytes()
    assert saved == original.replace(b"table: people\n", b"table: persons\n")
    assert not window.isWindowModified()


def test_yaml_edit_updates_form(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    window.show_yaml_tab()
    editor = window.editor.yaml_editors["load"]
    editor.setPlainText(LOAD.replace("write_method: insert", "write_method: upsert"))
    combo = field(window, "load", "write_method")
    assert isinstance(combo, QComboBox)
    window.editor.tabs.setCurrentWidget(window.editor.forms["load"])  # parsed on a worker
    qtbot.waitUntil(lambda: combo.currentText() == "upsert")
    assert window.editor.forms["load"]._db_form.isRowVisible(
        window.editor.forms["load"].primary_key)


def test_broken_yaml_shows_error_and_keeps_form(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    editor = window.editor.yaml_editors["load"]
    editor.setPlainText(LOAD + "table: [oops\n")
    form = window.editor.forms["load"]
    window.editor.tabs.setCurrentWidget(form)  # the text is parsed on a worker
    qtbot.waitUntil(lambda: not form.error_banner.isHidden())
    assert "line" in form.error_banner.text()
    assert field(window, "load", "table").text() == "people"
    assert not form.body.isEnabled()
    assert any("YAML syntax error" in p.message for p in window.problem_model.problems())
    editor.setPlainText(LOAD)
    qtbot.waitUntil(lambda: form.error_banner.isHidden() and form.body.isEnabled())


def test_invalid_value_shows_problem_and_double_click_jumps(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    window.editor.tabs.setCurrentIndex(2)
    batch = field(window, "load", "batch_size")
    qtbot.keyClicks(batch, "lots")
    assert "batch_size: lots" in window.current.text("load")

    def problem_rows():
        return [i for i, p in enumerate(window.problem_model.problems())
                if p.key == "batch_size"]

    qtbot.waitUntil(lambda: bool(problem_rows()), timeout=5000)
    model = window.list_model
    qtbot.waitUntil(lambda: model.index(model.row_of("people")).data(StatusRole) == "problems")
    assert batch.property("has_problem") is True
    assert window.problem_model.problems()[problem_rows()[0]].file == "load.yaml"
    window.problems_view.doubleClicked.emit(window.problem_model.index(problem_rows()[0], 2))
    assert window.editor.tabs.currentIndex() == window.editor.yaml_tab_index
    assert window.editor.yaml_editors["load"].current_line() == 8
    batch.clear()
    qtbot.keyClicks(batch, "50")
    assert "batch_size: 50\n" in window.current.text("load"), window.current.text("load")
    qtbot.waitUntil(lambda: not problem_rows(), timeout=5000)


def test_a_field_problem_is_written_under_the_field(qtbot, window: MainWindow):
    from PySide6.QtWidgets import QLabel

    select(qtbot, window, "people")
    window.editor.tabs.setCurrentIndex(2)
    batch = field(window, "load", "batch_size")
    error = next(w for w in batch.parentWidget().findChildren(QLabel)
                 if w.accessibleName().endswith("problem"))
    assert not error.isVisible()
    qtbot.keyClicks(batch, "lots")
    qtbot.waitUntil(error.isVisible, timeout=5000)
    assert "batch_size" in error.text() or "integer" in error.text().lower(), error.text()
    batch.clear()
    qtbot.keyClicks(batch, "50")
    qtbot.waitUntil(lambda: not error.isVisible(), timeout=5000)


def test_preview_and_runs_wait_for_a_valid_config_and_say_why(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    preview, dry_run = window.actions_by_name["preview"], window.actions_by_name["dry_run"]
    qtbot.waitUntil(lambda: preview.isEnabled(), timeout=5000)
    tip = preview.toolTip()
    window.editor.tabs.setCurrentIndex(2)
    batch = field(window, "load", "batch_size")
    qtbot.keyClicks(batch, "lots")
    qtbot.waitUntil(lambda: not preview.isEnabled(), timeout=5000)
    assert not dry_run.isEnabled() and not window.actions_by_name["run"].isEnabled()
    assert "batch_size" in preview.toolTip() and "Fix the configuration" in dry_run.toolTip()
    batch.clear()
    qtbot.keyClicks(batch, "50")
    qtbot.waitUntil(lambda: preview.isEnabled(), timeout=5000)
    assert preview.toolTip() == tip


def test_undo_redo_across_form_and_yaml(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    table = field(window, "load", "table")
    table.clear()
    qtbot.keyClicks(table, "abc")
    table.editingFinished.emit()
    yaml = window.editor.yaml_editors["load"]
    yaml.setPlainText(yaml.toPlainText().replace("insert", "replace"))
    undo, redo = window.actions_by_name["undo"], window.actions_by_name["redo"]
    undo.trigger()
    assert field(window, "load", "write_method").currentText() == "insert"
    assert table.text() == "abc"
    undo.trigger()
    assert table.text() == "people" and not window.current.is_dirty()
    redo.trigger()
    assert table.text() == "abc"
    assert next(s.toString() for s in redo.shortcuts()) == "Ctrl+Shift+Z"


def test_ctrl_z_in_the_yaml_editor_undoes_typing_step_by_step(qtbot, window: MainWindow):
    select(qtbot, window, "people")
    window.editor.tabs.setCurrentIndex(window.editor.yaml_tab_index)
    window.editor.yaml_tabs.setCurrentIndex(list(window.editor.yaml_editors).index("load"))
    yaml = window.editor.yaml_editors["load"]
    qtbot.waitExposed(yaml)
    yaml.setFocus()
    original = yaml.toPlainText()
    cursor = yaml.textCursor()
    cursor.movePosition(cursor.MoveOperation.End)
    yaml.setTextCursor(cursor)
    qtbot.keyClicks(yaml, "# one")
    qtbot.wait(TYPING_PAUSE_MS + 200)  # a pause ends the first undo step
    qtbot.keyClicks(yaml, " two")
    assert yaml.toPlainText() == original + "# one two"
    qtbot.keyClick(yaml, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert yaml.toPlainText() == original + "# one"  # the editor's own Ctrl+Z, one step
    qtbot.keyClick(yaml, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert yaml.toPlainText() == original and not window.current.is_dirty()
    qtbot.keyClick(yaml, Qt.Key.Key_Z,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert yaml.toPlainText() == original + "# one"


def test_restore_after_simulated_crash(qtbot, workspace: Path, monkeypatch):
    win = MainWindow(workspace)
    qtbot.addWidget(win)
    select(qtbot, win, "people")
    win.current.set_value("extract", "batch_size", 7)
    win.write_drafts()  # what the autosave timer does
    assert (workspace / ".pycharter" / "drafts" / "people" / "extract.yaml").is_file()
    # simulated crash: the window disappears without closing properly
    win.validation.shutdown()
    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: dialogs.Button.Yes)
    win2 = MainWindow(workspace)
    qtbot.addWidget(win2)
    doc = win2.workspace.document("people")
    assert doc.value("extract", "batch_size") == 7 and doc.is_dirty()
    assert b"batch_size: 100" in (workspace / "people" / "extract.yaml").read_bytes()
    win2.file_ops.save_all()
    assert not (workspace / ".pycharter" / "drafts" / "people").exists()
    win2.close()


def test_new_pipeline_from_template(qtbot, window: MainWindow, workspace: Path, monkeypatch):
    monkeypatch.setattr(dialogs, "new_pipeline", lambda _parent: ("csv_to_sqlite", "fresh"))
    window.actions_by_name["new"].trigger()  # copied on a worker
    qtbot.waitUntil(lambda: window.current is not None and window.current.name == "fresh")
    assert (workspace / "fresh" / "extract.yaml").is_file()
    assert "#" in window.current.text("extract")  # templates are commented


def test_close_with_unsaved_changes_asks(qtbot, window: MainWindow, monkeypatch):
    select(qtbot, window, "people")
    window.current.set_value("load", "table", "x")
    asked = []
    monkeypatch.setattr(dialogs, "ask", lambda *a, **k: asked.append(a) or dialogs.Button.Cancel)
    assert not window.close()
    assert asked and window.isVisible()


def test_source_type_switch_shows_matching_fields(qtbot, window: MainWindow):
    select(qtbot, window, "api_items")
    form = window.editor.forms["extract"]
    assert not form.http_box.isHidden() and form.file_box.isHidden()
    combo = form.type_combo
    combo.setCurrentIndex(combo.findText("database"))
    combo.activated.emit(combo.currentIndex())
    assert "type: database" in window.current.text("extract")
    assert not form.db_box.isHidden() and form.http_box.isHidden()
    params = field(window, "extract", "params")
    assert params.mapping() == {"limit": 50}


def test_accessible_names(qtbot, window: MainWindow):
    names = {w.accessibleName() for w in window.findChildren(QLineEdit)} | {
        window.pipeline_list.accessibleName(), window.problems_view.accessibleName()}
    assert {"Pipeline list", "Problems list"} <= names
    assert window.toolbar.widgetForAction(window.actions_by_name["save"]).accessibleName() \
        == "Save"
    assert window.editor.forms["extract"].accessibleName() == "Extract form"
    assert window.editor.yaml_editors["load"].accessibleName() == "YAML editor load"
    assert Qt.Key  # keep Qt imported for keyboard helpers


def test_field_tooltips_come_from_the_engine_config_spec(qtbot) -> None:
    from pycharter_gui.designer.views.forms.extract import ExtractForm
    from pycharter_gui.etl_generator.config import field_descriptions

    form = ExtractForm()
    qtbot.addWidget(form)
    expected = field_descriptions("extract")["batch_size"]
    binding = next(b for b in form.bindings if b.keys[0] == "batch_size")
    qtbot.waitUntil(lambda: expected in binding.widget.toolTip(), timeout=5000)
