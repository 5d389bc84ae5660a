"""Arrow's CSV parser where it tokenizes as pandas' C parser does: every cell read as text,
chunks of exactly ``chunksize`` rows typed by the CSV type rules (``csv_types``). Whatever Arrow
would read differently raises :class:`NotLikePandas` (or an Arrow error) and ``csv_reader``
resumes with pandas; before that, every Arrow view of the stream is cut off, so no reader left
behind reads ahead from a stream that has been moved back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from .csv_types import arrow_typed, typed_like_pandas

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

# Arrow's read block. Peak memory grows with it (5M-row run: 1 MB 375 MB, 2 MB 440 MB, 4 MB
# 525 MB, 8 MB 620 MB), CPU does not below 4 MB until 1 MB (+3-4 %); benchmarks/README.md.
ARROW_BLOCK = 1 << 21
HEADER_BLOCK = 1 << 16

class NotLikePandas(Exception):
    """Arrow's tokens could differ from pandas' here: resume with pandas."""


_UTF8 = ("utf-8", "utf8", "utf-8-sig")


def arrow_options(options: dict[str, Any], default_delimiter: str) -> dict[str, Any] | None:
    """The ``pyarrow.csv`` options parsing as ``read_csv_kwargs`` does, or None when an option
    is one pandas handles its own way (escapes, skipped lines, other encodings, ...)."""
    has_header = options.get("has_header", True) is not False
    columns = options.get("columns") or None
    sep = options.get("delimiter") or default_delimiter
    quote = options.get("quote_char") or '"'
    encoding = str(options.get("encoding") or "utf-8").lower().replace("_", "-")
    if (len(sep) != 1 or len(quote) != 1 or sep == quote or sep in "\r\n" or quote in "\r\n"
            or options.get("escape_char") or int(options.get("skip_rows") or 0)
            or encoding not in _UTF8 or columns):
        return None
    return {"sep": sep, "quote": quote, "header": has_header}


def _open_arrow(stream: IO[bytes], opts: dict[str, Any], names: list[str] | None,
                block: int | None = None, threads: bool = True) -> Any:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    read = pa_csv.ReadOptions(block_size=block or ARROW_BLOCK, use_threads=threads,
                              autogenerate_column_names=not opts["header"])
    parse = pa_csv.ParseOptions(delimiter=opts["sep"], quote_char=opts["quote"], double_quote=True,
                                escape_char=False, newlines_in_values=True, ignore_empty_lines=True)
    convert = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names or []}, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True)
    return pa_csv.open_csv(stream, read_options=read, parse_options=parse,
                           convert_options=convert)


def arrow_header(stream: IO[bytes], opts: dict[str, Any]) -> list[str]:
    """The column names Arrow reads at the stream's position (which it moves). A small first
    block is enough for a header line (Arrow infers every column's type over the whole first
    block: a 4 MB one cost ~0.1 s before the first row); a header longer than that is read again
    with the full block."""
    start = stream.tell()
    for block in (HEADER_BLOCK, None):
        # One thread and a view that is cut off afterwards: a reader left behind (here, or
        # failed) must not read ahead from the stream once it is moved back to ``start``.
        view = _Tail(stream)
        try:
            return list(_open_arrow(view, opts, None, block, threads=False).schema.names)
        except Exception:  # e.g. the header line does not fit the small block
            if block is None:
                raise
            view.cut()
            stream.seek(start)
        finally:
            view.cut()
    raise AssertionError("unreachable")


class _Tail:
    """A read-only view of a stream that remembers the last bytes read (Arrow reads through it,
    possibly from its own threads). :meth:`cut` ends it: once it returns, no read is running
    and none will start, so the caller may move the stream (a reader Arrow leaves behind must
    not read ahead from it)."""

    KEEP = 1 << 16

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.tail = b""
        self.closed = False
        self._lock = threading.Lock()

    def read(self, size: int = -1) -> bytes:
        with self._lock:
            if self.closed:
                return b""
            data = self.stream.read(size)
        self.tail = (self.tail + data)[-self.KEEP:] if len(data) < self.KEEP else data[-self.KEEP:]
        return data

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def cut(self) -> None:
        """Stop reading the stream, after a read in progress ends."""
        with self._lock:
            self.closed = True

    def close(self) -> None:
        self.closed = True  # the caller's stream stays open


def _unterminated(tail: bytes, last: pa.Table, quote: str) -> bool:
    """True when the file may end inside a quoted field (pandas: "EOF inside string"; Arrow
    takes the rest of the file as the value): the file then ends with the quote and the last
    value as it was read."""
    value = last.column(last.num_columns - 1)[last.num_rows - 1].as_py()
    raw = quote.encode() + (value or "").encode()
    return len(raw) >= len(tail) or tail.endswith(raw)


def _arrow_text_chunks(stream: IO[bytes], opts: dict[str, Any], chunksize: int
                       ) -> Iterator[pa.Table]:
    """Chunks of exactly ``chunksize`` rows (the last may be shorter), every cell text."""
    import pyarrow as pa

    start = stream.tell()
    names = arrow_header(stream, opts)
    if opts["header"] and (len(set(names)) != len(names) or "" in names):
        raise NotLikePandas("pandas renames duplicate and empty header names")
    stream.seek(start)
    source = _Tail(stream)
    try:
        reader = _open_arrow(source, opts, names)
        if any(t != pa.string() for t in reader.schema.types):
            raise NotLikePandas("a column was not read as text")
        pending: list[pa.RecordBatch] = []
        count = 0
        for batch in reader:
            if batch.num_rows:
                pending.append(batch)
                count += batch.num_rows
            while count >= chunksize:
                table = pa.Table.from_batches(pending)
                yield table.slice(0, chunksize)
                rest = table.slice(chunksize)
                pending, count = rest.to_batches(), rest.num_rows
    except BaseException:
        source.cut()  # the caller may seek back and read with pandas: Arrow must be done
        raise
    if count:
        last = pa.Table.from_batches(pending)
        if _unterminated(source.tail, last, opts["quote"]):
            raise NotLikePandas("the file may end inside a quoted value")
        yield last


def _typed_chunk(text: pa.Table, opts: dict[str, Any]) -> pa.Table | pd.DataFrame:
    """A text chunk typed per column; a DataFrame typed by pandas when a column needs it."""
    import pyarrow as pa
    import pyarrow.compute as pc

    names = list(text.column_names)
    if not opts["header"]:
        names = [f"column_{i + 1}" for i in range(len(names))]
    # Columns stay chunked (one chunk per Arrow block): combining them copied every string,
    # half the typing cost of a chunk; the compute functions take chunked arrays as they are.
    columns = [text.column(i) for i in range(len(names))]
    if len(columns) == 1 and pc.any(pc.match_substring_regex(columns[0], r"^\s*$")).as_py():
        raise NotLikePandas("pandas skips lines of blanks")
    typed = []
    for col in columns:
        result = arrow_typed(col)
        if result is None:
            import pandas as pd

            frame = pd.DataFrame({n: pd.Series(c.to_pylist(), dtype=object)
                                  for n, c in zip(names, columns, strict=True)})
            return frame.apply(typed_like_pandas)
        typed.append(result)
    return pa.Table.from_arrays(typed, names=names)


def arrow_chunks(stream: IO[bytes], opts: dict[str, Any], chunksize: int, done: list[int]
                  ) -> Iterator[pa.Table | pd.DataFrame]:
    chunks = _arrow_text_chunks(stream, opts, chunksize)
    try:
        while True:
            chunk = next(chunks, None)
            if chunk is None:
                return
            yield _typed_chunk(chunk, opts)
            done[0] += 1
    finally:
        chunks.close()  # Arrow stops reading the stream before the caller may move it


__all__ = ["ARROW_BLOCK", "HEADER_BLOCK", "NotLikePandas", "arrow_chunks", "arrow_header",
           "arrow_options"]
