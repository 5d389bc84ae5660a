"""A config text parsed lately is not parsed again (issue 12: every pipeline switch in the
designer re-read the whole config to find its dead-letter queue, ~350 ms of pure Python for a
3,000-line transform.yaml, holding the interpreter lock while the window waited)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from pycharter_gui.etl_generator import load_pipeline_config
from pycharter_gui.etl_generator.config import yaml_io
from pycharter_gui.etl_generator.errors import ConfigError


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The texts the round-trip parser really parsed (the cache starts empty)."""
    monkeypatch.setattr(yaml_io, "_PARSED", type(yaml_io._PARSED)())
    seen: list[str] = []
    load = YAML.load

    def counting(self: YAML, stream: object) -> object:
        seen.append(str(stream))
        return load(self, stream)

    monkeypatch.setattr(YAML, "load", counting)
    return seen


def _big_transform(lines: int) -> str:
    return "rename:\n" + "".join(f"  column_{i}: renamed_{i}  # note {i}\n"
                                 for i in range(lines))


def test_same_text_parsed_once_and_copies_are_independent(parses: list[str]) -> None:
    text = "transform:\n  rename: {a: b}\n  drop: [x, y]\n"
    first, lines = yaml_io.parse_yaml_text(text, "t.yaml")
    first["transform"]["drop"].append("z")  # a caller changing its data
    lines["transform"] = 99
    second, lines2 = yaml_io.parse_yaml_text(text, "t.yaml")
    assert second == {"transform": {"rename": {"a": "b"}, "drop": ["x", "y"]}}
    assert lines2["transform"] == 1
    assert len(parses) == 1


def test_other_text_or_file_parses_again(parses: list[str]) -> None:
    yaml_io.parse_yaml_text("a: 1\n", "one.yaml")
    yaml_io.parse_yaml_text("a: 2\n", "one.yaml")
    yaml_io.parse_yaml_text("a: 1\n", "two.yaml")  # errors name the file: not shared
    assert len(parses) == 3


def test_errors_and_huge_texts_are_not_kept(parses: list[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(2):
        with pytest.raises(ConfigError, match="invalid YAML"):
            yaml_io.parse_yaml_text("a: [1, 2\n", "bad.yaml")
    monkeypatch.setattr(yaml_io, "_PARSED_TEXT_MAX", 10)
    for _ in range(2):
        assert yaml_io.parse_yaml_text("a: 12345678901\n", "big.yaml")[0] == {"a": 12345678901}
    assert len(parses) == 4


def test_cache_is_bounded(parses: list[str]) -> None:
    for i in range(yaml_io._PARSED_MAX + 5):
        yaml_io.parse_yaml_text(f"a: {i}\n")
    assert len(yaml_io._PARSED) == yaml_io._PARSED_MAX
    yaml_io.parse_yaml_text("a: 0\n")  # evicted first: parsed again
    assert len(parses) == yaml_io._PARSED_MAX + 6


def test_loading_a_pipeline_again_does_not_parse_its_files_again(
        parses: list[str], tmp_path: Path) -> None:
    (tmp_path / "extract.yaml").write_text("path: in.csv\n")
    (tmp_path / "transform.yaml").write_text(_big_transform(300))
    (tmp_path / "load.yaml").write_text("path: out.csv\n")
    first = load_pipeline_config(contract_dir=tmp_path)
    parsed = len(parses)
    second = load_pipeline_config(contract_dir=tmp_path)
    assert len(parses) == parsed  # nothing parsed the second time
    assert second.transform == first.transform
    (tmp_path / "transform.yaml").write_text(_big_transform(301))  # an edit is read
    third = load_pipeline_config(contract_dir=tmp_path)
    assert len(parses) == parsed + 1
    assert third.transform != first.transform
