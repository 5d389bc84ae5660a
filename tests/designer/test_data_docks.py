"""The main window's data docks: preview (F5), before/after following YAML edits, dry run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.paths import resource_path


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def window(qtbot, tmp_path: Path):
    ws = tmp_path / "ws"
    shutil.copytree(resource_path("examples"), ws)
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    win.select_pipeline("orders_to_sqlite")
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == "orders_to_sqlite")
    yield win
    if win.workspace:
        for doc in win.workspace.dirty_documents():
            doc.revert()
    win.close()


def test_preview_then_before_after_follows_a_yaml_edit(qtbot, window: MainWindow) -> None:
    docks = window.data_docks
    with qtbot.waitSignal(docks.preview.preview_finished, timeout=15000):
        window.actions_by_name["preview"].trigger()
    assert docks.preview.model.rowCount() > 0
    assert "OrderID" in docks.preview.model.columns()
    qtbot.waitUntil(lambda: "customer" in docks.transform_preview.after_model.columns(), timeout=10000)

    # Renaming a field the contract does not require (renaming `customer` would reject every
    # record: the before/after applies the contract, as the run does).
    editor = window.editor.yaml_editors["transform"]
    editor.setPlainText(editor.toPlainText().replace("Product: product", "Product: item"))
    qtbot.waitUntil(lambda: "item" in docks.transform_preview.after_model.columns(), timeout=10000)
    assert "product" not in docks.transform_preview.after_model.columns()


def test_dry_run_from_the_menu_reports_counts_and_writes_nothing(qtbot, window: MainWindow) -> None:
    folder = window.current.path
    before = _files(folder)
    panel = window.data_docks.run_panel
    with qtbot.waitSignal(panel.run_finished, timeout=30000) as blocker:
        window.actions_by_name["dry_run"].trigger()
    result = blocker.args[0]
    assert result["dry_run"] and result["success"]
    assert result["loading"]["total_records"] == 42
    assert result["dead_lettered"] == 3
    assert _files(folder) == before
    assert "42" in panel.summary_label.text()


def test_dry_run_summary_links_to_its_dead_letters(qtbot, window: MainWindow) -> None:
    docks = window.data_docks
    with qtbot.waitSignal(docks.run_panel.run_finished, timeout=30000):
        window.actions_by_name["dry_run"].trigger()
    assert docks.run_panel.dead_letters_button.isVisible()
    qtbot.mouseClick(docks.run_panel.dead_letters_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: docks.dead_letters.model.rowCount() == 3, timeout=10000)
    assert docks.docks["dead_letters"].isVisible()


def test_dry_run_link_is_not_hidden_by_an_earlier_run_filter(qtbot, window: MainWindow) -> None:
    docks = window.data_docks
    docks.dead_letters.show_run("an-earlier-run")  # e.g. left by a link from the Runs panel
    with qtbot.waitSignal(docks.run_panel.run_finished, timeout=30000):
        window.actions_by_name["dry_run"].trigger()
    qtbot.mouseClick(docks.run_panel.dead_letters_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: docks.dead_letters.model.rowCount() == 3, timeout=10000)
    assert "an-earlier" not in docks.dead_letters.filter_bar.run_chip.text()


def test_jsonata_console_expression_goes_into_transform_yaml_and_undoes(
        qtbot, window: MainWindow) -> None:
    docks = window.data_docks
    docks.docks["jsonata"].show()
    docks.docks["jsonata"].raise_()
    console = docks.jsonata
    console.editor.clear()
    qtbot.keyClicks(console.editor, "$count($)")
    before = window.current.text("transform")
    qtbot.mouseClick(console.apply_button, Qt.MouseButton.LeftButton)
    text = window.current.text("transform")
    assert "expression: $count($)" in text and f"mode: {console.mode_combo.currentData()}" in text
    assert window.current.is_dirty()
    for _ in range(2):  # expression, then mode when it changed
        if window.current.text("transform") != before:
            window.actions_by_name["undo"].trigger()
    assert window.current.text("transform") == before


def test_run_parameters_reach_preview_and_dry_run(qtbot, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    folder = ws / "by_region"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text("id,region\n1,eu\n2,us\n3,eu\n")
    (folder / "extract.yaml").write_text(
        "path: data.csv\ninput_params:\n  region:\n    type: string\n    required: true\n")
    (folder / "transform.yaml").write_text("transform:\n  add:\n    wanted: ${region}\n")
    (folder / "load.yaml").write_text("path: out.jsonl\nformat: jsonl\n")
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    qtbot.waitExposed(win)
    qtbot.waitUntil(lambda: win.current is not None)
    docks = win.data_docks
    assert "region=" in docks.params_edit.placeholderText()

    with qtbot.waitSignal(docks.run_panel.run_failed, timeout=15000) as failed:
        win.actions_by_name["dry_run"].trigger()
    assert "region" in failed.args[0]  # a required parameter is missing: said, not crashed

    qtbot.keyClicks(docks.params_edit, "region=eu")
    qtbot.keyClick(docks.params_edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(docks.run_panel.run_finished, timeout=15000) as blocker:
        win.actions_by_name["dry_run"].trigger()
    assert blocker.args[0]["success"], blocker.args[0]["error"]
    with qtbot.waitSignal(docks.preview.preview_finished, timeout=15000):
        win.actions_by_name["preview"].trigger()
    assert docks.preview.model.rowCount() == 3
    win.close()
