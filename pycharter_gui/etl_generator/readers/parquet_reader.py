"""Streaming Parquet reader: one Arrow record batch at a time via ``ParquetFile.iter_batches``.

Values come out as plain Python: timestamps, dates and times as ISO-8601 strings, durations via
``str()``, NaN and nulls as ``None``. Integer columns with nulls stay integers (better than the
float pandas would make of them).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import FatalSourceError


def _column_values(arr: pa.Array | pa.ChunkedArray) -> list[Any]:
    t = arr.type
    if pa.types.is_floating(t):
        if arr.null_count < len(arr) and pc.any(pc.is_nan(arr)).as_py():
            arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, t), arr)
        return arr.to_pylist()
    if pa.types.is_timestamp(t) or pa.types.is_date(t) or pa.types.is_time(t):
        return [None if v is None else v.isoformat() for v in arr.to_pylist()]
    if pa.types.is_duration(t):
        return [None if v is None else str(v) for v in arr.to_pylist()]
    return arr.to_pylist()


def arrow_to_records(batch: pa.RecordBatch | pa.Table) -> list[dict[str, Any]]:
    """Convert an Arrow batch to records of JSON-friendly Python values."""
    names = list(batch.schema.names)
    if not names:
        return [{} for _ in range(batch.num_rows)]
    columns = [_column_values(batch.column(i)) for i in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def iter_parquet_batches(source: str | IO[bytes], options: dict[str, Any], batch_size: int, *,
                         name: str) -> Iterator[pa.RecordBatch]:
    """Non-empty record batches of a Parquet file, one row-group slice at a time; shared by
    the record path and the columnar fast path."""
    columns = options.get("columns") or None
    try:
        # A stream (a cloud object over ranged reads) is read row group by row group as
        # batches are asked for; pre-buffering would fetch many row groups up front.
        pf = pq.ParquetFile(source, pre_buffer=isinstance(source, str))
    except (pa.ArrowException, OSError) as exc:
        raise FatalSourceError(f"{name}: cannot read as Parquet: {exc}", source=name) from exc
    try:
        if columns:
            missing = [c for c in columns if c not in pf.schema_arrow.names]
            if missing:
                raise FatalSourceError(
                    f"{name}: columns not in the file: {', '.join(missing)} "
                    f"(it has {', '.join(pf.schema_arrow.names)})", source=name)
        for batch in pf.iter_batches(batch_size=max(1, int(batch_size)), columns=columns):
            if batch.num_rows:
                yield batch
    finally:
        pf.close()


def iter_parquet(source: str | IO[bytes], options: dict[str, Any], batch_size: int, *, name: str
                 ) -> Iterator[list[dict[str, Any]]]:
    """Yield batches of records, reading one row group slice at a time."""
    for batch in iter_parquet_batches(source, options, batch_size, name=name):
        yield arrow_to_records(batch)
