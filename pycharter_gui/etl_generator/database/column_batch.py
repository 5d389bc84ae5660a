"""A batch held column by column (the columnar path's Arrow tables), written without dicts."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Connection

from ..loaders.base import BatchLoadResult
from .writer import TableWriter

# the Python type of every non-null value of an Arrow column, by the column's type
_ARROW_KINDS: dict[str, frozenset[type]] = {
    "int64": frozenset({int}), "double": frozenset({float}), "bool": frozenset({bool}),
    "string": frozenset({str}), "large_string": frozenset({str}), "null": frozenset({type(None)}),
}


class ColumnBatch(Sequence[dict[str, Any]]):
    """A batch held column by column (from an Arrow table); a row becomes a record only when
    asked for (a rejected row's DLQ entry, or the general write path)."""

    def __init__(self, names: list[str], columns: list[list[Any]],
                 kinds: list[frozenset[type] | None] | None = None) -> None:
        self.names = names
        self.columns = columns
        self.kinds = kinds  # per column: the Python types of its values, when known

    @classmethod
    def from_table(cls, table: Any) -> ColumnBatch:
        kinds = []
        for column in table.columns:
            kind = _ARROW_KINDS.get(str(column.type))
            if kind is not None and column.null_count:
                kind |= {type(None)}
            kinds.append(kind)
        return cls(list(table.column_names), [column.to_pylist() for column in table.columns],
                   kinds)

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
        result = writer.write_columns(conn, batch.names, list(batch.columns), batch, batch.kinds)
        if result is not None:
            return result
    return writer.write(conn, records_of(batch))


__all__ = ["ColumnBatch", "records_of", "write_any"]
