"""A batch held column by column (the columnar path's Arrow tables), written without dicts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ..loaders.base import BatchLoadResult
from .writer import DISTINCT_TYPES, TableWriter, by_distinct

# the Python type of every non-null value of an Arrow column, by the column's type
_ARROW_KINDS: dict[str, frozenset[type]] = {
    "int64": frozenset({int}), "double": frozenset({float}), "bool": frozenset({bool}),
    "string": frozenset({str}), "large_string": frozenset({str}), "null": frozenset({type(None)}),
    "date32[day]": frozenset({dt.date}), "timestamp[us]": frozenset({dt.datetime}),
}


def _python_values(column: Any) -> tuple[list[Any], frozenset[type] | None]:
    """An Arrow column's values as Python objects (what ``to_pylist`` gives) and their types.

    pyarrow builds dates, datetimes and union values one scalar at a time (~1-2 us each): a
    temporal column is built once per distinct value (a batch of dates has few), and a mixed
    int/float column is put together from its two children."""
    import pyarrow as pa

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    name = str(column.type)
    kind = _ARROW_KINDS.get(name)
    if name in DISTINCT_TYPES:
        values = by_distinct(column, _same)
    elif _is_mixed_number(column.type):
        return _union_values(column)
    else:
        values = column.to_pylist()
    if kind is not None and column.null_count:
        kind |= {type(None)}
    return values, kind


def _same(value: Any) -> Any:
    return value


def _is_mixed_number(t: Any) -> bool:
    import pyarrow as pa

    return (pa.types.is_union(t) and t.mode == "dense" and t.num_fields == 2
            and t.field(0).type == pa.int64() and t.field(1).type == pa.float64())


def _union_values(column: Any) -> tuple[list[Any], frozenset[type]]:
    """A dense union of int64 and double as Python ints and floats (None for a null child)."""
    import numpy as np

    n, start = len(column), column.offset  # (numpy views of the buffers: pandas-free)
    codes = np.frombuffer(column.buffers()[1], np.int8, count=n, offset=start)
    offsets = np.frombuffer(column.buffers()[2], np.int32, count=n, offset=start * 4)
    out = np.empty(len(column), dtype=object)
    kinds: set[type] = set()
    for position, code in enumerate(column.type.type_codes):
        child = column.field(position)
        mask = codes == code
        if not mask.any():
            continue
        values = np.empty(len(child), dtype=object)
        values[:] = child.to_pylist()
        out[mask] = values[offsets[mask]]
        kinds.add(int if position == 0 else float)
        if child.null_count:
            bits = np.unpackbits(np.frombuffer(child.buffers()[0], np.uint8), bitorder="little")
            if not bits[child.offset:child.offset + len(child)][offsets[mask]].all():
                kinds.add(type(None))
    return out.tolist(), frozenset(kinds)


class ColumnBatch(Sequence[dict[str, Any]]):
    """A batch held column by column (from an Arrow table); a row becomes a record only when
    asked for (a rejected row's DLQ entry, or the general write path)."""

    def __init__(self, names: list[str], columns: list[list[Any]],
                 kinds: list[frozenset[type] | None] | None = None,
                 arrays: list[Any] | None = None, schema: Any = None) -> None:
        self.names = names
        self.columns = columns
        self.kinds = kinds  # per column: the Python types of its values, when known
        self.arrays = arrays  # per column: the Arrow array it came from, when it did
        self.schema = schema  # the Arrow schema it came from, when it did
        self.rows: Sequence[tuple[Any, ...]] | None = None  # made ahead by ``rows_for``'s writer
        self.rows_for: TableWriter | None = None

    @classmethod
    def from_table(cls, table: Any) -> ColumnBatch:
        columns, kinds, arrays = [], [], []
        for column in table.columns:
            array = column.combine_chunks() if hasattr(column, "combine_chunks") else column
            values, kind = _python_values(array)
            columns.append(values)
            kinds.append(kind)
            arrays.append(array)
        return cls(list(table.column_names), columns, kinds, arrays, table.schema)

    def prepare_rows(self, writer: TableWriter, dialect: Any) -> None:
        """Make the positional rows ``writer`` inserts (its ``plain_columns``), ahead of the
        write; nothing when they are not plain (the write decides then)."""
        if self.names and set(self.names) <= set(writer.table.c.keys()):
            self.rows = writer.plain_columns(dialect, self.names, list(self.columns), self.kinds,
                                             self.arrays)
            self.rows_for = writer if self.rows is not None else None

    def __len__(self) -> int:
        return len(self.columns[0]) if self.columns else 0

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return self.records()[index]
        return dict(zip(self.names, (column[index] for column in self.columns), strict=True))

    def records(self) -> list[dict[str, Any]]:
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in zip(*self.columns, strict=True)]


def records_of(batch: list[dict[str, Any]] | ColumnBatch) -> list[dict[str, Any]]:
    """The batch as records (built here for a column batch)."""
    return batch.records() if isinstance(batch, ColumnBatch) else batch


def write_any(writer: TableWriter, conn: Connection,
                batch: list[dict[str, Any]] | ColumnBatch) -> BatchLoadResult:
    """Columns straight into the writer's fast path when it applies, else records."""
    if isinstance(batch, ColumnBatch):
        rows = batch.rows if batch.rows_for is writer else None
        result = writer.write_columns(conn, batch.names, list(batch.columns), batch, batch.kinds,
                                      batch.arrays, rows)
        if result is not None:
            return result
    return writer.write(conn, records_of(batch))


__all__ = ["ColumnBatch", "records_of", "write_any"]
