"""Streaming CSV/TSV reader over pandas' C parser (chunk by chunk, bounded memory).

Type rules (config-format §3.5): types are inferred per parsed chunk (16k rows or one batch
if larger) as pandas does — integer columns with a blank become float, columns of only
true/false become bool, blanks become ``None``, dates stay strings, everything else is
``str`` — except that a number column keeps its text when a value has a leading zero
(``02134``, ``007.5``) or is an integer of more than 15 digits (ids a float or a spreadsheet
would round): only a ``convert`` turns those into numbers. Only the empty cell is missing:
``NA``/``null`` stay text, so a country code ``NA`` survives.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import pandas as pd

from ..errors import FatalSourceError

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


def _typed(column: pd.Series) -> pd.Series:
    """A parsed text column typed as pandas' parser would (numbers, then true/false), unless
    a value is written with a leading zero or is a 16+ digit integer: then it stays text."""
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


def iter_csv_frames(
    stream: IO[bytes], options: dict[str, Any], batch_size: int, *, name: str,
    default_delimiter: str = ",",
) -> Iterator[pd.DataFrame]:
    """Parsed pandas chunks of a CSV stream with their final column names; the one place
    that parses CSV, shared by the record path and the columnar fast path (same chunks, same
    types), and that turns parser errors into messages naming the file."""
    has_header = options.get("has_header", True) is not False
    columns = options.get("columns") or None
    kwargs = read_csv_kwargs(options, max(1, int(batch_size)), default_delimiter)
    try:
        reader = pd.read_csv(stream, **kwargs)
        with reader:
            for chunk in reader:
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
    for chunk in iter_csv_frames(stream, options, batch_size, name=name,
                                 default_delimiter=default_delimiter):
        records = frame_to_records(chunk)
        del chunk
        for start in range(0, len(records), batch_size):
            yield records[start:start + batch_size]
