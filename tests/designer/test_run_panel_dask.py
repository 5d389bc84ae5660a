"""'Run on Dask' in the Run panel runs the pipeline partitioned on a local Dask cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import Qt

from pycharter_gui.designer.views.run_panel import RunPanel


def test_dry_run_on_dask_reports_partitions_and_writes_nothing(qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "ws" / "glob_to_jsonl"
    (folder / "data").mkdir(parents=True)
    for part in range(3):
        (folder / "data" / f"part{part}.csv").write_text(
            "id,name\n" + "".join(f"{part * 10 + i},n{i}\n" for i in range(10)))
    (folder / "extract.yaml").write_text("path: data/*.csv\n")
    (folder / "transform.yaml").write_text("")
    (folder / "load.yaml").write_text("path: out/all.jsonl\nformat: jsonl\n")
    before = sorted(p.name for p in folder.rglob("*"))

    panel = RunPanel()
    qtbot.addWidget(panel)
    panel.set_pipeline(folder)
    panel.show()
    qtbot.waitExposed(panel)
    qtbot.mouseClick(panel.dask_check, Qt.MouseButton.LeftButton)
    assert panel.dask_address.isEnabled()
    with qtbot.waitSignal(panel.run_finished, timeout=90000) as blocker:
        qtbot.mouseClick(panel.dry_run_button, Qt.MouseButton.LeftButton)
    result = blocker.args[0]
    assert result["success"], result["error"]
    assert len(result["partitions"]) == 3
    assert result["extraction"]["total_records"] == 30
    assert sorted(p.name for p in folder.rglob("*")) == before
    shutil.rmtree(folder / ".pycharter", ignore_errors=True)
