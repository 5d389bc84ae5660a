"""The Arrow CSV parse (and the vectorised typing) gives exactly what the pandas parse gave.

The reference is the reader as it was before Arrow: ``pd.read_csv`` with the shared arguments
and the per-column rules below (``to_numeric``, the leading-zero / 16+ digit text rule,
true/false), copied here unchanged. Every case compares values *and* types, chunk by chunk, on
the record path and the columnar path, and a file Arrow would tokenize differently must still
come out as pandas parsed it (the reader resumes with pandas)."""

from __future__ import annotations

import gzip
import io
import math
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from pycharter_gui.etl_generator.columnar.reader import iter_arrow_batches
from pycharter_gui.etl_generator.errors import FatalSourceError
from pycharter_gui.etl_generator.readers import csv_arrow, csv_reader, iter_batches
from pycharter_gui.etl_generator.readers.csv_reader import (
    frame_to_records,
    iter_csv_chunks,
    read_csv_kwargs,
)
from pycharter_gui.etl_generator.readers.csv_types import typed_like_pandas

_BOOLS = {"True": True, "TRUE": True, "true": True, "False": False, "FALSE": False,
          "false": False}
_KEEP_TEXT = r"[+-]?0\d|[+-]?\d{16}"


def reference_typed(column: pd.Series) -> pd.Series:
    """``csv_types.typed_like_pandas`` before this change (pandas only)."""
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


def reference_chunks(data: bytes, options: dict[str, Any], batch_size: int,
                     default_delimiter: str = ",") -> list[list[dict[str, Any]]]:
    """The records of every chunk as the pandas-only reader made them (or its error)."""
    has_header = options.get("has_header", True) is not False
    columns = options.get("columns") or None
    kwargs = read_csv_kwargs(options, batch_size, default_delimiter)
    out = []
    if not data:
        return out  # pandas' EmptyDataError: no batches
    with pd.read_csv(io.BytesIO(data), **kwargs) as reader:
        for chunk in reader:
            if not has_header and not columns:
                chunk.columns = [f"column_{i + 1}" for i in range(chunk.shape[1])]
            elif has_header and columns:
                chunk = chunk[list(columns)]
            chunk = chunk.apply(reference_typed) if len(chunk.columns) else chunk
            records = frame_to_records(chunk)
            if records:
                out.append(records)
    return out


def typed_values(records: list[dict[str, Any]]) -> list[list[tuple[str, str, Any]]]:
    """Records with each value's type (1 and 1.0 and True differ; NaN would fail loudly)."""
    out = []
    for rec in records:
        row = []
        for key, value in rec.items():
            assert not (isinstance(value, float) and math.isnan(value)), (key, rec)
            row.append((key, type(value).__name__, value))
        out.append(row)
    return out


def new_chunks(data: bytes, options: dict[str, Any], batch_size: int,
               default_delimiter: str = ",") -> tuple[list[list[dict[str, Any]]], list[str]]:
    """Records per chunk from the reader, and which parser typed each chunk."""
    out, kinds = [], []
    for chunk in iter_csv_chunks(io.BytesIO(data), options, batch_size, name="in.csv",
                                 default_delimiter=default_delimiter):
        if isinstance(chunk, pa.Table):
            kinds.append("arrow")
            records = csv_reader.table_to_records(chunk)
        else:
            kinds.append("pandas")
            records = frame_to_records(chunk)
        if records:
            out.append(records)
    return out, kinds


def assert_same(data: bytes, options: dict[str, Any] | None = None, batch_size: int = 1000,
                *, tmp_path: Path | None = None, default_delimiter: str = ",") -> list[str]:
    """Records (values and types), chunk boundaries and errors equal the reference's, on the
    record path, the chunk API and the columnar reader; returns the parser of each chunk."""
    options = options or {}
    try:
        expected: Any = reference_chunks(data, options, batch_size, default_delimiter)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError):
        expected = "error"
    if expected == "error":
        with pytest.raises(FatalSourceError):
            new_chunks(data, options, batch_size, default_delimiter)
        return []
    got, kinds = new_chunks(data, options, batch_size, default_delimiter)
    assert [typed_values(c) for c in got] == [typed_values(c) for c in expected]
    flat = [r for c in expected for r in c]
    fmt = "tsv" if default_delimiter == "\t" else "csv"
    batches = list(iter_batches(io.BytesIO(data), fmt, options, batch_size))
    assert typed_values([r for b in batches for r in b]) == typed_values(flat)
    if tmp_path is not None:
        path = tmp_path / f"in.{fmt}"
        path.write_bytes(data)
        arrow = list(iter_arrow_batches(str(path), fmt, options, batch_size))
        assert typed_values([r for b in arrow for r in b.records()]) == typed_values(flat)
        tables = [b.table for b in arrow if b.table is not None]
        assert typed_values([r for t in tables for r in t.to_pylist()]) == typed_values(
            [r for b in arrow if b.table is not None for r in b.records()])
    return kinds


