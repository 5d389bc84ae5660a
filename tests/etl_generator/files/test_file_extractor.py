"""FileExtractor: globs (every file from its start), **, source file column, limits, errors."""

from __future__ import annotations

import asyncio
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from pycharter_gui.etl_generator.errors import ConfigError, FatalSourceError
from pycharter_gui.etl_generator.extractors.file import FileExtractor


def cfg(path: str, **kw: Any) -> dict[str, Any]:
    base = {"__canonical__": True, "type": "file", "path": path, "format": None,
            "csv_options": {}, "json_options": {}, "columns": None, "response_path": None,
            "source_file_column": None, "batch_size": 1000, "max_records": None,
            "base_dir": None}
    base.update(kw)
    return base


async def collect(config: dict[str, Any], extractor: FileExtractor | None = None, **kw: Any
                  ) -> list[list[dict[str, Any]]]:
    ex = extractor or FileExtractor()
    return [b async for b in ex.extract_streaming(config, None, None, **kw)]


def write_csv(path: Path, header: str, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "\n" + "".join(r + "\n" for r in rows))


async def test_glob_reads_every_file_from_its_start(tmp_path: Path) -> None:
    write_csv(tmp_path / "b.csv", "id,name", ["3,c", "4,d", "5,e"])
    write_csv(tmp_path / "a.csv", "id,name", ["1,a", "2,b"])
    write_csv(tmp_path / "c.csv", "name,id", ["f,6"])  # different column order
    (tmp_path / "notes.txt").write_text("ignored")
    batches = await collect(cfg(str(tmp_path / "*.csv")), batch_size=2)
    assert [len(b) for b in batches] == [2, 2, 1, 1]  # batches never span two files
    rows = [r for b in batches for r in b]
    assert [r["id"] for r in rows] == [1, 2, 3, 4, 5, 6]
    assert all(set(r) == {"id", "name"} for r in rows)
    assert rows[-1] == {"name": "f", "id": 6}


async def test_recursive_glob_and_source_file_column(tmp_path: Path) -> None:
    write_csv(tmp_path / "data" / "top.csv", "v", ["1"])
    write_csv(tmp_path / "data" / "2024" / "jan" / "x.csv", "v", ["2"])
    write_csv(tmp_path / "data" / "2024" / "y.csv", "v", ["3"])
    config = cfg("data/**/*.csv", base_dir=str(tmp_path), source_file_column="src")
    rows = [r for b in await collect(config) for r in b]
    assert sorted((r["src"], r["v"]) for r in rows) == [
        ("2024/jan/x.csv", 2), ("2024/y.csv", 3), ("top.csv", 1)]
    single = cfg(str(tmp_path / "data" / "top.csv"), source_file_column="file")
    assert (await collect(single))[0] == [{"v": 1, "file": "top.csv"}]


