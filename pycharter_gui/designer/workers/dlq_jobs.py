"""Blocking dead-letter jobs run off the GUI thread: complete exports and bulk changes.

Plain functions, no Qt: they receive a ``progress(done, total)`` callback and an
``is_cancelled()`` check, and write exports to a temporary file renamed into place, so an
export is either complete or absent (never truncated).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import csv
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import islice
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import DeadLetterQueue, DeadLetterRecord, DLQFilter

EXPORT_FORMATS = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}
EXPORT_COLUMNS = ("id", "timestamp", "pipeline_name", "run_id", "reason", "stage", "status",
                  "error_type", "error_message", "retry_count", "record_data", "metadata")
CHUNK = 5000

Progress = Callable[[int, int], None]


def effective_filter(queue: DeadLetterQueue, flt: DLQFilter) -> DLQFilter:
    """``flt`` or an equivalent cheaper filter for this backend (blocking; call in a worker).

    Hiding resolved records is a status filter, which makes the JSON Lines backend parse every
    line and keeps SQLite off its timestamp index; when the queue holds no resolved record at
    all the filter is dropped, which keeps a million-record queue opening at once.
    """
    statuses = flt.status
    if statuses is None or isinstance(statuses, str):
        return flt
    if set(statuses) != {"pending", "retrying", "ignored"}:
        return flt
    if queue.storage_backend == "file":
        unfiltered = replace(flt, status=None)
        if unfiltered == DLQFilter():
            # The default view: build its newline index (numpy, mostly without the GIL) while
            # the search for "resolved" runs, so the first page finds it ready (~0.1 s per
            # 500 MB). A filtered view would parse every line: not worth guessing at.
            pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="dlq-index")
            pool.submit(queue.count, unfiltered)
            pool.shutdown(wait=False)
    if queue.has_status("resolved"):
        return flt
    return replace(flt, status=None)


def fetch_page(queue: DeadLetterQueue, flt: DLQFilter, offset: int, limit: int, order_by: str,
               descending: bool, total: int | None = None) -> list[DeadLetterRecord]:
    """One page; pages in the second half are read in the opposite order from the end.

    Backends sort by (column, insertion order), so the reversed query is an exact mirror, and
    a small offset from the end avoids SQL ``OFFSET`` scans over a million rows.
    """
    if total is None or offset < total // 2 or offset >= total:
        return queue.page(flt, offset, limit, order_by, descending)
    n = min(limit, total - offset)
    rows = queue.page(flt, total - offset - n, n, order_by, not descending)
    rows.reverse()
    return rows


def records_for_rows(snapshot: dict[str, Any], rows: Sequence[int]) -> list[DeadLetterRecord]:
    """The records at ``rows`` of a model snapshot, reading evicted pages again (blocking)."""
    pages: dict[int, list[DeadLetterRecord]] = dict(snapshot["pages"])
    size = snapshot["page_size"]
    out: list[DeadLetterRecord] = []
    for row in sorted(set(rows)):
        page_no, i = divmod(row, size)
        if page_no not in pages:
            pages[page_no] = fetch_page(snapshot["queue"], snapshot["filters"], page_no * size, size,
                                        snapshot["order_by"], snapshot["descending"],
                                        snapshot.get("total"))
        page = pages[page_no]
        if i < len(page):
            out.append(page[i])
    return out




def export_row(rec: DeadLetterRecord) -> dict[str, Any]:
    """A flat row: record data and metadata as JSON text (CSV and Parquet)."""
    d = rec.to_dict()
    d["run_id"] = rec.run_id
    d["record_data"] = json.dumps(rec.record_data, ensure_ascii=False, default=str)
    d["metadata"] = json.dumps(rec.metadata, ensure_ascii=False, default=str)
    return {c: d.get(c) for c in EXPORT_COLUMNS}


def format_for(path: Path, fmt: str | None = None) -> str:
    """The export format named by ``fmt`` or by the file extension."""
    if fmt:
        fmt = fmt.lower().lstrip(".")
    else:
        fmt = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".parquet": "parquet"}.get(path.suffix.lower(), "")
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"Cannot export to {path.name}: choose a .csv, .jsonl or .parquet file")
    return fmt


def _chunks(records: Iterable[DeadLetterRecord]) -> Iterator[list[DeadLetterRecord]]:
    it = iter(records)
    while chunk := list(islice(it, CHUNK)):
        yield chunk


def export_dead_letters(
    queue: DeadLetterQueue,
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    filters: DLQFilter | None = None,
    records: Sequence[DeadLetterRecord] | None = None,
    progress: Progress | None = None,
    is_cancelled: Callable[[], bool] | None = None,
) -> int:
    """Write ``records`` (or every record matching ``filters``) to ``path``; returns the count.

    Raises ``asyncio.CancelledError`` when cancelled (the partial file is removed).
    """
    target = Path(path)
    kind = format_for(target, fmt)
    if records is not None:
        total, source = len(records), iter(records)
    else:
        flt = DLQFilter.coerce(filters)
        total = queue.count(flt)
        source = queue.backend.iter_records(flt.normalized())
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    done = 0
    try:
        writer = _WRITERS[kind](Path(tmp))
        try:
            for chunk in _chunks(source):
                if is_cancelled is not None and is_cancelled():
                    raise asyncio.CancelledError
                writer.write(chunk)
                done += len(chunk)
                if progress is not None:
                    progress(done, max(total, done))
        finally:
            writer.close()
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return done


class _JsonlWriter:
    def __init__(self, path: Path) -> None:
        self.f = open(path, "w", encoding="utf-8", newline="\n")  # noqa: SIM115

    def write(self, chunk: list[DeadLetterRecord]) -> None:
        self.f.write("".join(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n"
                             for r in chunk))

    def close(self) -> None:
        self.f.close()


class _CsvWriter:
    def __init__(self, path: Path) -> None:
        self.f = open(path, "w", encoding="utf-8", newline="")  # noqa: SIM115
        self.w = csv.DictWriter(self.f, fieldnames=EXPORT_COLUMNS)
        self.w.writeheader()

    def write(self, chunk: list[DeadLetterRecord]) -> None:
        self.w.writerows(export_row(r) for r in chunk)

    def close(self) -> None:
        self.f.close()


class _ParquetWriter:
    def __init__(self, path: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = pa.schema([(c, pa.int64() if c == "retry_count" else pa.string())
                                 for c in EXPORT_COLUMNS])
        self.w = pq.ParquetWriter(str(path), self.schema)

    def write(self, chunk: list[DeadLetterRecord]) -> None:
        rows = [export_row(r) for r in chunk]
        self.w.write_table(self.pa.Table.from_pylist(rows, schema=self.schema))

    def close(self) -> None:
        self.w.close()


_WRITERS: dict[str, Any] = {"csv": _CsvWriter, "jsonl": _JsonlWriter, "parquet": _ParquetWriter}
