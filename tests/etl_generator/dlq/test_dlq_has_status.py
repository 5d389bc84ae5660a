"""``DeadLetterQueue.has_status``: exact on every backend, cheap on JSON Lines."""

from __future__ import annotations

import json
import mmap

import pytest
from dlq_helpers import make_records

from pycharter_gui.etl_generator.dead_letter import DLQStatus
from pycharter_gui.etl_generator.dead_letter.backends import jsonl_search


def test_has_status_follows_status_changes(filled) -> None:
    queue, records = filled
    assert queue.has_status("pending")
    assert not queue.has_status(DLQStatus.RESOLVED)
    queue.set_status(records[3].id, "resolved")
    assert queue.has_status("resolved")
    with pytest.raises(ValueError, match="expected one of"):
        queue.has_status("done")


def test_a_status_word_in_the_record_data_does_not_count(queue) -> None:
    record = make_records(1)[0]
    record.record_data["note"] = "resolved"
    queue.add_records([record])
    assert not queue.has_status("resolved")


@pytest.mark.parametrize("pad", [0, 1500, 4000, 4090, 8100, 12000])
def test_jsonl_search_finds_lines_across_windows(tmp_path, monkeypatch, pad) -> None:
    """A resolved line anywhere, straddling mapped windows, is found; a torn tail is not."""
    monkeypatch.setattr(jsonl_search, "WINDOW", mmap.ALLOCATIONGRANULARITY)
    filler = json.dumps({"status": "pending", "data": "x" * 700}) + "\n"
    target = json.dumps({"status": "resolved", "data": "y" * 300}) + "\n"
    text = filler * (pad // len(filler)) + target + filler * 20
    path = tmp_path / "d.jsonl"
    path.write_text(text, encoding="utf-8")
    assert jsonl_search.file_has_status(path, "resolved")
    assert not jsonl_search.file_has_status(path, "ignored")
    torn = tmp_path / "torn.jsonl"
    torn.write_text(filler * 10 + target.rstrip("\n"), encoding="utf-8")
    assert not jsonl_search.file_has_status(torn, "resolved")
    assert not jsonl_search.file_has_status(tmp_path / "missing.jsonl", "resolved")
