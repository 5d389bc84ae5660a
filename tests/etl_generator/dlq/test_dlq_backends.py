"""Every DLQ backend passes the same tests: add, count, paging, filters, stats, get/set/delete."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from dlq_helpers import BASE_TIME, make_records, open_queue

from pycharter_gui.etl_generator.dead_letter import DeadLetterRecord, DLQFilter, DLQReason


def ids(records):
    return [r.id for r in records]


def test_add_and_count(filled):
    queue, records = filled
    assert queue.count() == len(records)
    assert queue.count(DLQFilter()) == len(records)


def test_ids_are_unique_uuid4_hex(queue):
    recs = [DeadLetterRecord("p", {"same": 1}, "unknown", "e", "E", "load") for _ in range(500)]
    queue.add_records(recs)
    stored = queue.page(limit=1000)
    assert len({r.id for r in stored}) == 500
    assert all(len(r.id) == 32 and int(r.id, 16) >= 0 for r in stored)


def test_page_through_to_the_end(filled):
    queue, records = filled
    seen = []
    offset = 0
    while True:
        page = queue.page(offset=offset, limit=7)
        if not page:
            break
        assert len(page) <= 7
        seen += page
        offset += len(page)
    assert ids(seen) == ids(records)
    assert [r.to_dict() for r in seen] == [r.to_dict() for r in records]
    assert queue.page(offset=len(records), limit=10) == []
    assert ids(queue.page(offset=25, limit=100)) == ids(records[25:])


def test_page_descending(filled):
    queue, records = filled
    assert ids(queue.page(limit=5, descending=True)) == ids(records[::-1][:5])
    assert ids(queue.page(offset=28, limit=5, descending=True)) == ids(records[::-1][28:])


def test_page_rejects_negative_offsets(filled):
    queue, _ = filled
    with pytest.raises(ValueError, match="offset"):
        queue.page(offset=-1)


FILTER_CASES = [
    ({"pipeline": "customers"}, lambda r: r.pipeline_name == "customers"),
    ({"run_id": "run-b"}, lambda r: r.metadata["run_id"] == "run-b"),
    ({"reason": "load_error"}, lambda r: r.reason == DLQReason.LOAD_ERROR),
    ({"reason": [DLQReason.LOAD_ERROR, "extraction_error"]},
     lambda r: r.reason in (DLQReason.LOAD_ERROR, DLQReason.EXTRACTION_ERROR)),
    ({"stage": "transform"}, lambda r: r.stage == "transform"),
    ({"stage": ["transform", "load"]}, lambda r: r.stage in ("transform", "load")),
    ({"status": "pending"}, lambda r: True),
    ({"status": "resolved"}, lambda r: False),
    ({"time_from": BASE_TIME + timedelta(minutes=10)},
     lambda r: r.metadata["batch_index"] >= 1),
    ({"time_to": (BASE_TIME + timedelta(minutes=5)).isoformat()},
     lambda r: int(r.record_data["n"]) < 5),
    ({"time_from": datetime(2024, 1, 1, 12, 3, tzinfo=UTC), "time_to": "2024-01-01T12:06:00Z"},
     lambda r: 3 <= r.record_data["n"] < 6),
    ({"text": "missing FIELD price"}, lambda r: r.record_data["n"] % 5 == 0),
    ({"text": "item-12"}, lambda r: r.record_data["n"] == 12),
    ({"text": "ZÜRICH"}, lambda r: r.record_data["n"] == 7),
    ({"pipeline": "orders", "stage": "load", "run_id": "run-a"},
     lambda r: r.pipeline_name == "orders" and r.stage == "load" and r.metadata["run_id"] == "run-a"),
]


@pytest.mark.parametrize(("flt", "expect"), FILTER_CASES, ids=[str(c[0]) for c in FILTER_CASES])
def test_filters(filled, flt, expect):
    queue, records = filled
    wanted = [r for r in records if expect(r)]
    assert queue.count(flt) == len(wanted)
    assert ids(queue.page(DLQFilter(**flt), limit=1000)) == ids(wanted)
    if len(wanted) > 2:
        assert ids(queue.page(flt, offset=1, limit=2)) == ids(wanted[1:3])
        assert ids(queue.page(flt, limit=2, descending=True)) == ids(wanted[::-1][:2])
    stats = queue.statistics(flt)
    assert stats["total"] == len(wanted)


def test_bad_filters_say_what_is_allowed(filled):
    queue, _ = filled
    with pytest.raises(ValueError, match="pipline"):
        queue.count({"pipline": "x"})
    with pytest.raises(ValueError, match="load_error"):
        queue.count(DLQFilter(reason="nope"))
    with pytest.raises(ValueError, match="resolved"):
        queue.count(DLQFilter(status="done"))


def test_statistics(filled):
    queue, _ = filled
    stats = queue.statistics()
    assert stats["total"] == 30
    assert stats["by_reason"] == {"extraction_error": 8, "transformation_error": 8,
                                  "validation_error": 7, "load_error": 7}
    assert stats["by_stage"] == {"extract": 8, "transform": 8, "validate": 7, "load": 7}
    assert stats["by_status"] == {"pending": 30}
    assert queue.get_statistics("customers")["total"] == 10
    assert queue.statistics({"pipeline": "nobody"}) == {
        "total": 0, "by_reason": {}, "by_stage": {}, "by_status": {}}


def test_get_keeps_the_order_asked(filled):
    queue, records = filled
    wanted = [records[5].id, "missing", records[2].id]
    got = queue.get(wanted)
    assert ids(got) == [records[5].id, records[2].id]
    assert got[0].to_dict() == records[5].to_dict()
    assert ids(queue.get(records[9].id)) == [records[9].id]
    assert queue.get([]) == []


def test_set_status(filled):
    queue, records = filled
    changed = queue.set_status([records[0].id, records[3].id, "missing"], "resolved")
    assert changed == 2
    assert [r.status.value for r in queue.get([records[0].id, records[3].id])] == ["resolved"] * 2
    assert queue.count({"status": "resolved"}) == 2
    assert queue.count({"status": ["pending", "ignored"]}) == 28
    assert queue.statistics()["by_status"] == {"pending": 28, "resolved": 2}
    # order and content of the others are untouched
    assert ids(queue.page(limit=100)) == ids(records)
    with pytest.raises(ValueError, match="pending"):
        queue.set_status(records[1].id, "fixed")


def test_delete(filled):
    queue, records = filled
    assert queue.delete([records[1].id, records[2].id, "missing"]) == 2
    assert queue.count() == 28
    assert queue.get([records[1].id]) == []
    assert ids(queue.page(limit=100)) == ids([r for i, r in enumerate(records) if i not in (1, 2)])
    assert queue.delete([]) == 0


def test_sorting(filled, backend_name):
    queue, records = filled
    if backend_name == "file":
        with pytest.raises(ValueError, match="can sort by: timestamp"):
            queue.page(order_by="error_message")
        assert queue.sortable_columns == ("timestamp",)
        return
    page = queue.page(order_by="error_message", limit=100)
    assert [r.error_message for r in page] == sorted(r.error_message for r in records)
    page = queue.page(order_by="reason", descending=True, limit=3)
    assert all(r.reason == DLQReason.VALIDATION_ERROR for r in page)
    with pytest.raises(ValueError, match="can sort by"):
        queue.page(order_by="nonsense")


def test_empty_queue_answers_without_creating_files(queue, tmp_path):
    assert queue.count() == 0
    assert queue.page() == []
    assert queue.statistics()["total"] == 0
    assert queue.get(["x"]) == []
    assert queue.set_status(["x"], "ignored") == 0
    assert queue.delete(["x"]) == 0
    assert not (tmp_path / "dlq.jsonl").exists()
    assert not (tmp_path / "dlq.sqlite").exists()


@pytest.mark.parametrize("backend", ["file", "sqlite"])
def test_persists_across_instances(tmp_path, backend):
    records = make_records(12)
    first = open_queue(backend, tmp_path)
    first.add_records(records[:6])
    first.close()
    second = open_queue(backend, tmp_path)
    second.add_records(records[6:])
    second.set_status(records[0].id, "ignored")
    third = open_queue(backend, tmp_path)
    assert ids(third.page(limit=50)) == ids(records)
    assert third.get(records[0].id)[0].status.value == "ignored"


async def test_async_add_record_and_batch(queue):
    rec = await queue.add_record("p", {"a": 1}, "validation_error", "bad a", "ValueError",
                                 "validate", {"run_id": "r1"})
    batch = await queue.add_batch("p", [{"b": 1}, {"b": 2}], DLQReason.LOAD_ERROR, "down",
                                  "ConnectionError", "load", {"run_id": "r1", "batch_index": 4})
    assert queue.count({"run_id": "r1"}) == 3
    stored = queue.get([rec.id, *ids(batch)])
    assert [r.metadata.get("record_index") for r in stored] == [None, 0, 1]
    assert stored[2].metadata["batch_index"] == 4
    assert stored[2].record_data == {"b": 2}


async def test_disabled_queue_writes_nothing(backend_name, tmp_path):
    queue = open_queue(backend_name, tmp_path, enabled=False)
    assert await queue.add_record("p", {}, "unknown", "m", "E", "load") is None
    assert await queue.add_batch("p", [{}], "unknown", "m", "E", "load") == []
    assert queue.add_records(make_records(3)) == 0
    assert queue.count() == 0
    assert list(tmp_path.iterdir()) == []


async def test_retry_record(filled):
    queue, records = filled
    rec = await queue.retry_record(records[4].id)
    assert rec.status.value == "retrying"
    assert rec.retry_count == 1
    assert queue.get_records(status="retrying")[0].id == records[4].id
    assert len(queue.get_records(pipeline_name="orders", stage="load", limit=3)) == 3
