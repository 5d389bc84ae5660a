"""Format readers: type rules, options, compression, bad lines and bounded memory."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator.errors import ConfigError, FatalSourceError
from pycharter_gui.etl_generator.readers import BadLine, detect_format, iter_batches


def read_all(source, fmt, options=None, batch_size=1000):
    return [r for b in iter_batches(source, fmt, options or {}, batch_size) for r in b]


class CountingReader(io.RawIOBase):
    """A binary stream that generates CSV/JSON rows on demand and counts bytes handed out."""

    def __init__(self, head: bytes, row: bytes, rows: int, tail: bytes = b"") -> None:
        self.data = [head, row, rows, tail]
        self.buffer = b""
        self.emitted = 0
        self.served = 0
        self.total = len(head) + len(row) * rows + len(tail)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        head, row, rows, tail = self.data
        while len(self.buffer) < len(b) and (head or self.emitted < rows or tail):
            if head:
                self.buffer += head
                self.data[0] = head = b""
            elif self.emitted < rows:
                sep = b"," if tail and self.emitted else b""
                self.buffer += sep + row
                self.emitted += 1
            else:
                self.buffer += tail
                self.data[3] = tail = b""
        n = min(len(b), len(self.buffer))
        b[:n] = self.buffer[:n]
        self.buffer = self.buffer[n:]
        self.served += n
        return n


def test_csv_type_rules(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("id,qty,flag,name,day,code\n1,10,true,Ann,2024-01-02,NA\n2,,false,,2024-01-03,007\n")
    rows = read_all(p, "csv")
    assert rows[0] == {"id": 1, "qty": 10.0, "flag": True, "name": "Ann", "day": "2024-01-02",
                       "code": "NA"}
    assert rows[1]["qty"] is None and rows[1]["name"] is None and rows[1]["flag"] is False
    assert type(rows[0]["id"]) is int and type(rows[0]["qty"]) is float


def test_csv_options(tmp_path: Path) -> None:
    p = tmp_path / "t.txt"
    p.write_text("# exported\nskip me\na;b\n'x;1';2\n'y\\'s';3\n", encoding="latin-1")
    opts = {"delimiter": ";", "quote_char": "'", "escape_char": "\\", "skip_rows": 2,
            "encoding": "latin-1"}
    assert read_all(p, "csv", opts) == [{"a": "x;1", "b": 2}, {"a": "y's", "b": 3}]


def test_csv_without_header_and_columns(tmp_path: Path) -> None:
    p = tmp_path / "t.csv"
    p.write_text("1,a\n2,b\n")
    assert read_all(p, "csv", {"has_header": False}) == [
        {"column_1": 1, "column_2": "a"}, {"column_1": 2, "column_2": "b"}]
    assert read_all(p, "csv", {"has_header": False, "columns": ["id", "name"]})[1] == {
        "id": 2, "name": "b"}
    q = tmp_path / "h.csv"
    q.write_text("a,b,c\n1,2,3\n")
    assert read_all(q, "csv", {"columns": ["c", "a"]}) == [{"c": 3, "a": 1}]
    with pytest.raises(FatalSourceError, match=r"h\.csv"):
        read_all(q, "csv", {"columns": ["zz"]})


def test_tsv_and_batches(tmp_path: Path) -> None:
    p = tmp_path / "t.tsv"
    p.write_text("a\tb\n" + "".join(f"{i}\tx{i}\n" for i in range(25)))
    batches = list(iter_batches(p, "tsv", {}, 10))
    assert [len(b) for b in batches] == [10, 10, 5]
    assert batches[2][-1] == {"a": 24, "b": "x24"}


def test_csv_bad_encoding_names_file(tmp_path: Path) -> None:
    p = tmp_path / "bad.csv"
    p.write_bytes("a\n\xe9t\xe9\n".encode("latin-1"))
    with pytest.raises(FatalSourceError, match=r"bad\.csv.*encoding"):
        read_all(p, "csv")


def test_json_shapes(tmp_path: Path) -> None:
    arr = tmp_path / "a.json"
    arr.write_text(json.dumps([{"a": 1}, {"a": 2}, 5]))
    assert read_all(arr, "json") == [{"a": 1}, {"a": 2}, {"value": 5}]
    wrapped = tmp_path / "w.json"
    wrapped.write_text(json.dumps({"meta": 1, "results": [{"a": 1}]}))
    assert read_all(wrapped, "json") == [{"a": 1}]
    single = tmp_path / "s.json"
    single.write_text(json.dumps({"a": 1}))
    assert read_all(single, "json") == [{"a": 1}]
    deep = tmp_path / "d.json"
    deep.write_text(json.dumps({"resp": {"rows": [{"x": 1}, {"x": 2}]}}))
    assert read_all(deep, "json", {"response_path": "resp.rows"}) == [{"x": 1}, {"x": 2}]
    with pytest.raises(FatalSourceError, match=r"response_path 'resp\.nope'"):
        read_all(deep, "json", {"response_path": "resp.nope"})
    scalar = tmp_path / "n.json"
    scalar.write_text("42")
    with pytest.raises(FatalSourceError, match=r"n\.json"):
        read_all(scalar, "json")


def test_json_array_streams_with_large_elements(tmp_path: Path) -> None:
    big = "é" * 3_000_000  # an element larger than the read chunk
    p = tmp_path / "big.json"
    p.write_text(json.dumps([{"id": 1, "s": big}, {"id": 2, "n": 1.5}, {"id": 3}], indent=1))
    rows = read_all(p, "json", batch_size=2)
    assert [r["id"] for r in rows] == [1, 2, 3] and rows[0]["s"] == big and rows[1]["n"] == 1.5
    broken = tmp_path / "broken.json"
    broken.write_text('[{"a": 1}, {"a": ')
    with pytest.raises(FatalSourceError, match=r"broken\.json"):
        read_all(broken, "json")


def test_jsonl_bad_lines_are_reported_not_lost(tmp_path: Path) -> None:
    p = tmp_path / "e.jsonl"
    p.write_bytes(b'{"a": 1}\n\n{"a": 2\n[1, 2]\n\xff\xfe\n{"a": 3}\n')
    items = read_all(p, "jsonl")
    good = [i for i in items if not isinstance(i, BadLine)]
    bad = [i for i in items if isinstance(i, BadLine)]
    assert good == [{"a": 1}, {"a": 3}]
    assert [b.line_no for b in bad] == [3, 4, 5]
    assert bad[0].text == '{"a": 2' and "not valid JSON" in bad[0].error
    assert "not an object" in bad[1].error and "decode" in bad[2].error


def test_gzip_and_zip(tmp_path: Path) -> None:
    import zipfile

    p = tmp_path / "x.csv.gz"
    p.write_bytes(gzip.compress(b"a,b\n1,2\n"))
    assert read_all(p, "csv") == [{"a": 1, "b": 2}]
    j = tmp_path / "x.jsonl.gz"
    j.write_bytes(gzip.compress(b'{"a": 1}\n{"a": 2}\n'))
    assert read_all(j, "jsonl") == [{"a": 1}, {"a": 2}]
    with open(j, "rb") as stream:  # gzip detected from magic bytes in a stream
        assert read_all(stream, "jsonl") == [{"a": 1}, {"a": 2}]
    z = tmp_path / "x.json.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("inner.json", json.dumps([{"a": 1}]))
    assert read_all(z, "json") == [{"a": 1}]


def test_parquet_types(tmp_path: Path) -> None:
    p = tmp_path / "t.parquet"
    table = pa.table({
        "id": pa.array([1, None, 3], pa.int64()),
        "f": pa.array([1.5, float("nan"), None]),
        "ts": pa.array([dt.datetime(2024, 1, 2, 12, 30, 5), None, None], pa.timestamp("ns")),
        "d": pa.array([dt.date(2024, 1, 2), None, None]),
        "s": ["a", "b", None],
    })
    pq.write_table(table, p, row_group_size=2)
    batches = list(iter_batches(p, "parquet", {}, 2))
    assert [len(b) for b in batches] == [2, 1]
    rows = [r for b in batches for r in b]
    assert rows[0] == {"id": 1, "f": 1.5, "ts": "2024-01-02T12:30:05", "d": "2024-01-02", "s": "a"}
    assert rows[1] == {"id": None, "f": None, "ts": None, "d": None, "s": "b"}
    assert read_all(p, "parquet", {"columns": ["s"]}) == [{"s": "a"}, {"s": "b"}, {"s": None}]
    with pytest.raises(FatalSourceError, match="nope"):
        read_all(p, "parquet", {"columns": ["nope"]})


def test_detect_format() -> None:
    assert detect_format("/x/orders.csv.gz") == "csv"
    assert detect_format("a.NDJSON") == "jsonl"
    assert detect_format("a.json", lines=True) == "jsonl"
    assert detect_format("a.dat", "TSV") == "tsv"
    with pytest.raises(ConfigError) as err:
        detect_format("a.dat")
    assert err.value.problems[0].key == "format" and "parquet" in str(err.value)
    with pytest.raises(ConfigError, match="unknown format 'yaml'"):
        detect_format("a.csv", "yaml")
    with pytest.raises(ConfigError, match=r"book\.xlsx"):  # Excel is not read: say so at once
        detect_format("book.xlsx")


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "json"])
def test_first_batch_reads_a_bounded_prefix(fmt: str) -> None:
    rows = 400_000
    if fmt == "csv":
        stream = CountingReader(b"id,name,score\n", b"12345,some name here,3.25\n", rows)
    elif fmt == "jsonl":
        stream = CountingReader(b"", b'{"id": 12345, "name": "some name here"}\n', rows)
    else:
        stream = CountingReader(b"[", b'{"id": 12345, "name": "some name here"}', rows, b"]")
    gen = iter_batches(io.BufferedReader(stream), fmt, {}, 100)
    first = next(gen)
    assert len(first) == 100
    assert stream.total > 10_000_000
    assert stream.served < stream.total / 4
    gen.close()