async def test_max_records_across_files(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", "x", [str(i) for i in range(5)])
    write_csv(tmp_path / "b.csv", "x", [str(i) for i in range(5, 10)])
    batches = await collect(cfg(str(tmp_path / "*.csv")), batch_size=3, max_records=7)
    assert [len(b) for b in batches] == [3, 2, 2]
    assert [r["x"] for b in batches for r in b] == list(range(7))
    from_config = await collect(cfg(str(tmp_path / "*.csv"), max_records=4), batch_size=10)
    assert sum(map(len, from_config)) == 4


async def test_formats_by_extension_incl_gzip(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text(json.dumps({"data": [{"k": 1}]}))
    (tmp_path / "b.jsonl.gz").write_bytes(gzip.compress(b'{"k": 2}\n'))
    (tmp_path / "c.csv.gz").write_bytes(gzip.compress(b"k\n3\n"))
    rows = [r for b in await collect(cfg(str(tmp_path / "*"))) for r in b]
    assert rows == [{"k": 1}, {"k": 2}, {"k": 3}]
    lines = cfg(str(tmp_path / "l.json"), json_options={"lines": True})
    (tmp_path / "l.json").write_text('{"k": 4}\n')
    assert await collect(lines) == [[{"k": 4}]]


async def test_csv_options_from_config(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("junk\na|b\n1|'p|q'\n")
    config = cfg(str(tmp_path / "x.csv"),
                 csv_options={"delimiter": "|", "quote_char": "'", "skip_rows": 1},
                 columns=["b"])
    assert await collect(config) == [[{"b": "p|q"}]]


async def test_bad_jsonl_lines_go_to_the_callback(tmp_path: Path) -> None:
    (tmp_path / "e.jsonl").write_text('{"a": 1}\nnot json\n{"a": 2}\n')
    seen: list[tuple[dict[str, Any], str]] = []
    ex = FileExtractor()
    ex.on_bad_record = lambda rec, msg: seen.append((rec, msg))
    batches = await collect(cfg(str(tmp_path / "e.jsonl")), ex)
    assert batches == [[{"a": 1}, {"a": 2}]]
    assert len(seen) == 1
    rec, msg = seen[0]
    assert rec["raw_line"] == "not json" and rec["line_number"] == 2
    assert msg.startswith("e.jsonl line 2:")


async def test_bad_jsonl_line_logged_without_callback(tmp_path: Path, caplog) -> None:
    (tmp_path / "e.jsonl").write_text('{"a": 1}\n{oops\n')
    assert await collect(cfg(str(tmp_path / "e.jsonl"))) == [[{"a": 1}]]
    assert "e.jsonl line 2" in caplog.text


async def test_missing_file_and_empty_glob_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(FatalSourceError) as err:
        await collect(cfg("data/orders.csv", base_dir=str(tmp_path)))
    assert "data/orders.csv" in str(err.value) and str(tmp_path) in str(err.value)
    with pytest.raises(FatalSourceError, match=r"No file matches 'in/\*\.csv'"):
        await collect(cfg("in/*.csv", base_dir=str(tmp_path)))


async def test_unknown_format_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "x.dat").write_text("a\n1\n")
    ex = FileExtractor()
    with pytest.raises(ConfigError) as err:
        ex.validate_config(cfg(str(tmp_path / "x.dat")))
    assert err.value.problems[0].key == "format"
    with pytest.raises(ConfigError, match="format"):
        await collect(cfg(str(tmp_path / "x.dat")))
    assert await collect(cfg(str(tmp_path / "x.dat"), format="csv")) == [[{"a": 1}]]


def test_describe() -> None:
    ex = FileExtractor()
    assert ex.describe(cfg("/data/orders.csv")) == "orders.csv (csv)"
    assert ex.describe(cfg("/data/*.txt", format="tsv")) == "*.txt (tsv)"


async def test_early_close_closes_the_file(tmp_path: Path, monkeypatch) -> None:
    write_csv(tmp_path / "big.csv", "x", [str(i) for i in range(5000)])
    import builtins

    opened = []
    real_open = builtins.open

    def spy(*args, **kw):
        f = real_open(*args, **kw)
        if str(args[0]).endswith("big.csv"):
            opened.append(f)
        return f

    monkeypatch.setattr(builtins, "open", spy)
    stream = FileExtractor().extract_streaming(cfg(str(tmp_path / "big.csv")), None, None,
                                                batch_size=10)
    first = await anext(stream)
    assert len(first) == 10 and opened and not opened[0].closed
    await stream.aclose()
    assert opened[0].closed


async def test_cancellation_is_prompt_and_closes(tmp_path: Path) -> None:
    write_csv(tmp_path / "big.csv", "x", [str(i) for i in range(20000)])
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in FileExtractor().extract_streaming(
                cfg(str(tmp_path / "big.csv")), None, None, batch_size=10):
            started.set()
            await asyncio.sleep(0)

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_raw_config_through_normaliser(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "x.tsv").write_text("a\tb\n'1\t2'\t3\n")
    raw = {"type": "file", "file_path": "data/*.tsv", "csv_options": {"quotechar": "'"},
           "source_file_column": "src"}
    batches = await collect(raw, contract_dir=tmp_path)
    assert batches == [[{"a": "1\t2", "b": 3, "src": "x.tsv"}]]


async def test_empty_glob_allowed_with_fail_on_empty_false(tmp_path: Path) -> None:
    assert await collect(cfg(str(tmp_path / "*.csv"), fail_on_empty=False)) == []


async def test_missing_file_message_with_canonical_config(tmp_path: Path) -> None:
    config = cfg(str(tmp_path / "data" / "orders.csv"), base_dir=str(tmp_path))
    with pytest.raises(FatalSourceError) as err:
        await collect(config)
    assert str(err.value) == (f"The file 'data/orders.csv' does not exist "
                              f"(in the pipeline folder {tmp_path}).")


async def test_early_close_during_read_ahead_closes_the_file(tmp_path: Path, monkeypatch) -> None:
    write_csv(tmp_path / "big.csv", "x,y", [f"{i},row{i}" for i in range(120_000)])
    import builtins

    opened = []
    real_open = builtins.open

    def spy(*args, **kw):
        f = real_open(*args, **kw)
        if str(args[0]).endswith("big.csv"):
            opened.append(f)
        return f

    monkeypatch.setattr(builtins, "open", spy)
    stream = FileExtractor().extract_streaming(cfg(str(tmp_path / "big.csv")), None, None,
                                                batch_size=40_000)
    first = await anext(stream)  # the next batch is now being read in a worker thread
    assert first[0] == {"x": 0, "y": "row0"}
    await stream.aclose()
    assert opened and opened[0].closed


async def test_read_ahead_error_surfaces_after_the_good_batches(tmp_path: Path) -> None:
    p = tmp_path / "late.csv"
    good = "".join(f"{i},ok\n" for i in range(40_000))
    p.write_bytes(b"a,b\n" + good.encode() + "9,\xe9t\xe9\n".encode("latin-1"))
    got: list[int] = []
    with pytest.raises(FatalSourceError, match=r"late\.csv.*encoding"):
        async for batch in FileExtractor().extract_streaming(cfg(str(p)), None, None,
                                                             batch_size=20_000):
            got.append(len(batch))
    assert got and sum(got) <= 40_000  # the good batches before the bad bytes arrived first


async def test_read_ahead_keeps_order_and_max_records(tmp_path: Path) -> None:
    write_csv(tmp_path / "n.csv", "n", [str(i) for i in range(50_000)])
    batches = await collect(cfg(str(tmp_path / "n.csv")), batch_size=7_000, max_records=30_000)
    flat = [r["n"] for b in batches for r in b]
    assert flat == list(range(30_000)) and max(map(len, batches)) == 7_000