# ---- every tricky case of the documented rules ------------------------------------------
CASES = {
    "plain": b"id,name,qty,price,flag\n1,a,2,1.5,true\n2,b,3,2.25,false\n",
    "crlf": b"a,b\r\n1,x\r\n2,y\r\n",
    "cr only": b"a,b\r1,x\r2,y\r",
    "no final newline": b"a,b\n1,x\n2,y",
    "bom": b"\xef\xbb\xbfa,b\n1,x\n",
    "quotes": b'a,b\n"x, ""quoted""",2\n"",3\n"multi\nline",4\n"cr\r\nlf",5\n',
    "quote mid field": b'a,b\nab"c,1\n',
    "text after closing quote": b'a,b\n"ab"c,1\n',
    "space before quote": b'a,b\n "a",1\n',
    "blank lines": b"\n\na,b\n1,2\n\n\n3,4\n\n",
    "empty cells": b"a,b,c\n,,\n1,,x\n",
    "NA and null stay text": b"a,b,c\nNA,null,None\nN/A,nan,NaN\n",
    "leading zeros": b"zip,amount,neg,zero\n02134,007.50,-01,0\n10001,1.25,-1,0.5\n",
    "16 digit ids": b"id,f\n1234567890123456,1234567890123456.5\n2,3\n",
    "15 digit ids": b"id,f,n\n123456789012345,12345678901234.5,-123456789012345\n2,3,4\n",
    "ints with blanks": b"a,b\n1,\n,2\n3,4\n",
    "bools": b"a,b,c,d\ntrue,True,TRUE,true\nfalse,False,FALSE,\n,true,false,yes\n",
    "number forms": (b"a,b,c,d,e,f,g,h,i\n1e5,+5, 5,inf,-Infinity,.5,5.,-0,-0.0\n"
                     b"2,3,6 ,1,2,1,2,3,4\n"),
    "long decimals": b"a,b\n3.14159265358979323846,0.1000000000000001\n1,2\n",
    "huge ints": b"a,b\n123456789012345678901234567890,-99999999999999999999\n1,2\n",
    "dates stay text": b"d,t\n2026-01-12,2026-01-12T10:00:00\n2026-02-01,\n",
    "unicode": "a,b\nçava,日本\n1,ü\n".encode(),
    "whitespace text": b"a,b\n  ,\t\n x ,1\n",
    "all blank column": b"a,b\n,1\n,2\n",
    "header only": b"a,b\n",
    "header only no newline": b"a,b",
    "empty": b"",
    "numeric header": b"2020,2021\n1,x\n",
}


@pytest.mark.parametrize("name", list(CASES))
def test_every_case_parses_as_pandas_did(name: str, tmp_path: Path) -> None:
    assert_same(CASES[name], tmp_path=tmp_path)
    assert_same(CASES[name], batch_size=1)


def test_plain_files_take_the_arrow_parse(tmp_path: Path) -> None:
    for name in ("plain", "crlf", "bom", "quotes", "leading zeros", "16 digit ids", "bools",
                 "NA and null stay text", "unicode", "dates stay text", "ints with blanks"):
        kinds = assert_same(CASES[name], tmp_path=tmp_path)
        assert kinds == ["arrow"], name


@pytest.mark.parametrize("data", [
    b"a,b\n1,2\n3\n",                      # a short row: pandas fills None
    b"a,b\n1,2,3\n",                       # one field more: pandas makes an index of it
    b"a,b\n1,2\n1,2,3,4\n",                # too many fields: pandas' error
    b"a,a\n1,2\n",                         # duplicate names: pandas renames (a.1)
    b",b\n1,2\n",                          # empty name: pandas names it Unnamed: 0
    b"a\nx\n  \ny\n",                      # a blank-looking line: pandas skips it
    b"a,b\n1,2\n  \n3,4\n",
    b'a,b\n1,"2\n',                        # unterminated quote: pandas' error
    b'a,b\n1,"2',
    b'a,b\n1,"2\n3,4\n',
    b'a,b\n1,"',
    b'a,b\n1,""',                          # (fine, but looks alike: pandas decides)
    b"a,b\n\xe9,2\n",                      # not UTF-8: pandas' decode error
])
def test_what_arrow_reads_differently_is_read_by_pandas(data: bytes, tmp_path: Path) -> None:
    assert_same(data, tmp_path=tmp_path)


