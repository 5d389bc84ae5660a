"""The JSON Lines backend: offset index (no rescans), torn lines, concurrency, atomic rewrites."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading

import pytest
from dlq_helpers import make_records

from pycharter_gui.etl_generator.dead_letter import (
    DeadLetterQueue,
    DeadLetterRecord,
    DeadLetterWriteError,
)
from pycharter_gui.etl_generator.dead_letter.backends import jsonl as jsonl_module


class ReadSpy:
    """Counts opens and bytes read through the backend's ``_open``."""

    def __init__(self) -> None:
        self.opens = 0
        self.bytes_read = 0

    def reset(self) -> None:
        self.opens = 0
        self.bytes_read = 0

    def __call__(self, path, mode="r", *args, **kwargs):
        f = open(path, mode, *args, **kwargs)  # noqa: SIM115 - returned to the caller
        self.opens += 1
        spy = self
        real_read, real_readline = f.read, f.readline

        class Proxy:
            def __getattr__(self, name):
                return getattr(f, name)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def read(self, *a):
                data = real_read(*a)
                spy.bytes_read += len(data)
                return data

            def readline(self, *a):
                data = real_readline(*a)
                spy.bytes_read += len(data)
                return data

        return Proxy()


@pytest.fixture
def spy(monkeypatch) -> ReadSpy:
    s = ReadSpy()
    monkeypatch.setattr(jsonl_module, "_open", s)
    return s


def _bulk(n: int, start: int = 0) -> list[DeadLetterRecord]:
    return [
        DeadLetterRecord("big", {"n": i, "payload": "x" * 40}, "load_error" if i % 10 else
                         "validation_error", f"row {i} failed", "ValueError", "load",
                         {"run_id": "r", "record_index": i})
        for i in range(start, start + n)
    ]


def test_200k_paging_uses_the_offset_index(tmp_path, spy):
    path = tmp_path / "dlq.jsonl"
    queue = DeadLetterQueue(storage_backend="file", storage_path=path)
    for start in range(0, 200_000, 20_000):
        queue.add_records(_bulk(20_000, start))
    size = path.stat().st_size
    line = size // 200_000  # bytes per record

    spy.reset()
    assert queue.count() == 200_000
    assert spy.bytes_read >= size  # first call builds the index: one pass over the file

    spy.reset()
    page = queue.page(offset=150_000, limit=100)
    assert [r.record_data["n"] for r in page] == list(range(150_000, 150_100))
    assert spy.bytes_read <= 100 * line * 1.1  # a seek and ~100 lines, not a rescan

    spy.reset()
    last = queue.page(offset=0, limit=3, descending=True)
    assert [r.record_data["n"] for r in last] == [199_999, 199_998, 199_997]
    assert queue.count() == 200_000
    assert spy.bytes_read <= 3 * line * 1.1

    # Filtered: the first query scans once, later pages and counts seek.
    spy.reset()
    flt = {"reason": "validation_error"}
    assert queue.count(flt) == 20_000
    assert spy.bytes_read >= size
    spy.reset()
    page = queue.page(flt, offset=19_990, limit=20)
    assert [r.record_data["n"] for r in page] == list(range(199_900, 200_000, 10))
    assert queue.statistics(flt)["by_reason"] == {"validation_error": 20_000}
    assert spy.bytes_read <= 20 * line * 1.1

    # Appending extends the index: only the new bytes are read.
    queue.add_records(_bulk(1_000, 200_000))
    spy.reset()
    assert queue.count() == 201_000
    assert queue.count(flt) == 20_100
    assert spy.bytes_read <= 2 * (path.stat().st_size - size)
    assert queue.page(offset=200_999)[0].record_data["n"] == 200_999


def test_rewrite_invalidates_the_index_and_leaves_no_temp_files(tmp_path, spy):
    path = tmp_path / "dlq.jsonl"
    queue = DeadLetterQueue(storage_backend="file", storage_path=path)
    records = make_records(20)
    queue.add_records(records)
    assert queue.count({"status": "pending"}) == 20
    inode = path.stat().st_ino
    assert queue.set_status([records[3].id], "resolved") == 1
    assert path.stat().st_ino != inode  # replaced atomically, not edited in place
    assert queue.count({"status": "pending"}) == 19
    assert queue.delete([records[0].id]) == 1
    assert queue.page(limit=1)[0].id == records[1].id
    assert queue.count() == 19
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dlq.jsonl", "dlq.jsonl.lock"]
    # untouched lines are copied byte for byte
    lines = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(lines[-1]) == records[-1].to_dict()


