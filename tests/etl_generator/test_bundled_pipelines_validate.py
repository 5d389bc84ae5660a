"""Every template and example the app ships validates cleanly through the CLI (exit 0), so an
analyst's first pipeline never starts with a problem the app itself put there."""

from __future__ import annotations

import pytest

from pycharter_gui.cli import main
from pycharter_gui.paths import resource_path

BUNDLED = sorted(p for kind in ("templates", "examples")
                 for p in resource_path(kind).iterdir() if (p / "extract.yaml").is_file())


def test_the_bundle_has_templates_and_examples() -> None:
    assert {p.parent.name for p in BUNDLED} == {"templates", "examples"}
    assert len(BUNDLED) >= 6


@pytest.mark.parametrize("folder", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_bundled_pipeline_validates(folder, capsys) -> None:
    assert main(["validate", str(folder)]) == 0, capsys.readouterr()
    assert "configuration is valid" in capsys.readouterr().out
