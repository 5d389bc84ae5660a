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


# -- did-you-mean hints and pycharter's ignored keys -----------------------------------------

def _problems(tmp_path: Path, extract: str, transform: str | None = None,
              settings: str | None = None) -> list:
    from pycharter_gui.etl_generator import validate_pipeline

    (tmp_path / "in.csv").write_text("a\n1\n")
    (tmp_path / "extract.yaml").write_text(extract)
    (tmp_path / "load.yaml").write_text("type: file\npath: out.jsonl\n")
    if transform is not None:
        (tmp_path / "transform.yaml").write_text(transform)
    if settings is not None:
        (tmp_path / "settings.yaml").write_text(settings)
    return validate_pipeline(tmp_path)


HTTP = "type: http\nurl: https://example.invalid/api\n"


@pytest.mark.parametrize(("extra", "bad", "good"), [
    ("format: json\n", "'form'", "response_format"),
    ("api_version: 2\n", "'version'", "accepted keys here"),
])
def test_no_look_alike_hints(tmp_path: Path, extra: str, bad: str, good: str) -> None:
    [problem] = [p for p in _problems(tmp_path, HTTP + extra) if p.severity == "error"]
    text = f"{problem.message} {problem.hint}"
    assert bad not in text and good in text, text


def test_metadata_is_not_metadata_store(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "type: file\npath: in.csv\n", settings="metadata: {a: 1}\n")
    [problem] = [p for p in problems if p.severity == "error"]
    assert "did you mean" not in problem.message and problem.key == "metadata"


def test_real_typos_still_get_a_hint(tmp_path: Path) -> None:
    problems = _problems(tmp_path, "type: file\npath: in.csv\nbatchsize: 5\n")
    [problem] = [p for p in problems if p.severity == "error"]
    assert "did you mean 'batch_size'" in problem.message


@pytest.mark.parametrize("key", ["processing_mode: streaming", "max_memory_mb: 512",
                                 "checkpoint: {enabled: true}"])
def test_keys_pycharter_ignored_are_accepted_with_a_warning(tmp_path: Path, key: str) -> None:
    problems = _problems(tmp_path, f"type: file\npath: in.csv\n{key}\n")
    assert [p.severity for p in problems] == ["warning"]
    name = key.split(":")[0]
    assert problems[0].key == name and "pycharter ignored it" in problems[0].message
    assert problems[0].hint  # where the setting lives here


@pytest.mark.parametrize("transform", [
    "transform:\n  rename: {a: b}\n  custom_function: {module: m, function: f}\n",
    "transform:\n  - rename: {a: b}\n  - custom_function: {module: m, function: f}\n",
])
def test_custom_function_under_transform_is_accepted_with_a_warning(
        tmp_path: Path, transform: str) -> None:
    problems = _problems(tmp_path, "type: file\npath: in.csv\n", transform)
    [warning] = problems
    assert warning.severity == "warning" and warning.key.endswith("custom_function")
    assert "top level" in warning.hint
