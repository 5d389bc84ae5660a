"""A file's indentation is detected from its first lines: before, every candidate style was a
dump of the whole file (seven for a file no candidate reproduces exactly, ~160 ms each at
3,000 lines, pure Python holding the interpreter lock while the window waited; issue 12)."""

from __future__ import annotations

import pytest

from pycharter_gui.designer import yaml_roundtrip as yrt
from pycharter_gui.designer.yaml_roundtrip import reading


def _text(lines: int, mapping: int, sequence: int, offset: int, *, odd_tail: bool = False) -> str:
    """A config in one indentation style (``sequence`` only matters to nested lists, which
    it has none of): a long map and a list under ``transform``."""
    m, dash = " " * mapping, " " * offset + "- "
    out = ["# generated", "transform:", f"{m}drop:"]
    out += [f"{m}{dash}col_{i}" for i in range(3)]
    out += [f"{m}rename:"]
    out += [f"{m}{m}column_{i}: renamed_{i}   # note {i}" for i in range(lines)]
    if odd_tail:  # a line no candidate writes back as it is (extra spaces before the value)
        out += [f"{m}convert:", f"{m}{m}amount:     float"]
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("style", reading._CANDIDATES[:3])
def test_long_file_style_matches_whole_file_detection(style: tuple[int, int, int]) -> None:
    text = _text(3000, *style, odd_tail=True)
    data = yrt.parse(text)
    found = yrt.detect_style(text, data)
    assert (found.mapping, found.offset) == (style[0], style[2])
    assert found == reading._best_style(text, data, False)  # what the whole file gives


def test_long_file_is_never_dumped_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    dumped: list[int] = []
    dump = reading.dump

    def counting(data: object, style: yrt.YamlStyle) -> str:
        out = dump(data, style)
        dumped.append(out.count("\n"))
        return out

    monkeypatch.setattr(reading, "dump", counting)
    text = _text(3000, 4, 4, 2, odd_tail=True)  # not the first candidate: several dumps
    yrt.detect_style(text, yrt.parse(text))
    assert len(dumped) > 1
    assert max(dumped) <= reading.STYLE_SAMPLE_LINES


def test_head_that_does_not_parse_falls_back_to_the_whole_text() -> None:
    # line 150 ends inside a quoted value: the head alone is no valid YAML
    body = [f"  k{i}: v{i}" for i in range(reading.STYLE_SAMPLE_LINES - 2)]
    text = "\n".join(["top:", *body, '  quoted: "a', '    b"', "  after: 1"]) + "\n"
    with pytest.raises(yrt.ParseError):
        yrt.parse("\n".join(text.split("\n")[:reading.STYLE_SAMPLE_LINES]) + "\n")
    assert yrt.detect_style(text).mapping == 2


def test_explicit_start_is_read_from_the_whole_text() -> None:
    text = "---\n" + _text(400, 2, 2, 0)
    assert yrt.detect_style(text).explicit_start is True
