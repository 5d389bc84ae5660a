"""A pipeline with a run in progress is marked as running in the workspace list (issue 14:
"the designer shows a running pipeline as such"), also while another pipeline is shown."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from pycharter_gui.designer.main_window import MainWindow
from pycharter_gui.designer.models.pipelines import StatusRole


def _pipeline(root: Path, name: str, rows: int) -> None:
    folder = root / name
    folder.mkdir(parents=True)
    with open(folder / "data.csv", "w", encoding="utf-8") as fh:
        fh.write("id,name\n")
        fh.writelines(f"{i},n{i}\n" for i in range(rows))
    (folder / "extract.yaml").write_text("type: file\npath: data.csv\nbatch_size: 500\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    (folder / "transform.yaml").write_text("transform: {}\n")


def test_a_running_pipeline_is_marked_in_the_list_until_its_run_ends(qtbot, tmp_path: Path):
    ws = tmp_path / "ws"
    _pipeline(ws, "big", 200_000)
    _pipeline(ws, "small", 3)
    win = MainWindow(ws)
    qtbot.addWidget(win)
    win.show()
    model = win.list_model

    def status(name: str) -> str:
        return model.index(model.row_of(name)).data(StatusRole)

    win.select_pipeline("big")
    qtbot.waitUntil(lambda: win.current is not None and win.current.name == "big")
    qtbot.waitUntil(lambda: status("big") == "valid", timeout=10_000)
    panel = win.data_docks.run_panel
    with qtbot.waitSignal(panel.run_finished, timeout=60_000):
        assert panel.start_run(dry_run=True)
        assert status("big") == "running"
        win.select_pipeline("small")  # the mark stays while another pipeline is shown
        qtbot.waitUntil(lambda: win.current.name == "small")
        assert status("big") == "running" and status("small") != "running"
        assert "Running" in model.index(model.row_of("big")).data(Qt.ItemDataRole.ToolTipRole)
    assert status("big") == "valid"
    win.close()