def test_reader_never_sees_a_torn_line(tmp_path, caplog):
    path = tmp_path / "dlq.jsonl"
    queue = DeadLetterQueue(storage_backend="file", storage_path=path)
    records = make_records(5)
    queue.add_records(records[:3])
    with open(path, "ab") as f:  # a writer killed mid-line
        f.write(json.dumps(records[3].to_dict()).encode()[:40])
    assert queue.count() == 3
    assert [r.id for r in queue.page(limit=10)] == [r.id for r in records[:3]]
    with caplog.at_level(logging.WARNING):
        queue.add_records(records[4:])
    assert "incomplete last line" in caplog.text
    assert [r.id for r in queue.page(limit=10)] == [r.id for r in records[:3]] + [records[4].id]
    for line in path.read_text(encoding="utf-8").splitlines():
        json.loads(line)


def test_corrupt_lines_are_skipped(tmp_path):
    path = tmp_path / "dlq.jsonl"
    queue = DeadLetterQueue(storage_backend="file", storage_path=path)
    records = make_records(4)
    queue.add_records(records[:2])
    with open(path, "a", encoding="utf-8") as f:
        f.write("this is not json\n\n")
    queue.add_records(records[2:])
    assert queue.statistics()["total"] == 4
    assert queue.count({"pipeline": "orders"}) == 2
    assert [r.id for r in queue.page(limit=10)] == [r.id for r in records]


def test_concurrent_reader_while_writing(tmp_path):
    path = tmp_path / "dlq.jsonl"
    writer_q = DeadLetterQueue(storage_backend="file", storage_path=path)
    reader_q = DeadLetterQueue(storage_backend="file", storage_path=path)
    batches, per_batch = 150, 40
    done = threading.Event()
    seen_counts: list[int] = []
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for b in range(batches):
                writer_q.add_records(_bulk(per_batch, b * per_batch))
        finally:
            done.set()

    def read() -> None:
        try:
            while True:
                finished = done.is_set()
                n = reader_q.count()
                seen_counts.append(n)
                if n:
                    tail = reader_q.page(offset=max(0, n - 5), limit=5)
                    assert [r.record_data["n"] for r in tail] == list(range(max(0, n - 5), n))
                    assert reader_q.statistics()["total"] >= n
                if finished:
                    return
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write), threading.Thread(target=read)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert seen_counts == sorted(seen_counts)
    assert seen_counts[-1] == batches * per_batch


def test_path_resolution(tmp_path):
    folder = tmp_path / "dlq"
    folder.mkdir()
    q = DeadLetterQueue(storage_backend="file", storage_path=folder)
    q.add_records(make_records(1))
    assert (folder / "dead_letters.jsonl").is_file()
    q2 = DeadLetterQueue(storage_backend="file", storage_path=tmp_path / "new_folder")
    assert q2.location == str(tmp_path / "new_folder" / "dead_letters.jsonl")


def test_write_failure_raises_after_saving_a_fallback_file(tmp_path, monkeypatch):
    blocker = tmp_path / "not_a_dir"
    blocker.write_text("x")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    queue = DeadLetterQueue(storage_backend="file", storage_path=blocker / "dlq.jsonl")
    records = make_records(3)
    with pytest.raises(DeadLetterWriteError, match="were saved to") as info:
        queue.add_records(records)
    assert str(blocker / "dlq.jsonl") in str(info.value)
    assert len(info.value.fallback_path.read_text().splitlines()) == 3


def test_lines_are_plain_json_readable_by_other_tools(tmp_path):
    path = tmp_path / "dlq.jsonl"
    queue = DeadLetterQueue(storage_backend="file", storage_path=path)
    rec = make_records(8)[7]
    queue.add_records([rec])
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1
    assert "Zürich" in raw.decode("utf-8")
    assert json.loads(raw) == rec.to_dict()
    assert os.path.getsize(path) == len(raw)


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 20])
def test_line_index_offsets_match_the_lines_whatever_the_chunk_size(tmp_path, monkeypatch, chunk):
    from pycharter_gui.etl_generator.dead_letter.backends import jsonl_index
    from pycharter_gui.etl_generator.dead_letter.query import NormalizedFilter

    monkeypatch.setattr(jsonl_index, "SCAN_CHUNK_SIZE", chunk)
    lines = [b'{"a": 1}', b"", b'{"b": "x\\ny"}', b"{}" * 50, b'{"c": 3}']
    path = tmp_path / "dlq.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n" + b'{"torn')  # a torn tail is never indexed
    index = jsonl_index.LineIndex(NormalizedFilter(), parsed=False)
    with open(path, "rb") as f:
        index.extend(f, 20)  # part of the file, then the rest as if it had grown
        index.extend(f, path.stat().st_size)
        got = []
        for k in range(len(index)):
            start, end = index.span(k)
            f.seek(start)
            got.append(f.read(end - start).rstrip(b"\n"))
    assert got == lines
    assert index.upto == len(b"\n".join(lines)) + 1
