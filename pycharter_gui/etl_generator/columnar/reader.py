"""Batches for the columnar runner: the same batches as ``readers.iter_batches``, as Arrow.

CSV/TSV go through the very parse of ``readers/csv_reader.py`` (same options, same chunking, so
the same per-chunk type inference and the same batch boundaries): its Arrow chunks are used as
they are, a chunk pandas typed goes through ``frame_to_table``; no Python dicts are built. Parquet batches
come from the same ``ParquetFile.iter_batches`` call. Each batch also knows how to produce the
dict path's records exactly (``records()``, via the readers' own functions) for fallback.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from ..readers import open_binary, parquet_source
from ..readers.csv_reader import frame_to_records, iter_csv_chunks, table_to_records
from ..readers.parquet_reader import arrow_to_records, iter_parquet_batches
from .arrow_ops import canonical_table, frame_to_table


class ArrowBatch:
    """One batch: ``table`` (canonical, or None when it has no exact Arrow form) and
    ``records()`` giving the dict path's records for the same rows."""

    def __init__(self, table: pa.Table | None, make_records: Callable[[], list[dict[str, Any]]],
                 num_rows: int) -> None:
        self.table = table
        self._make_records = make_records
        self.num_rows = num_rows

    def records(self) -> list[dict[str, Any]]:
        return self._make_records()

    def head(self, n: int) -> ArrowBatch:
        """The first ``n`` rows (``max_records``)."""
        if n >= self.num_rows:
            return self
        table = None if self.table is None else self.table.slice(0, n)
        make = self._make_records
        return ArrowBatch(table, lambda: make()[:n], n)


def _chunk_batches(chunk: Any, batch_size: int) -> Iterator[ArrowBatch]:
    """Batches of one parsed chunk: an Arrow table (already canonical) or a DataFrame."""
    if isinstance(chunk, pa.Table):
        n = chunk.num_rows
        for start in range(0, n, batch_size):
            part = chunk.slice(start, min(n, start + batch_size) - start)
            yield ArrowBatch(part, lambda p=part: table_to_records(p), part.num_rows)
        return
    table = frame_to_table(chunk)
    cache: list[list[dict[str, Any]]] = []

    def all_records() -> list[dict[str, Any]]:
        if not cache:
            cache.append(frame_to_records(chunk))
        return cache[0]

    n = len(chunk)
    for start in range(0, n, batch_size):
        stop = min(n, start + batch_size)
        part = None if table is None else table.slice(start, stop - start)
        yield ArrowBatch(part, lambda s=start, e=stop: all_records()[s:e], stop - start)


def iter_csv_arrow(stream: Any, options: dict[str, Any], batch_size: int, *, name: str,
                   default_delimiter: str = ",") -> Iterator[ArrowBatch]:
    """``readers.csv_reader.iter_csv`` as :class:`ArrowBatch` objects (the same parsed chunks)."""
    batch_size = max(1, int(batch_size))
    for chunk in iter_csv_chunks(stream, options, batch_size, name=name,
                                 default_delimiter=default_delimiter):
        yield from _chunk_batches(chunk, batch_size)
        del chunk


def iter_parquet_arrow(source: Any, options: dict[str, Any], batch_size: int, *, name: str
                       ) -> Iterator[ArrowBatch]:
    """``readers.parquet_reader.iter_parquet`` as :class:`ArrowBatch` objects."""
    for batch in iter_parquet_batches(source, options, batch_size, name=name):
        yield ArrowBatch(canonical_table(batch), lambda b=batch: arrow_to_records(b), batch.num_rows)


def iter_arrow_batches(path: str, fmt: str, options: dict[str, Any], batch_size: int
                       ) -> Iterator[ArrowBatch]:
    """Mirror of ``readers.iter_batches`` for a local path in csv, tsv or parquet."""
    options = dict(options or {})
    batch_size = max(1, int(batch_size))
    if fmt == "parquet":
        with parquet_source(path, path) as src:
            yield from iter_parquet_arrow(src, options, batch_size, name=path)
        return
    with open_binary(path) as stream:
        yield from iter_csv_arrow(stream, options, batch_size, name=path,
                                  default_delimiter="\t" if fmt == "tsv" else ",")