def test_a_difference_after_some_chunks_resumes_where_arrow_stopped(tmp_path: Path) -> None:
    rows = [f"{i},{i * 0.5},name{i}" for i in range(40_000)]
    rows[35_000] = "35000"  # a short row in the third chunk of 16,384
    data = ("a,b,c\n" + "\n".join(rows) + "\n").encode()
    seen = []
    original = csv_reader.iter_csv_frames

    def spy(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("skip_chunks"))
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_reader, "iter_csv_frames", spy)
        mp.setattr(csv_arrow, "ARROW_BLOCK", 1 << 16)  # Arrow reads ahead one block
        assert_same(data, batch_size=5000, tmp_path=tmp_path)
    assert 2 in seen, seen


def test_bad_bytes_late_in_the_file_give_pandas_error(tmp_path: Path) -> None:
    data = b"a,b\n" + b"1,x\n" * 20_000 + b"2,\xff\n"
    with pytest.raises(FatalSourceError, match="cannot decode the file as utf-8"):
        list(iter_batches(io.BytesIO(data), "csv", {}, 1000))


@pytest.mark.filterwarnings("ignore::pandas.errors.ParserWarning")  # "||": pandas' own engine
@pytest.mark.parametrize("options", [
    {"delimiter": ";"}, {"quote_char": "'"}, {"has_header": False},
    {"columns": ["c", "a"]}, {"columns": ["a", "missing"]}, {"has_header": False, "columns": ["x", "y", "z"]},
    {"escape_char": "\\"}, {"skip_rows": 1}, {"encoding": "latin-1"}, {"encoding": "UTF_8"},
    {"delimiter": "||"},
])
def test_options(options: dict[str, Any], tmp_path: Path) -> None:
    sep = options.get("delimiter", ",")
    quote = options.get("quote_char", '"')
    text = (f"a{sep}b{sep}c\n1{sep}{quote}x{sep}y{quote}{sep}true\n"
            f"02{sep}\\\"z{sep}false\n3{sep}é{sep}\n")
    assert_same(text.encode("latin-1" if options.get("encoding") == "latin-1" else "utf-8"),
                options, tmp_path=tmp_path)


def test_tsv(tmp_path: Path) -> None:
    assert_same(b"a\tb\n1\tx,y\n2\t\n", tmp_path=tmp_path, default_delimiter="\t")


def test_gzip_file(tmp_path: Path) -> None:
    data = b"a,b\n" + b"".join(f"{i},{i / 4}\n".encode() for i in range(30_000))
    path = tmp_path / "in.csv.gz"
    path.write_bytes(gzip.compress(data))
    got = [r for b in iter_batches(str(path), "csv", {}, 7000) for r in b]
    assert typed_values(got) == typed_values([r for c in reference_chunks(data, {}, 7000)
                                              for r in c])


def test_non_seekable_streams_use_pandas() -> None:
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            chunk = self.inner.read(len(b))
            b[:len(chunk)] = chunk
            return len(chunk)

    chunks = list(iter_csv_chunks(OneWay(CASES["plain"]), {}, 10, name="x"))
    assert [type(c) for c in chunks] == [pd.DataFrame]


# ---- generated files: per-chunk typing on random columns ---------------------------------
TOKENS = ["", "0", "1", "-1", "7", "42", "-0", "007", "02134", "1.5", "-2.25", "0.1", ".5",
          "5.", "1e3", "+4", " 3", "inf", "nan", "NA", "null", "true", "false", "True", "FALSE",
          "yes", "x", "2026-01-12", "12345678901234567", "123456789012345", "1,5", "1_000",
          "3.141592653589793", "99999999999999.9", "-", ".", "e5", "\uff11\uff12"]


def _random_column(rng: random.Random, rows: int) -> list[str]:
    """Mostly one kind of value (so that columns type), sprinkled with tricky tokens."""
    kind = rng.choice(["int", "float", "bool", "text", "mixed", "blank"])
    out = []
    for _ in range(rows):
        roll = rng.random()
        if kind == "mixed" or roll < 0.002:
            out.append(rng.choice(TOKENS))
        elif roll < 0.03:
            out.append("")
        elif kind == "int":
            out.append(str(rng.randint(-10**6, 10**6)))
        elif kind == "float":
            out.append(f"{rng.uniform(-1000, 1000):.{rng.randint(0, 6)}f}")
        elif kind == "bool":
            out.append(rng.choice(["true", "false", "True", "FALSE"]))
        elif kind == "text":
            out.append(rng.choice(["Paris", "a b", "é", "x,y", 'say "hi"']))
        else:
            out.append("")
    return out


