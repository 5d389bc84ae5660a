"""DeadLetterTableModel pages lazily through each DLQ backend and stays bounded."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from pycharter_gui.designer.models.dead_letter_table_model import (
    PLACEHOLDER,
    DeadLetterTableModel,
    RecordRole,
)
from pycharter_gui.etl_generator import DeadLetterQueue, DeadLetterRecord, DLQFilter


def fill(queue: DeadLetterQueue, n: int) -> list[DeadLetterRecord]:
    records = [
        DeadLetterRecord("orders", {"order_id": i, "amount": f"x{i}"},
                         "validation_error" if i % 3 else "transformation_error",
                         f"bad amount x{i}", "ValueError", "validate" if i % 3 else "transform",
                         {"run_id": "r1" if i < n // 2 else "r2", "field": "amount"},
                         timestamp=f"2024-01-01T00:{i // 3600 % 60:02d}:{i // 60 % 60:02d}.{i % 60:06d}")
        for i in range(n)
    ]
    queue.add_records(records)
    return records


@pytest.fixture(params=["memory", "file", "sqlite"])
def queue(request, tmp_path: Path) -> DeadLetterQueue:
    path = {"memory": None, "file": tmp_path / "dlq.jsonl", "sqlite": tmp_path / "dlq.db"}
    return DeadLetterQueue(storage_backend=request.param, storage_path=path[request.param])


def test_pages_to_the_end_and_filters_in_backend(qtbot, qtmodeltester, queue) -> None:
    records = fill(queue, 1234)
    model = DeadLetterTableModel(page_size=100, max_cached_pages=4)
    with qtbot.waitSignal(model.reloaded, timeout=10000) as blocker:
        model.set_queue(queue)
    assert blocker.args == [1234]
    assert model.rowCount() == 100
    assert model.key_fields == ["order_id"]
    assert model.data(model.index(0, 5)) == "0"
    assert model.data(model.index(5, 3)) == "validation_error"
    assert model.data(model.index(5, 0), RecordRole).id == records[5].id
    while model.canFetchMore():
        with qtbot.waitSignal(model.rowsInserted, timeout=10000):
            model.fetchMore()
    assert model.rowCount() == 1234
    assert model.cached_rows() <= 400  # bounded by the page cache, not by the table
    # An evicted page shows a placeholder and comes back in the background.
    assert model.data(model.index(0, 5)) == PLACEHOLDER
    qtbot.waitUntil(lambda: model.data(model.index(0, 5)) == "0", timeout=10000)
    qtmodeltester.check(model)

    with qtbot.waitSignal(model.reloaded, timeout=10000) as blocker:
        model.set_filters(DLQFilter(reason="transformation_error", text="x30"))
    # i % 3 == 0 and "x30" in the record or message: 30, 300..309 (mult. of 3), 1230
    expected = [r for r in records if r.reason.value == "transformation_error"
                and "x30" in r.error_message]
    assert blocker.args == [len(expected)]
    ids = [model.data(model.index(i, 0), RecordRole).id for i in range(model.rowCount())]
    assert ids == [r.id for r in expected]


def test_jump_to_end_and_sorting(qtbot, queue) -> None:
    fill(queue, 1050)
    model = DeadLetterTableModel(page_size=100)
    with qtbot.waitSignal(model.reloaded, timeout=10000):
        model.set_queue(queue)
    with qtbot.waitSignal(model.chunk_loaded, timeout=10000):
        model.jump_to_end()
    assert model.rowCount() == 1050
    last = model.data(model.index(1049, 0), RecordRole)
    assert last.record_data["order_id"] == 1049
    # Descending time puts the newest first, through the backend.
    with qtbot.waitSignal(model.reloaded, timeout=10000):
        model.sort(0, Qt.SortOrder.DescendingOrder)
    assert model.data(model.index(0, 0), RecordRole).record_data["order_id"] == 1049
    # The key-field column is never sortable; stage is sortable where the backend can.
    assert model.headerData(5, Qt.Orientation.Horizontal) == "order_id"
    assert model.headerData(6, Qt.Orientation.Horizontal) == "Error message"
    assert not model.is_sortable(5)
    assert model.is_sortable(2) == (queue.storage_backend != "file")
