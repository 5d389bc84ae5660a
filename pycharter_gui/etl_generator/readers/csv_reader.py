"""Streaming CSV/TSV reader (chunk by chunk, bounded memory): Arrow's CSV parser where it
tokenizes as pandas' C parser does, else pandas' C parser.

Type rules (config-format §3.5): types are inferred per parsed chunk (16k rows or one batch
if larger) as pandas does — integer columns with a blank become float, columns of only
true/false become bool, blanks become ``None``, dates stay strings, everything else is
``str`` — except that a number column keeps its text when a value has a leading zero
(``02134``, ``007.5``) or is an integer of more than 15 digits (ids a float or a spreadsheet
would round): only a ``convert`` turns those into numbers. Only the empty cell is missing:
``NA``/``null`` stay text, so a country code ``NA`` survives.

Two parsers, one result. With plain options (one-character delimiter, no escape character, no
``skip_rows``, no ``columns``, UTF-8) and a seekable stream, ``pyarrow.csv`` reads
every cell as text and the chunks are typed column by column with Arrow compute
(:func:`arrow_typed`); a column whose values fall outside the forms proven to type alike
(plain integers and decimals of at most 15 digits, true/false, text no number parse accepts)
is typed by pandas' own rules (:func:`_typed`) on the same strings. Whatever Arrow tokenizes
differently — a short or long row, a blank-looking line, a duplicate or empty header name,
bytes that are not UTF-8 — raises inside Arrow, and the parse resumes with pandas from the start
of the stream, skipping the chunks already delivered (the chunks are the same rows: both
parsers count ``chunksize`` rows). pandas is imported only when it is needed.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from ..errors import FatalSourceError

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_PARSE_ROWS = 16_384
_ARROW_BLOCK = 1 << 22
_HEADER_BLOCK = 1 << 16


def frame_to_records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Turn a DataFrame into records of plain Python values, NaN/NaT as ``None``."""
    names = [str(c) for c in df.columns]
    columns = []
    for _, series in df.items():
        if series.hasnans:
            series = series.astype(object).where(series.notna(), None)
        columns.append(series.tolist())
    if not names:
        return [{} for _ in range(len(df))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def table_to_records(table: pa.Table) -> list[dict[str, Any]]:
    """The records of a typed chunk from :func:`iter_csv_chunks` (plain Python values)."""
    names = list(table.column_names)
    columns = [table.column(i).to_pylist() for i in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def read_csv_kwargs(options: dict[str, Any], batch_size: int, default_delimiter: str = ","
                    ) -> dict[str, Any]:
    """The ``pd.read_csv`` arguments for ``options`` (shared with the columnar fast path, so
    both paths parse a file into exactly the same chunks and types)."""
    has_header = options.get("has_header", True) is not False
    columns = options.get("columns") or None
    kwargs: dict[str, Any] = {
        "sep": options.get("delimiter") or default_delimiter,
        "quotechar": options.get("quote_char") or '"',
        "escapechar": options.get("escape_char") or None,
        "encoding": options.get("encoding") or "utf-8",
        "skiprows": int(options.get("skip_rows") or 0) or None,
        "keep_default_na": False,
        "na_values": [""],
        "dtype": str,  # typed per column by _typed, which keeps ids' text
        # parse in chunks of at least _PARSE_ROWS: pandas' per-chunk overhead dominates
        # small batches; records are then sliced to batch_size
        "chunksize": max(_PARSE_ROWS, int(batch_size)),
        "header": 0 if has_header else None,
    }
    if has_header and columns:
        kwargs["usecols"] = list(columns)
    elif columns:
        kwargs["names"] = list(columns)
    return kwargs


_BOOLS = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False,
          "false": False}
_KEEP_TEXT = r"[+-]?0\d|[+-]?\d{16}"  # a leading zero, or an integer of 16+ digits
# forms that pandas' to_numeric and Arrow's cast read alike (exact: <= 15 digits, see below)
_DECIMAL = r"^-?[0-9]+(\.[0-9]*)?$"
_KEEP_DECIMAL = r"^-?(0[0-9]|[0-9]{16})"  # _KEEP_TEXT for values matching _DECIMAL
# exactly the values matching _DECIMAL but not _KEEP_DECIMAL: one scan for a plain column
_PLAIN_DECIMAL = r"^-?(0|[1-9][0-9]{0,14})(\.[0-9]*)?$"
# a superset of what to_numeric accepts (pandas' xstrtod: blanks, sign, digits, point, digits,
# exponent, blanks; or inf/infinity): a value outside it makes to_numeric fail
_WS = "[ \\t\\n\\x0b\\f\\r]*"
_NUMBERISH = f"{_WS}[+-]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)(e[+-]?[0-9]*)?|inf|infinity|nan){_WS}"
_MAYBE_NUMBER = f"(?i)^{_NUMBERISH}$"
_NUMBERISH_RE = re.compile(_NUMBERISH, re.IGNORECASE)
_MAX_DIGITS = 15


def arrow_typed(arr: pa.Array) -> pa.Array | None:
    """A text column (Arrow strings, nulls for empty cells) typed as :func:`_typed` types it,
    or None when that cannot be told without pandas.

    Exact by construction: an integer of at most 15 digits is the same number for both; a
    decimal of at most 15 digits is < 2**53 scaled by a power of ten <= 1e15, which pandas'
    parser divides exactly once (correctly rounded) like Arrow's; a value outside
    ``_MAYBE_NUMBER`` makes ``to_numeric`` fail, after which only the true/false test is left
    (one such value decides: the first is looked at before any scan of the column).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if arr.null_count == len(arr):
        return pa.nulls(len(arr))  # to_numeric of only blanks: float NaN, i.e. None
    valid = arr.drop_null() if arr.null_count else arr
    first = valid[0].as_py()
    if _NUMBERISH_RE.fullmatch(first) is None:  # to_numeric fails
        if first in _BOOLS and pc.all(pc.is_in(valid, value_set=pa.array(list(_BOOLS)))).as_py():
            return pc.equal(pc.utf8_lower(arr), "true")
        return arr
    plain = pc.all(pc.match_substring_regex(valid, _PLAIN_DECIMAL)).as_py()
    if plain or pc.all(pc.match_substring_regex(valid, _DECIMAL)).as_py():
        if not plain and pc.any(pc.match_substring_regex(valid, _KEEP_DECIMAL)).as_py():
            return arr  # to_numeric reads them (or fails on a huge integer): text either way
        point = pc.match_substring(valid, ".")
        if pc.max(pc.binary_length(valid)).as_py() > _MAX_DIGITS:  # else no value has more digits
            digits = pc.subtract(pc.binary_length(valid),
                                 pc.cast(pc.starts_with(valid, "-"), pa.int32()))
            digits = pc.subtract(digits, pc.cast(point, pa.int32()))
            if pc.max(digits).as_py() > _MAX_DIGITS:
                return None
        try:
            if not pc.any(point).as_py():
                return arr.cast(pa.float64() if arr.null_count else pa.int64())
            return arr.cast(pa.float64())
        except pa.ArrowException:
            return None
    if not pc.all(pc.match_substring_regex(valid, _MAYBE_NUMBER)).as_py():
        return arr  # to_numeric fails; the first value is no true/false
    return None


def _typed(column: pd.Series) -> pd.Series:
    """A parsed text column typed as pandas' parser would (numbers, then true/false), unless
    a value is written with a leading zero or is a 16+ digit integer: then it stays text.
    Plain columns are told apart by :func:`arrow_typed` (no Python objects); the rest by
    ``pd.to_numeric``."""
    import pandas as pd
    import pyarrow as pa

    try:
        typed = arrow_typed(pa.array(column, from_pandas=True, type=pa.string()))
    except (pa.ArrowException, TypeError, ValueError):
        typed = None
    if typed is not None:
        if typed.type == pa.string():
            return column
        if typed.type == pa.bool_():
            return column.map(_BOOLS)
        if typed.type != pa.null():
            return pd.Series(typed.to_numpy(zero_copy_only=False), index=column.index,
                             name=column.name)
    try:
        numbers = pd.to_numeric(column)
    except (ValueError, TypeError):
        text = column.dropna()
        if len(text) and text.isin(_BOOLS).all():
            return column.map(_BOOLS)
        return column
    if column.str.match(_KEEP_TEXT).any():
        return column
    return numbers


# ---- the Arrow parse ----------------------------------------------------------------------
class _NotLikePandas(Exception):
    """Arrow's tokens could differ from pandas' here: resume with pandas."""


_UTF8 = ("utf-8", "utf8", "utf-8-sig")


def _arrow_options(options: dict[str, Any], default_delimiter: str) -> dict[str, Any] | None:
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

    read = pa_csv.ReadOptions(block_size=block or _ARROW_BLOCK, use_threads=threads,
                              autogenerate_column_names=not opts["header"])
    parse = pa_csv.ParseOptions(delimiter=opts["sep"], quote_char=opts["quote"], double_quote=True,
                                escape_char=False, newlines_in_values=True, ignore_empty_lines=True)
    convert = pa_csv.ConvertOptions(
        column_types={n: pa.string() for n in names or []}, null_values=[""],
        strings_can_be_null=True, quoted_strings_can_be_null=True)
    return pa_csv.open_csv(stream, read_options=read, parse_options=parse,
                           convert_options=convert)


def _arrow_header(stream: IO[bytes], opts: dict[str, Any]) -> list[str]:
    """The column names Arrow reads at the stream's position (which it moves). A small first
    block is enough for a header line (Arrow infers every column's type over the whole first
    block: 4 MB cost ~0.1 s before the first row); a header longer than that is read again
    with the full block."""
    start = stream.tell()
    for block in (_HEADER_BLOCK, None):
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
    names = _arrow_header(stream, opts)
    if opts["header"] and (len(set(names)) != len(names) or "" in names):
        raise _NotLikePandas("pandas renames duplicate and empty header names")
    stream.seek(start)
    source = _Tail(stream)
    try:
        reader = _open_arrow(source, opts, names)
        if any(t != pa.string() for t in reader.schema.types):
            raise _NotLikePandas("a column was not read as text")
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
            raise _NotLikePandas("the file may end inside a quoted value")
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
        raise _NotLikePandas("pandas skips lines of blanks")
    typed = []
    for col in columns:
        result = arrow_typed(col)
        if result is None:
            import pandas as pd

            frame = pd.DataFrame({n: pd.Series(c.to_pylist(), dtype=object)
                                  for n, c in zip(names, columns, strict=True)})
            return frame.apply(_typed)
        typed.append(result)
    return pa.Table.from_arrays(typed, names=names)


def _arrow_chunks(stream: IO[bytes], opts: dict[str, Any], chunksize: int, done: list[int]
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


_TRIM: list[Any] = []


def release_freed_memory() -> None:
    """Give memory glibc holds after frees back to the system (``malloc_trim``; a no-op
    elsewhere). Parsing a chunk frees the stream's 4 MB read blocks, RE2's regex caches and
    pandas/Python temporaries outside Arrow's pool; glibc keeps them in its arenas, so without
    this the peak RSS of a long file grew with its length (benchmarks/README.md, issue 16)."""
    if not _TRIM:
        try:
            import ctypes

            _TRIM.append(ctypes.CDLL("libc.so.6").malloc_trim)
        except (OSError, AttributeError):
            _TRIM.append(None)
    if _TRIM[0] is not None:
        _TRIM[0](0)


def _seekable(stream: IO[bytes]) -> bool:
    """True when the Arrow attempt may rewind ``stream`` for pandas. A decompressing stream
    says it can seek, but rewinding re-reads its source, which may not seek (an S3 body)."""
    import bz2
    import gzip
    import lzma

    if isinstance(stream, gzip.GzipFile | bz2.BZ2File | lzma.LZMAFile):
        return False
    try:
        return bool(stream.seekable()) and stream.tell() >= 0
    except (AttributeError, OSError, ValueError):
        return False


def csv_header(path: str, options: dict[str, Any], default_delimiter: str = ",") -> list[str]:
    """The column names ``pd.read_csv(path, nrows=0, **read_csv_kwargs(options, 1))`` gives,
    read by Arrow (one block) when the options allow it, so that a check of field names does not
    import pandas; pandas reads them otherwise (and raises its own errors)."""
    opts = _arrow_options(options, default_delimiter)
    if opts is not None and opts["header"]:
        from ._streams import open_binary

        try:
            with open_binary(path) as stream:
                names = _arrow_header(stream, opts)
            if names and len(set(names)) == len(names) and "" not in names:
                return names
        except Exception:  # pandas decides, and words any problem
            pass
    import pandas as pd

    kwargs = read_csv_kwargs(options, 1, default_delimiter)
    del kwargs["chunksize"]
    return [str(c) for c in pd.read_csv(path, nrows=0, **kwargs).columns]


# ---- the shared entry points --------------------------------------------------------------
def iter_csv_chunks(
    stream: IO[bytes], options: dict[str, Any], batch_size: int, *, name: str,
    default_delimiter: str = ",",
) -> Iterator[pa.Table | pd.DataFrame]:
    """Typed chunks of a CSV stream with their final column names: an Arrow table (plain
    types: int64, double, string, bool, null) or a pandas DataFrame; the one place that parses
    CSV, shared by the record path and the columnar fast path (same chunks, same types), and
    that turns parser errors into messages naming the file."""
    chunksize = max(_PARSE_ROWS, max(1, int(batch_size)))
    opts = _arrow_options(options, default_delimiter)
    done = [0]
    if opts is not None and _seekable(stream):
        import pyarrow as pa

        start = stream.tell()
        chunks = _arrow_chunks(stream, opts, chunksize, done)
        while True:
            try:
                chunk = next(chunks, None)
            except (pa.ArrowException, _NotLikePandas, OSError, EOFError):
                stream.seek(start)  # pandas decides (and words any error) from here
                break
            if chunk is None:
                return
            yield chunk
            del chunk
            release_freed_memory()
    yield from iter_csv_frames(stream, options, batch_size, name=name,
                               default_delimiter=default_delimiter, skip_chunks=done[0])


def iter_csv_frames(
    stream: IO[bytes], options: dict[str, Any], batch_size: int, *, name: str,
    default_delimiter: str = ",", skip_chunks: int = 0,
) -> Iterator[pd.DataFrame]:
    """Parsed pandas chunks of a CSV stream with their final column names (pandas' C parser
    throughout); ``skip_chunks`` leaves out the first chunks untyped."""
    import pandas as pd

    has_header = options.get("has_header", True) is not False
    columns = options.get("columns") or None
    kwargs = read_csv_kwargs(options, max(1, int(batch_size)), default_delimiter)
    try:
        reader = pd.read_csv(stream, **kwargs)
        with reader:
            for index, chunk in enumerate(reader):
                if index < skip_chunks:
                    continue
                if not has_header and not columns:
                    chunk.columns = [f"column_{i + 1}" for i in range(chunk.shape[1])]
                elif has_header and columns:
                    chunk = chunk[list(columns)]
                yield chunk.apply(_typed) if len(chunk.columns) else chunk
    except pd.errors.EmptyDataError:
        return
    except UnicodeDecodeError as exc:
        raise FatalSourceError(
            f"{name}: cannot decode the file as {kwargs['encoding']} ({exc.reason} at byte "
            f"{exc.start}); set csv_options.encoding", source=name) from exc
    except (pd.errors.ParserError, ValueError) as exc:
        raise FatalSourceError(f"{name}: cannot read as CSV: {exc}", source=name) from exc


def iter_csv(
    stream: IO[bytes], options: dict[str, Any], batch_size: int, *, name: str,
    default_delimiter: str = ",",
) -> Iterator[list[dict[str, Any]]]:
    """Yield batches of records from a CSV stream, ``batch_size`` rows at a time."""
    batch_size = max(1, int(batch_size))
    for chunk in iter_csv_chunks(stream, options, batch_size, name=name,
                                 default_delimiter=default_delimiter):
        records = frame_to_records(chunk) if hasattr(chunk, "iloc") else table_to_records(chunk)
        del chunk
        for start in range(0, len(records), batch_size):
            yield records[start:start + batch_size]


__all__ = ["arrow_typed", "csv_header", "frame_to_records", "iter_csv", "iter_csv_chunks", "iter_csv_frames",
           "read_csv_kwargs", "table_to_records"]
