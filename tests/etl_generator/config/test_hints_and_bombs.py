"""Issue 13/14: plausible did-you-mean hints, pycharter's ignored keys, YAML bombs."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from pycharter_gui.cli import main
from pycharter_gui.etl_generator.config.yaml_io import read_config_file
from pycharter_gui.etl_generator.errors import ConfigError

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))


def _bomb(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "words"), [
    (LAUGHS, "expands to more than"),
    ("x: " + "[" * 3000 + "]" * 3000 + "\n", "nests deeper than"),
    ("x:\n  " + "- " * 3000 + "1\n", "nests deeper than"),
    ("".join(" " * i + f"k{i}:\n" for i in range(400)) + " " * 400 + "v: 1\n",
     "nests deeper than"),
])
def test_yaml_bombs_fail_fast_naming_the_file(tmp_path: Path, text: str, words: str) -> None:
    path = _bomb(tmp_path, "extract.yaml", text)
    started = time.monotonic()
    with pytest.raises(ConfigError) as info:
        read_config_file(path)
    assert time.monotonic() - started < 10
    [problem] = info.value.problems
    assert problem.file == str(path) and words in problem.message


def test_deep_json_and_huge_files_fail_with_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="nests deeper"):
        read_config_file(_bomb(tmp_path, "extract.json", "[" * 5000 + "]" * 5000))
    big = tmp_path / "load.yaml"
    big.write_text("# padding\n" * 600_000)
    with pytest.raises(ConfigError, match="larger than"):
        read_config_file(big)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_cli_exits_2_on_a_yaml_bomb(tmp_path: Path, command: str,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    _bomb(tmp_path, "extract.yaml", LAUGHS)
    (tmp_path / "load.yaml").write_text("type: file\npath: out.jsonl\n")
    out = io.StringIO()
    started = time.monotonic()
    assert main([command, str(tmp_path)], out=out) == 2
    assert time.monotonic() - started < 20
    text = out.getvalue() + capsys.readouterr().err
    assert "extract.yaml" in text and "expands to more than" in text


def test_normal_anchors_and_nesting_still_load(tmp_path: Path) -> None:
    path = _bomb(tmp_path, "load.yaml", "base: &b {a: 1, b: [1, 2]}\nx: *b\ny: {<<: *b, c: 3}\n"
                 "deep: " + "[" * 50 + "]" * 50 + "\n")
    data, _lines = read_config_file(path)
    assert data["x"] == {"a": 1, "b": [1, 2]} and data["y"]["c"] == 3
