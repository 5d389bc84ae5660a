"""Assembling numbered part files into one target file (CSV, JSON, JSON Lines, Parquet).

Used by ``FileLoadSession.commit`` and by distributed runs; every function writes into an
open temporary file that the caller renames into place, so a target is never half-written.
``assemble_target`` picks the joiner per format; ``assemble_csv`` joins the CSV parts a
``FileLoadSession`` writes.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from .serialize import conform as conform_table
from .serialize import csv_text, json_items, unify_schemas

# Rows per Parquet row group: 131k-row groups wrote a third slower than 1Mi-row ones, but
# 256k lets a streamed run overlap encoding with reading (5M rows: 2.7 s vs 3.1 s with 1Mi).
ROW_GROUP_ROWS = 1 << 18
ROW_GROUP_BYTES = 128 << 20  # ...and at most about this much Arrow data (wide tables)


class RowGroups:
    """Tables buffered into Parquet row groups: :meth:`add` returns a table to write once
    ``ROW_GROUP_ROWS`` rows (whole groups; the rows beyond wait for the next) or
    ``ROW_GROUP_BYTES`` of data are buffered. Batches of 50k rows used to make a 262k-row
    group and a 38k-row one per flush (33 groups for 5M rows instead of 20)."""

    def __init__(self) -> None:
        self._tables: list[pa.Table] = []
        self._rows = self._bytes = 0

    def add(self, table: pa.Table) -> pa.Table | None:
        self._tables.append(table)
        self._rows += table.num_rows
        self._bytes += table.nbytes
        if self._bytes >= ROW_GROUP_BYTES:
            return self.rest()
        if self._rows < ROW_GROUP_ROWS:
            return None
        group = pa.concat_tables(self._tables)
        whole = group.num_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        left = group.slice(whole)
        self._tables = [left] if left.num_rows else []
        self._rows, self._bytes = left.num_rows, left.nbytes
        return group.slice(0, whole)

    def rest(self) -> pa.Table | None:
        """What is buffered, as one table (None when nothing is)."""
        tables, self._tables, self._rows, self._bytes = self._tables, [], 0, 0
        return pa.concat_tables(tables) if tables else None


def dictionary_columns(group: pa.Table) -> list[str] | bool:
    """The columns worth dictionary-encoding in a Parquet file whose first row group is
    ``group``: all (Arrow's default, True) but the flat columns in which every value of a
    large group is distinct (ids, keys). Arrow would fill a 1 MB dictionary with those, then
    fall back to plain: 5M unique int64 ids cost 0.43 s that way instead of 0.05 s, and the
    file is larger (benchmarks/README.md, session 13)."""
    import pyarrow.compute as pc

    if group.num_rows < _DISTINCT_ROWS or any(
            pa.types.is_nested(t) or pa.types.is_dictionary(t) for t in group.schema.types):
        return True  # a nested column needs its leaf paths named: keep the default
    def repeats(column: pa.ChunkedArray) -> bool:
        head = column.slice(0, _DISTINCT_ROWS)  # most columns repeat early: a cheap answer
        return (column.null_count > 0 or pa.types.is_boolean(column.type)
                or pc.count_distinct(head).as_py() < len(head)
                or pc.count_distinct(column).as_py() < len(column))

    keep = [name for name, column in zip(group.column_names, group.columns, strict=True)
            if repeats(column)]
    return True if len(keep) == group.num_columns else keep


_DISTINCT_ROWS = 10_000  # a smaller first group says little about the column


def parquet_writer(path: Path, schema: pa.Schema, group: pa.Table) -> pq.ParquetWriter:
    """The Parquet writer of every file the engine writes, opened for its first row group."""
    return pq.ParquetWriter(str(path), schema, use_dictionary=dictionary_columns(group))


class ParquetOut:
    """A Parquet file opened at its first row group (which picks the encodings); closed
    without any, it still holds the schema."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path, self.schema = path, schema
        self._writer: pq.ParquetWriter | None = None

    def write(self, group: pa.Table, row_group_size: int | None = None) -> None:
        if self._writer is None:
            self._writer = parquet_writer(self.path, self.schema, group)
        self._writer.write_table(group, row_group_size=row_group_size)

    def close(self) -> None:
        if self._writer is None:
            self._writer = parquet_writer(self.path, self.schema, self.schema.empty_table())
        self._writer.close()


def remap_columns(rows: Any, old: list[str], new: list[str], delim: str, quote: str) -> str:
    """CSV text of ``rows`` (in ``old`` column order) in ``new`` column order, blanks for
    columns they lack."""
    pos = {k: i for i, k in enumerate(old)}
    idx = [pos.get(k) for k in new]
    return csv_text(([row[i] if i is not None and i < len(row) else "" for i in idx]
                     for row in rows), delim, quote)


def copy_with_newline(src: Path, out: IO[bytes]) -> None:
    """Copy ``src`` into ``out``, ending it with a line break when it has none."""
    with open(src, "rb") as f:
        shutil.copyfileobj(f, out, 1 << 20)
        f.seek(-1, os.SEEK_END)
        if f.read(1) not in (b"\n", b"\r"):
            out.write(b"\r\n")


def assemble_lines(out: IO[bytes], parts: list[Path], existing: Path | None) -> None:
    """``existing`` (append) then the parts, for line formats (CSV without header, JSONL)."""
    if existing is not None and existing.stat().st_size:
        copy_with_newline(existing, out)
    for part in parts:
        with open(part, "rb") as f:
            shutil.copyfileobj(f, out, 1 << 20)


def existing_json_body(existing: Path | None) -> bytes:
    """The items of an existing JSON file (an array, or one value) as the body of an array;
    b"" without one. A file that is not JSON cannot be appended to (ValueError)."""
    if existing is None or not existing.stat().st_size:
        return b""
    try:
        with open(existing, encoding="utf-8") as f:
            old = json.load(f)
    except ValueError as exc:
        raise ValueError(f"the existing file is not valid JSON, cannot append ({exc})") from exc
    body, _ = json_items(old if isinstance(old, list) else [old])
    return body


def assemble_json(out: IO[bytes], parts: list[Path], existing: Path | None) -> None:
    """One JSON array of ``existing``'s items (append) and the parts' items."""
    chunks: list[Path | bytes] = [existing_json_body(existing)]
    chunks += [p for p in parts if p.stat().st_size]
    if not [c for c in chunks if c]:
        out.write(b"[]")
        return
    out.write(b"[\n")
    first = True
    for chunk in chunks:
        if not chunk:
            continue
        if not first:
            out.write(b",\n")
        first = False
        if isinstance(chunk, bytes):
            out.write(chunk)
        else:
            with open(chunk, "rb") as f:
                shutil.copyfileobj(f, out, 1 << 20)
    out.write(b"\n]")


def assemble_parquet(tmp: Path, parts: list[Path], existing: Path | None,
                      streamed: Path | None = None) -> None:
    """``existing`` (append), then ``streamed`` (a ParquetStream's file), then the parts."""
    sources: list[tuple[str, Path]] = [("parquet", p) for p in (existing, streamed)
                                       if p is not None and p.stat().st_size]
    schemas = [pq.read_schema(src) for _, src in sources]
    for part in parts:
        sources.append(("arrow", part))
        with pa.OSFile(str(part), "rb") as f:
            schemas.append(pa.ipc.open_file(f).schema)
    schema = unify_schemas(schemas)
    groups = RowGroups()
    out = ParquetOut(tmp, schema)
    try:
        for kind, src in sources:
            for table in _tables(kind, src):
                group = groups.add(conform_table(table, schema))
                if group is not None:
                    out.write(group, ROW_GROUP_ROWS)
        rest = groups.rest()
        if rest is not None:
            out.write(rest, ROW_GROUP_ROWS)
    finally:
        out.close()


TextJoin = Callable[[IO[bytes], list[Path], Path | None], None]
"""Writes ``existing`` (append; None otherwise) and the parts, joined, into an open file."""


def assemble_target(tmp: Path, fmt: str, parts: list[Path], existing: Path | None, *,
                    csv_join: TextJoin, json_join: TextJoin,
                    parquet_join: Callable[[Path, list[Path], Path | None], None]) -> None:
    """Write the target of format ``fmt`` into ``tmp``: ``existing`` (append) then ``parts``.

    Parquet is written by path, the text formats into one open file, JSON Lines by plain
    concatenation. A run's own parts and a Dask run's per-partition files are laid out
    differently, so each passes its CSV, JSON and Parquet joiners; the choice is made here."""
    if fmt == "parquet":
        parquet_join(tmp, parts, existing)
        return
    join = {"csv": csv_join, "json": json_join}.get(fmt, assemble_lines)
    with open(tmp, "wb") as out:
        join(out, parts, existing)


def assemble_csv(out: IO[bytes], parts: list[Path], existing: Path | None, *, encoding: str,
                 delimiter: str, quotechar: str, include_header: bool) -> None:
    """One CSV of ``existing`` (append) and the parts, under the union of their columns.

    A part is what ``FileLoadSession`` writes: its columns as a JSON list on the first line,
    then CSV rows without a header. A part or an existing file whose columns differ from the
    union is rewritten with blanks for the columns it lacks; the others are copied as bytes."""
    enc, delim, quote = encoding, delimiter, quotechar
    headers = []
    for part in parts:
        with open(part, "rb") as f:
            headers.append(json.loads(f.readline()))
    old_header: list[str] | None = None
    if existing is not None and existing.stat().st_size and include_header:
        with open(existing, encoding=enc, newline="") as f:
            old_header = next(csv.reader(f, delimiter=delim, quotechar=quote), None)
    known = list(old_header or [])
    header = list(dict.fromkeys(known + [k for h in headers for k in h]))
    wrote_header = False
    if existing is not None and existing.stat().st_size:
        if old_header is None or old_header == header:
            copy_with_newline(existing, out)
            wrote_header = True
        else:
            out.write(csv_text([header], delim, quote).encode(enc))
            wrote_header = True
            with open(existing, encoding=enc, newline="") as f:
                rows = csv.reader(f, delimiter=delim, quotechar=quote)
                next(rows, None)
                out.write(remap_columns(rows, old_header, header, delim, quote).encode(enc))
    if include_header and header and not wrote_header:
        out.write(csv_text([header], delim, quote).encode(enc))
    for part, part_header in zip(parts, headers, strict=True):
        with open(part, "rb") as f:
            f.readline()
            if part_header == header:
                shutil.copyfileobj(f, out, 1 << 20)
            else:
                rows = csv.reader(io.TextIOWrapper(f, encoding=enc, newline=""),
                                  delimiter=delim, quotechar=quote)
                out.write(remap_columns(rows, part_header, header, delim, quote).encode(enc))


def _tables(kind: str, src: Path) -> Iterator[pa.Table]:
    if kind == "parquet":
        with pq.ParquetFile(src) as pf:
            for batch in pf.iter_batches(batch_size=ROW_GROUP_ROWS):
                yield pa.Table.from_batches([batch])
    else:
        with pa.OSFile(str(src), "rb") as f:
            table = pa.ipc.open_file(f).read_all()
        yield table
