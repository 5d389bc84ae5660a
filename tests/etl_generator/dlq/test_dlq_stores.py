"""``open_dead_letter_file``: the suffix picks the backend; SQLite finds its table."""

from __future__ import annotations

import pytest
from dlq_helpers import make_records

from pycharter_gui.etl_generator import DeadLetterQueue, open_dead_letter_file


@pytest.mark.parametrize("table", [None, "orders_dead_letters"])
def test_sqlite_file_opens_its_dead_letter_table(tmp_path, table) -> None:
    path = tmp_path / "dlq.db"
    DeadLetterQueue(storage_backend="sqlite", storage_path=path, table_name=table).add_records(
        make_records(4))
    queue = open_dead_letter_file(path)
    assert queue.storage_backend == "sqlite" and queue.count() == 4


def test_jsonl_file_and_refusals(tmp_path) -> None:
    path = tmp_path / "dlq.jsonl"
    DeadLetterQueue(storage_backend="file", storage_path=path).add_records(make_records(3))
    assert open_dead_letter_file(path).count() == 3
    with pytest.raises(ValueError, match=r"notes\.txt is not a dead-letter file"):
        open_dead_letter_file(tmp_path / "notes.txt")
    (tmp_path / "junk.db").write_text("not sqlite", encoding="utf-8")
    with pytest.raises(ValueError, match="not a readable SQLite file"):
        open_dead_letter_file(tmp_path / "junk.db")
