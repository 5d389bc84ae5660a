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
(``csv_types.arrow_typed``); a column whose values fall outside the forms proven to type alike
(plain integers and decimals of at most 15 digits, true/false, text no number parse accepts)
is typed by pandas' own rules (``csv_types.typed_like_pandas``) on the same strings. Whatever Arrow tokenizes
differently — a short or long row, a blank-looking line, a duplicate or empty header name,
bytes that are not UTF-8 — raises inside Arrow, and the parse resumes with pandas from the start
of the stream, skipping the chunks already delivered (the chunks are the same rows: both
parsers count ``chunksize`` rows). pandas is imported only when it is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

from ..errors import FatalSourceError
from .csv_arrow import NotLikePandas, arrow_chunks, arrow_header, arrow_options
from .csv_types import arrow_typed, typed_like_pandas

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_PARSE_ROWS = 16_384


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
        "dtype": str,  # typed per column by typed_like_pandas, which keeps ids' text
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


_TRIM: list[Any] = []


def release_freed_memory() -> None:
    """Give memory glibc holds after frees back to the system (``malloc_trim``; a no-op
    elsewhere). Parsing a chunk frees the stream's read blocks, RE2's regex caches and
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
    opts = arrow_options(options, default_delimiter)
    if opts is not None and opts["header"]:
        from ._streams import open_binary

        try:
            with open_binary(path) as stream:
                names = arrow_header(stream, opts)
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
    opts = arrow_options(options, default_delimiter)
    done = [0]
    if opts is not None and _seekable(stream):
        import pyarrow as pa

        start = stream.tell()
        chunks = arrow_chunks(stream, opts, chunksize, done)
        while True:
            try:
                chunk = next(chunks, None)
            except (pa.ArrowException, NotLikePandas, OSError, EOFError):
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
                yield chunk.apply(typed_like_pandas) if len(chunk.columns) else chunk
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
