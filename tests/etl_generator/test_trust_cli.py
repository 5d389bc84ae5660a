"""Custom Python code runs only from the pipeline folder or an installed package, and the CLI
runs it only with --trust or in a workspace marked trusted (issue 14, code outside the pipeline)."""

from __future__ import annotations

import asyncio
import io
import stat
import sys
from pathlib import Path

import pytest

from pycharter_gui.cli import main
from pycharter_gui.etl_generator import (
    ConfigError,
    is_workspace_trusted,
    save_pipeline_test,
    set_workspace_trusted,
    transform_batch,
    workspace_trust_decision,
)
from pycharter_gui.etl_generator.trust import TRUST_FILE, config_dir

MARKING_MODULE = '''
from pathlib import Path
Path(__file__).with_name("imported.marker").write_text("module code ran")

def tag(record, **kw):
    return dict(record, tagged=True)
'''


def _cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(args), out=out), out.getvalue()


def _pipeline(root: Path, custom: str, name: str = "pipe") -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "in.csv").write_text("id,name\n1,a\n2,b\n")
    (folder / "extract.yaml").write_text("path: in.csv\n")
    (folder / "transform.yaml").write_text(f"custom_function:\n{custom}  mode: record\n")
    (folder / "load.yaml").write_text("type: file\npath: out.jsonl\nformat: jsonl\n")
    return folder


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("sys.path", list(sys.path))
    for name in ("marking", "helpers"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return tmp_path / "ws"


@pytest.mark.parametrize("args", [["run", "--dry-run"], ["run"], ["preview"], ["test"]])
def test_untrusted_custom_code_exits_2_and_never_imports(workspace: Path, capsys, args) -> None:
    folder = _pipeline(workspace, "  module: marking\n  function: tag\n")
    if args == ["test"]:  # a saved test case, frozen while the module was harmless
        (folder / "marking.py").write_text("def tag(record, **kw):\n    return record\n")
        asyncio.run(save_pipeline_test(folder, "case", [{"id": 1, "name": "a"}]))
        sys.modules.pop("marking", None)
    (folder / "marking.py").write_text(MARKING_MODULE)
    code, _ = _cli(*args, str(folder))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "marking.tag" in err and "not trusted" in err
    assert "--trust" in err and "in the designer and choose Trust" in err
    assert not (folder / "imported.marker").exists()
    assert not (folder / "out.jsonl").exists()


def test_trust_flag_or_workspace_mark_runs_it(workspace: Path) -> None:
    folder = _pipeline(workspace, "  module: marking\n  function: tag\n")
    (folder / "marking.py").write_text(MARKING_MODULE)
    code, out = _cli("preview", str(folder), "--trust")
    assert code == 0 and "tagged" in out
    assert _cli("preview", str(folder), "--raw")[0] == 0  # no transform, nothing to trust
    assert _cli("run", str(folder))[0] == 2
    set_workspace_trusted(workspace)  # the designer's "Trust" on the workspace above it
    assert _cli("run", str(folder))[0] == 0
    assert (folder / "out.jsonl").read_text().count('"tagged": true') == 2


def test_nearest_decision_wins_and_the_mark_is_private(workspace: Path) -> None:
    folder = _pipeline(workspace, "  module: marking\n  function: tag\n")
    set_workspace_trusted(workspace)
    set_workspace_trusted(folder, False)
    assert is_workspace_trusted(workspace) and not is_workspace_trusted(folder)
    assert workspace_trust_decision(folder / "x") is None
    assert not is_workspace_trusted(workspace.parent)
    mark = config_dir() / TRUST_FILE
    assert stat.S_IMODE(mark.stat().st_mode) == 0o600
    assert not list(workspace.rglob(TRUST_FILE)), "a folder never carries its own trust"


def test_module_file_outside_the_pipeline_folder_is_refused(tmp_path: Path, capsys) -> None:
    evil = tmp_path / "evil"
    evil.mkdir()
    (evil / "outside_mod.py").write_text(MARKING_MODULE)
    folder = _pipeline(tmp_path / "ws", "  module: ../../evil/outside_mod.py\n"
                                        "  function: tag\n")
    code, _ = _cli("preview", str(folder), "--trust")
    err = capsys.readouterr().err
    assert code == 2 and "outside the pipeline folder" in err, err
    code, out = _cli("run", "--dry-run", str(folder), "--trust")  # a run fails, naming it
    assert code == 1 and "outside the pipeline folder" in out, out
    assert not (evil / "imported.marker").exists()


def test_symlinked_module_pointing_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside_mod.py").write_text(MARKING_MODULE)
    folder = _pipeline(tmp_path / "ws", "  module: linked.py\n  function: tag\n")
    (folder / "linked.py").symlink_to(tmp_path / "outside_mod.py")
    with pytest.raises(ConfigError, match="outside the pipeline folder"):
        transform_batch([{"id": 1}], {"custom_function": {"module": "linked.py", "function": "tag"},
                                      "base_dir": str(folder)})
    assert not (tmp_path / "imported.marker").exists()


@pytest.mark.parametrize("custom", [
    "  callable: subprocess.run\n",
    "  module: os\n  function: system\n",
    "  module: marking\n  function: run\n",  # a pipeline module re-exporting subprocess.run
])
def test_standard_library_functions_are_refused_even_when_trusted(
        workspace: Path, capsys, custom: str) -> None:
    folder = _pipeline(workspace, custom)
    (folder / "marking.py").write_text("from subprocess import run\n")
    code, _ = _cli("preview", str(folder), "--trust")
    err = capsys.readouterr().err
    assert code == 2 and "standard library" in err and "pipeline folder" in err, err


def test_installed_package_function_is_allowed(tmp_path: Path) -> None:
    cfg = {"custom_function": {"callable": "yaml.safe_dump", "mode": "batch"},
           "base_dir": str(tmp_path)}
    records = transform_batch([{"id": 1}], cfg)  # PyYAML is installed: allowed, returns text
    assert records.rejected and "returned a str" in records.rejected[0].message


def test_dotted_module_comes_from_this_pipeline_folder_first(workspace: Path) -> None:
    outputs = []
    for name in ("a", "b"):
        folder = _pipeline(workspace, "  module: helpers\n  function: tag\n", name=name)
        (folder / "helpers.py").write_text(
            f"def tag(record, **kw):\n    return dict(record, by={name!r})\n")
        outputs.append(transform_batch([{"id": 1}], {
            "custom_function": {"module": "helpers", "function": "tag", "mode": "record"},
            "base_dir": str(folder)}).records)
    assert outputs == [[{"id": 1, "by": "a"}], [{"id": 1, "by": "b"}]]


def test_designer_trust_uses_the_engine_mark_and_moves_old_decisions(tmp_path: Path) -> None:
    pytest.importorskip("PySide6")
    from PySide6.QtCore import QSettings

    from pycharter_gui.designer.trust import LEGACY_SETTINGS_KEY, WorkspaceTrust

    old, new = tmp_path / "old", tmp_path / "new"
    QSettings().setValue(LEGACY_SETTINGS_KEY, f'{{"{old.resolve()}": true}}')
    trust = WorkspaceTrust()
    assert is_workspace_trusted(old) and QSettings().value(LEGACY_SETTINGS_KEY) is None
    trust.set_trusted(new)
    assert is_workspace_trusted(new) and trust.is_trusted(new / "pipeline")