def _quoted(value: str) -> str:
    if any(ch in value for ch in ',"\n'):
        return '"' + value.replace('"', '""') + '"'
    return value


@pytest.mark.parametrize("seed", range(6))
def test_generated_files(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    rows = rng.choice([50, 20_000, 40_000])
    width = rng.randint(1, 8)
    columns = [_random_column(rng, rows) for _ in range(width)]
    if width == 1:
        columns[0] = [v if v.strip() else "v" for v in columns[0]]  # see the blank-line case
    lines = [",".join(f"c{i}" for i in range(width))]
    lines += [",".join(_quoted(col[r]) for col in columns) for r in range(rows)]
    data = ("\n".join(lines) + "\n").encode()
    assert_same(data, batch_size=rng.choice([1000, 7000, 50_000]), tmp_path=tmp_path)


def test_typed_equals_the_pandas_rules_on_every_token_pair() -> None:
    """The cheaper ``typed_like_pandas`` (vectorised screen first) against the reference, column by
    column: every token alone, with blanks, and beside every other token (the parse gives a
    missing value for an empty cell, never "")."""
    tokens = [t or None for t in TOKENS]
    for a in tokens:
        for b in tokens:
            for values in ([a, b], [a, b, None], [a] * 3):
                column = pd.Series(values, dtype=str)
                got, want = typed_like_pandas(column), reference_typed(column)
                assert typed_values(frame_to_records(got.to_frame("v"))) == typed_values(
                    frame_to_records(want.to_frame("v"))), values


def test_random_decimals_are_the_same_floats() -> None:
    rng = random.Random(7)
    values = []
    for _ in range(20_000):
        digits = str(rng.randint(1, 9)) + "".join(rng.choice("0123456789")
                                                   for _ in range(rng.randint(0, 14)))
        point = rng.randint(1, len(digits))
        values.append(("-" if rng.random() < 0.3 else "") + digits[:point] + "."
                      + digits[point:])
    column = pd.Series(values, dtype=str)
    assert typed_like_pandas(column).tolist() == reference_typed(column).tolist()


@pytest.mark.parametrize("data", [CASES["plain"], CASES["bom"], CASES["numeric header"],
                                  b"a,a\n1,2\n", b",b\n1,2\n", b'"x,y",z\n1,2\n', b"a;b\n1;2\n"])
@pytest.mark.parametrize("options", [{}, {"delimiter": ";"}, {"escape_char": "\\"}])
def test_header_names_equal_pandas(data: bytes, options: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(data)
    kwargs = read_csv_kwargs(options, 1)
    del kwargs["chunksize"]
    expected = [str(c) for c in pd.read_csv(path, nrows=0, **kwargs).columns]
    assert csv_reader.csv_header(str(path), options) == expected


def test_a_header_longer_than_the_first_header_block_is_read_whole(tmp_path: Path) -> None:
    """The header is read from a small first block (start-up); one that does not fit is read
    again with the full block, by Arrow, with the same names as pandas."""
    names = [f"column_with_a_long_name_{i:05d}" for i in range(3000)]  # ~90 KB of header
    assert len(",".join(names)) > csv_arrow.HEADER_BLOCK
    data = (",".join(names) + "\n" + ",".join(str(i) for i in range(3000)) + "\n").encode()
    assert assert_same(data, tmp_path=tmp_path) == ["arrow"]
    path = tmp_path / "wide.csv"
    path.write_bytes(data)
    assert csv_reader.csv_header(str(path), {}) == names


def test_reading_the_header_leaves_no_reader_behind_on_the_stream() -> None:
    """A header read (the small block that fails, then the full one) never reads from the
    stream after it returns: a reader left reading ahead would move the stream that the chunk
    reader has just put back to its start (seen once as a pandas fallback under load)."""
    import threading
    import time

    names = [f"column_with_a_long_name_{i:05d}" for i in range(3000)]
    data = (",".join(names) + "\n" + "\n".join(",".join("1" * 3000) for _ in range(200)))

    class Watched(io.BytesIO):
        def __init__(self, raw: bytes) -> None:
            super().__init__(raw)
            self.late: list[str] = []
            self.done = False

        def read(self, size: int | None = -1) -> bytes:
            if self.done:
                self.late.append(threading.current_thread().name)
            return super().read(size)

    for _ in range(20):
        stream = Watched(data.encode())
        got = csv_arrow.arrow_header(stream, {"sep": ",", "quote": '"', "header": True})
        stream.done = True
        time.sleep(0.01)
        assert got == names and stream.late == []


def test_after_arrow_gives_up_only_pandas_reads_the_stream() -> None:
    """A difference found in a later chunk hands the stream back to pandas: from the moment it
    is moved back, no Arrow thread reads from it (it would move it under pandas)."""
    import threading
    import time

    rows = [f"{i},{i * 0.5},name{i}" for i in range(120_000)]
    rows[70_000] = "70000"  # a short row: pandas reads it differently
    data = ("a,b,c\n" + "\n".join(rows) + "\n").encode()
    caller = threading.current_thread().name

    class Watched(io.BytesIO):
        rewinds = 0  # the first: after the header; the second: handed back to pandas
        handed_back = False
        late: list[str] = []

        def seek(self, pos: int, whence: int = 0) -> int:
            if pos == 0 and whence == 0 and self.tell() > 0:
                Watched.rewinds += 1
                Watched.handed_back = Watched.rewinds >= 2
            return super().seek(pos, whence)

        def read(self, size: int | None = -1) -> bytes:
            if threading.current_thread().name != caller:
                time.sleep(0.002)  # Arrow's read-ahead in flight when the difference shows
                if Watched.handed_back:
                    Watched.late.append(threading.current_thread().name)
            return super().read(size)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_arrow, "ARROW_BLOCK", 1 << 16)
        for _ in range(5):
            Watched.rewinds, Watched.handed_back, Watched.late = 0, False, []
            chunks = list(iter_csv_chunks(Watched(data), {}, 16_384, name="in.csv"))
            assert sum(len(c) for c in chunks) == 120_000
            assert Watched.handed_back and Watched.late == []


# ---- the regex-free recogniser of plain decimals ------------------------------------------
def _regex_plain(arr: pa.Array) -> bool | None:
    """What ``plain_decimals`` followed by Arrow's float cast must answer, by the regex it
    replaces (values of up to 15 characters; longer ones are left to the regex)."""
    import pyarrow.compute as pc

    from pycharter_gui.etl_generator.readers.csv_types import _PLAIN_DECIMAL

    values = [v for v in arr.to_pylist() if v is not None]
    if values and (max(map(len, values)) > 15 or not pc.all(pc.match_substring_regex(
            pa.array(values, pa.string()), _PLAIN_DECIMAL)).as_py()):
        return None
    return any("." in v for v in values)


def _recognised(arr: pa.Array | pa.ChunkedArray) -> bool | None:
    from pycharter_gui.etl_generator.readers.csv_types import plain_decimals

    found = plain_decimals(arr)
    if found is not None:
        try:
            arr.cast(pa.float64())
        except pa.ArrowInvalid:
            return None
    return found


PLAIN_TOKENS = [*TOKENS, "0.", "-0.5", "10", "100.001", "12345678901234.5", "1234567890123456",
                         "-123456789012345", "1..2", "1-2", "--1", "-.5", "0.0", "00.1", "9/2",
                         "1.2.3", "5-", "0x1", "-0", "0", "-0.", "-00", "0.1.", "1.5-"]


@pytest.mark.parametrize("seed", range(40))
def test_plain_decimals_answer_as_the_regex(seed: int) -> None:
    """Chunked, sliced and null-bearing string arrays (as the Arrow parse makes them): the numpy
    recogniser (with the cast that confirms it) and the regex agree."""
    rng = random.Random(seed)
    mostly = rng.choice(["int", "float", "mixed"])
    values: list[str | None] = []
    for _ in range(rng.randint(1, 300)):
        roll = rng.random()
        if roll < 0.05:
            values.append(None)
        elif mostly == "mixed" or roll < 0.08:
            values.append(rng.choice(PLAIN_TOKENS) or None)
        elif mostly == "int":
            values.append(str(rng.randint(-10**14, 10**14)))
        else:
            values.append(f"{rng.uniform(-10**6, 10**6):.{rng.randint(0, 7)}f}")
    cut = rng.randint(0, len(values))
    arr = pa.chunked_array([pa.array(values[:cut], pa.string()),
                            pa.array(["x", *values[cut:]], pa.string()).slice(1)],
                           type=pa.string())
    assert _recognised(arr) == _regex_plain(arr.combine_chunks()), values
    for chunk in arr.chunks:
        assert _recognised(chunk) == _regex_plain(chunk), chunk.to_pylist()


def test_plain_decimals_on_every_token_pair() -> None:
    tokens = [t or None for t in PLAIN_TOKENS]
    for a in tokens:
        for b in tokens:
            arr = pa.array([a, b], pa.string())
            assert _recognised(arr) == _regex_plain(arr), (a, b)
