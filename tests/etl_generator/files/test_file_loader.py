"""FileLoadSession and load_to_file: formats, once-per-run overwrite, append, atomicity,
resume, dry run and per-record serialisation failures."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator.errors import ConfigError, LoadError, NotAvailableError
from pycharter_gui.etl_generator.extractors.file import FileExtractor
from pycharter_gui.etl_generator.loaders import (
    BatchLoadResult,
    load_to_cloud_storage,
    load_to_file,
    open_load_session,
)
from pycharter_gui.etl_generator.loaders.file import FileLoadSession

FORMATS = ["csv", "json", "jsonl", "parquet"]


def lcfg(path: Path, fmt: str, mode: str = "overwrite", **kw: Any) -> dict[str, Any]:
    base = {"__canonical__": True, "type": "file", "path": str(path), "format": fmt,
            "write_mode": mode, "csv_options": {"delimiter": ",", "include_header": True,
                                                "encoding": "utf-8"}, "batch_size": 1000}
    base.update(kw)
    return base


def read_back(path: Path, fmt: str) -> list[dict[str, Any]]:
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))
    if fmt == "json":
        return json.loads(path.read_text())
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text().splitlines()]
    return pq.read_table(path).to_pylist()


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


async def run(cfg: dict[str, Any], batches: list[list[dict[str, Any]]], *, dry_run=False,
              run_key="r1") -> tuple[dict[str, Any], list[BatchLoadResult]]:
    session = open_load_session(cfg, dry_run=dry_run, run_key=run_key)
    await session.open()
    results = [await session.write_batch(b, i) for i, b in enumerate(batches)]
    return await session.commit(), results


def batches_of(n: int, size: int) -> list[list[dict[str, Any]]]:
    rows = [{"id": i, "name": f"n{i}"} for i in range(n)]
    return [rows[i:i + size] for i in range(0, n, size)]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_multi_batch_overwrite_keeps_every_batch(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / "out" / f"data.{fmt}"
    target.parent.mkdir()
    target.write_text("old content")
    result, results = await run(lcfg(target, fmt), batches_of(25, 10))
    assert result["written"] == 25 and result["path"] == str(target)
    assert [r.inserted for r in results] == [10, 10, 5]
    rows = read_back(target, fmt)
    assert [int(r["id"]) for r in rows] == list(range(25))
    assert listing(tmp_path / "out") == [f"data.{fmt}"]  # no staging or temp left


@pytest.mark.parametrize("fmt", FORMATS)
async def test_append_adds_to_existing(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"data.{fmt}"
    await run(lcfg(target, fmt), batches_of(3, 10))
    await run(lcfg(target, fmt, "append"), [[{"id": 3, "name": "n3"}], [{"id": 4, "name": "n4"}]],
              run_key="r2")
    assert [int(r["id"]) for r in read_back(target, fmt)] == [0, 1, 2, 3, 4]


async def test_csv_serialisation_rules(tmp_path: Path) -> None:
    target = tmp_path / "o.csv"
    batches = [[{"a": 1, "b": None}, {"a": True, "c": [1, "x"]}],
               [{"d": {"k": 1}, "a": dt.date(2024, 1, 2)}]]
    await run(lcfg(target, "csv"), batches)
    text = target.read_bytes().decode()
    assert text.splitlines()[0] == "a,b,c,d"  # union of keys, first-seen order, once
    assert text.count("a,b,c,d") == 1 and "\r\n" in text
    rows = read_back(target, "csv")
    assert rows[0] == {"a": "1", "b": "", "c": "", "d": ""}
    assert rows[1]["a"] == "True" and json.loads(rows[1]["c"]) == [1, "x"]
    assert rows[2] == {"a": "2024-01-02", "b": "", "c": "", "d": '{"k": 1}'}


async def test_csv_options_and_append_with_new_columns(tmp_path: Path) -> None:
    target = tmp_path / "o.csv"
    opts = {"delimiter": ";", "include_header": True, "encoding": "utf-8"}
    await run(lcfg(target, "csv", csv_options=opts), [[{"a": 1, "b": 2}]])
    await run(lcfg(target, "csv", "append", csv_options=opts), [[{"a": 3, "c": 4}]], run_key="x")
    assert target.read_text().splitlines() == ["a;b;c", "1;2;", "3;;4"]
    no_header = tmp_path / "n.csv"
    await run(lcfg(no_header, "csv", csv_options={"include_header": False}), [[{"a": 1}]])
    assert no_header.read_text().splitlines() == ["1"]


async def test_json_format_matches_json_dump(tmp_path: Path) -> None:
    target = tmp_path / "o.json"
    rows = [{"a": 1, "when": dt.datetime(2024, 1, 2, 3, 4, 5), "s": "é"}, {"a": 2}, {"a": 3}]
    await run(lcfg(target, "json"), [rows[:2], rows[2:]])
    assert target.read_text() == json.dumps(rows, indent=2, default=str)
    empty = tmp_path / "e.json"
    await run(lcfg(empty, "json"), [])
    assert json.loads(empty.read_text()) == []
    single = tmp_path / "s.json"
    single.write_text('{"old": true}')
    await run(lcfg(single, "json", "append"), [[{"a": 1}]])
    assert json.loads(single.read_text()) == [{"old": True}, {"a": 1}]


async def test_parquet_unifies_types_across_batches(tmp_path: Path) -> None:
    target = tmp_path / "o.parquet"
    batches = [[{"id": 1, "x": 1, "s": "a"}], [{"id": 2, "x": 2.5, "t": None}],
               [{"id": 3, "x": None, "s": 7, "when": dt.datetime(2024, 1, 1)}]]
    result, results = await run(lcfg(target, "parquet"), batches)
    assert all(not r.rejected for r in results) and result["written"] == 3
    table = pq.read_table(target)
    assert table.schema.field("x").type == pa.float64()
    assert table.column_names == ["id", "x", "s", "t", "when"]
    assert table.column("x").to_pylist() == [1.0, 2.5, None]
    assert table.column("s").to_pylist() == ["a", None, "7"]


async def test_unencodable_values_become_rejected_rows(tmp_path: Path) -> None:
    target = tmp_path / "o.parquet"
    _, results = await run(lcfg(target, "parquet"),
                           [[{"id": 1, "v": 1}, {"id": 2, "v": object()}, {"id": 3, "v": 3}]])
    res = results[0]
    assert res.inserted == 2 and [r.index for r in res.rejected] == [1]
    assert "field 'v'" in res.rejected[0].message and res.rejected[0].record["id"] == 2
    assert pq.read_table(target).column("id").to_pylist() == [1, 3]
    latin = tmp_path / "l.csv"
    opts = {"encoding": "latin-1", "include_header": True, "delimiter": ","}
    _, results = await run(lcfg(latin, "csv", csv_options=opts), [[{"s": "é"}, {"s": "€"}]])
    assert results[0].inserted == 1 and "latin-1" in results[0].rejected[0].message
    assert latin.read_bytes() == "s\r\né\r\n".encode("latin-1")


async def test_abort_leaves_previous_content_and_no_trace(tmp_path: Path) -> None:
    target = tmp_path / "data.csv"
    target.write_text("keep me\n")
    session = FileLoadSession(lcfg(target, "csv"), dry_run=False, run_key="run-1")
    await session.open()
    await session.write_batch([{"a": 1}], 0)
    await session.write_batch([{"a": 2}], 1)
    assert session.staging.is_dir()  # parts exist mid-run
    assert target.read_text() == "keep me\n"  # target untouched until commit
    await session.abort()
    await session.abort()  # idempotent
    assert target.read_text() == "keep me\n"
    assert listing(tmp_path) == ["data.csv"]


@pytest.mark.parametrize("fmt", FORMATS)
async def test_resume_keeps_committed_parts(tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"d.{fmt}"
    killed = FileLoadSession(lcfg(target, fmt), dry_run=False, run_key="pipe:abc")
    await killed.open()
    for i, batch in enumerate(batches_of(40, 10)):
        await killed.write_batch(batch, i)
    # the process dies here: no commit, no abort; a leftover temp file too
    (killed.staging / "part-00005-10.tmp").write_text("garbage")
    resumed = FileLoadSession(lcfg(target, fmt), dry_run=False, run_key="pipe:abc")
    await resumed.open(resume_batches=2)
    assert len(list(resumed.staging.iterdir())) == 2
    rest = [[{"id": i, "name": f"n{i}"} for i in range(20 + 10 * k, 30 + 10 * k)]
            for k in range(2)]
    for i, batch in enumerate(rest, start=2):
        await resumed.write_batch(batch, i)
    result = await resumed.commit()
    assert result["written"] == 40
    assert [int(r["id"]) for r in read_back(target, fmt)] == list(range(40))
    assert listing(tmp_path) == [f"d.{fmt}"]


async def test_resume_with_missing_parts_fails_clearly(tmp_path: Path) -> None:
    session = FileLoadSession(lcfg(tmp_path / "d.csv", "csv"), dry_run=False, run_key="k")
    with pytest.raises(LoadError, match="run again without resume"):
        await session.open(resume_batches=3)
    await session.abort()


@pytest.mark.parametrize("fmt", FORMATS)
async def test_dry_run_writes_nothing(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "existing.txt").write_text("x")
    before = listing(tmp_path)
    cfg = lcfg(tmp_path / "sub" / f"out.{fmt}", fmt)
    bad = [{"id": 1}, {"id": object() if fmt == "parquet" else 2}]
    result, results = await run(cfg, [batches_of(5, 5)[0], bad], dry_run=True)
    assert result["dry_run"] and results[0].inserted == 5
    if fmt == "parquet":
        assert [r.index for r in results[1].rejected] == [1]
    assert listing(tmp_path) == before


async def test_load_to_file_function(tmp_path: Path) -> None:
    out = load_to_file([{"a": 1}, {"a": 2}], {"file_path": "out/x.jsonl", "format": "jsonl"},
                       contract_dir=tmp_path)
    target = tmp_path / "out" / "x.jsonl"
    assert out["written"] == 2 and out["total"] == 2 and out["path"] == str(target)
    assert out["format"] == "jsonl" and out["rejected"] == 0
    assert target.read_text() == '{"a": 1}\n{"a": 2}\n'
    load_to_file([{"a": 3}], {"file_path": str(target), "format": "jsonl", "write_mode": "append"})
    assert target.read_text().count("\n") == 3
    load_to_file([{"a": 9}], {"file_path": str(target), "format": "jsonl"})
    assert target.read_text() == '{"a": 9}\n'
    assert listing(tmp_path / "out") == ["x.jsonl"]


def test_load_config_errors_name_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load_to_file([], {"__canonical__": True, "path": str(tmp_path / "x"), "format": "xml"})
    assert err.value.problems[0].key == "format"
    with pytest.raises(ConfigError) as err:
        load_to_file([], {"__canonical__": True, "path": str(tmp_path / "x"), "format": "csv",
                          "write_mode": "merge"})
    assert err.value.problems[0].key == "write_mode"


def test_cloud_loader_missing_is_not_available(monkeypatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "pycharter_gui.etl_generator.loaders.cloud", None)
    with pytest.raises(NotAvailableError, match="Cloud storage"):
        load_to_cloud_storage([], {})


async def test_csv_to_parquet_round_trip(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("id,qty,flag\n" + "".join(f"{i},{'' if i % 7 == 0 else i},true\n"
                                             for i in range(2500)))
    target = tmp_path / "out.parquet"
    session = open_load_session(lcfg(target, "parquet"), dry_run=False, run_key="rt")
    await session.open()
    ex = FileExtractor()
    cfg = {"__canonical__": True, "type": "file", "path": str(src), "format": None}
    i = 0
    async for batch in ex.extract_streaming(cfg, None, None, batch_size=1000):
        await session.write_batch(batch, i)
        i += 1
    await session.commit()
    table = pq.read_table(target)
    assert table.num_rows == 2500 and table.schema.field("qty").type == pa.float64()
    assert table.column("id").to_pylist() == list(range(2500))


async def test_csv_quote_char_on_write(tmp_path: Path) -> None:
    target = tmp_path / "q.csv"
    opts = {"delimiter": ",", "include_header": True, "encoding": "utf-8", "quote_char": "'"}
    await run(lcfg(target, "csv", csv_options=opts), [[{"a": "x,y"}], [{"b": "z"}]])
    assert target.read_text().splitlines() == ["a,b", "'x,y',", ",z"]
