"""The CLI and the designer (process owners) prefer Arrow's jemalloc pool on Linux; the engine
used as a library leaves the host's choice alone; a user's own setting wins."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = ("import sys\n{setup}\n"
        "import pyarrow as pa\nprint(pa.default_memory_pool().backend_name)\n")


def _pool(setup: str, **env: str) -> str:
    environ = {k: v for k, v in os.environ.items() if k != "ARROW_DEFAULT_MEMORY_POOL"}
    out = subprocess.run([sys.executable, "-c", CODE.format(setup=setup)], capture_output=True,
                         text=True, timeout=60, env={**environ, **env})
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="jemalloc is preferred on Linux")
def test_the_cli_prefers_jemalloc_and_a_user_setting_wins() -> None:
    run_cli = "from pycharter_gui.cli import main\nmain(['list', '.'])"
    assert _pool(run_cli) == "jemalloc"
    assert _pool(run_cli, ARROW_DEFAULT_MEMORY_POOL="system") == "system"


def test_the_engine_as_a_library_leaves_the_pool_alone() -> None:
    default = _pool("")
    assert _pool("import pycharter_gui.etl_generator as e\ne.ETLOrchestrator") == default


def test_the_designer_entry_point_configures_before_arrow_loads() -> None:
    code = "import sys\nimport pycharter_gui.designer.app\nprint('pyarrow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr
