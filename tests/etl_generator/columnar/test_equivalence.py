"""The key safety net: every pipeline gives identical output, results and dead letters with the
columnar fast path off (PYCHARTER_COLUMNAR=0) and on (=1)."""

from __future__ import annotations

import csv
import io
import random

import pytest

LOADS = {
    "parquet": "path: out/items.parquet\nformat: parquet\n",
    "csv": "path: out/items.csv\nformat: csv\n",
    "jsonl": "path: out/items.jsonl\nformat: jsonl\n",
    "json": "path: out/items.json\nformat: json\n",
    "sqlite": ("type: database\ndatabase:\n  url: sqlite:///out/t.db\ntable: items\n"
               "write_method: insert\ncreate_table: true\n"),
}


def _csv(rows: list[list[object]], header: list[str]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def mixed_data(n: int, seed: int, *, bad_every: int = 0) -> str:
    """ints with blanks, bool words, floats, unicode, empty cells; optional bad ints."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        qty = "" if rng.random() < 0.2 else str(rng.randint(-50, 50))
        if bad_every and i % bad_every == 3:
            qty = "n/a"
        rows.append([
            i, f"cüst{rng.randint(1, 99)} ✓", qty,
            "" if rng.random() < 0.1 else f"{rng.uniform(-9, 9):.3f}",
            rng.choice(["true", "false"]), rng.choice(["yes", "no", "On", " 1 ", ""]),
            rng.choice(["7.9", "-7.9", "1e3", " 42 ", "", "0"]), "", "zz" if i % 5 else "",
        ])
    return _csv(rows, ["id", "name", "qty", "price", "flag", "word", "num", "empty", "note"])


TRANSFORMS = {
    "bench": "rename: {name: customer, qty: quantity}\nconvert: {quantity: int, price: float}\n"
             "add: {source: bench}\ndrop: [note]\n",
    "convert_all": "convert: {qty: int, price: str, flag: int, word: bool, num: int, id: float,"
                   " empty: int, missing: int}\n",
    "convert_more": "convert: {flag: str, id: str, price: int, qty: bool, num: float, "
                    "word: string}\n",
    "list_form": "transform:\n  - rename: {id: id}\n  - add: {n: 5, x: 1.5, t: true, z: null}\n"
                 "  - select: [z, id, price, n, t, word]\n  - convert: {n: str}\n",
    "rename_chain": "rename: {id: name, name: id2, price: id}\nadd: {price: 'p'}\n",
}


@pytest.mark.parametrize("target", sorted(LOADS))
@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
async def test_identical_output(both_ways, target: str, transform: str) -> None:
    out = await both_ways(data=mixed_data(60, seed=len(transform)), transform=TRANSFORMS[transform],
                          load=LOADS[target])
    assert out["used"]
    assert out["result"]["success"], out["result"]["error"]
    # rename_chain's second op renames a field the first removed, and convert_more converts
    # fractional prices to int (lossy): both warn in every batch
    if transform not in ("rename_chain", "convert_more"):
        assert out["fast"] > 0


@pytest.mark.parametrize("target", ["parquet", "csv", "sqlite"])
async def test_failing_conversions_fall_back_per_batch(both_ways, target: str) -> None:
    out = await both_ways(data=mixed_data(70, seed=3, bad_every=25), load=LOADS[target],
                          transform="convert: {qty: int}\n")
    assert out["fallback"] == 3 and out["fast"] == 7  # rows 3, 28, 53: batches 0, 4, 7
    assert out["result"]["transformation"]["warnings"] == 3


def _constrained_items_table(folder) -> None:
    import sqlite3

    with sqlite3.connect(folder / "out" / "t.db") as db:
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                   "qty INTEGER CHECK (qty < 40))")


async def test_rows_the_database_rejects_are_identical(both_ways) -> None:
    """SQLite inserts take the batch's columns directly; rows that break a constraint are
    still isolated one by one and dead-lettered with the database's message and record."""
    out = await both_ways(data=mixed_data(80, seed=8), setup=_constrained_items_table,
                          load=LOADS["sqlite"].replace("create_table: true", "create_table: false"),
                          transform="select: [id, name, qty]\nconvert: {qty: int}\n")
    result = out["result"]
    assert out["fast"] > 0
    assert result["dead_lettered"] > 0
    assert result["dlq_by_reason"] == {"load_error": result["dead_lettered"]}
    assert result["loading"]["total_records"] + result["dead_lettered"] == 80


async def test_strict_rejections_are_identical(both_ways) -> None:
    out = await both_ways(data=mixed_data(40, seed=4, bad_every=10), load=LOADS["jsonl"],
                          transform="strict: true\nconvert: {qty: int}\n")
    assert out["result"]["dead_lettered"] == 4 and out["fallback"] == 4


async def test_rename_of_missing_field_warns_the_same(both_ways) -> None:
    out = await both_ways(data=mixed_data(20, seed=5), load=LOADS["csv"],
                          transform="rename: {nope: yes_}\n")
    assert out["result"]["transformation"]["warnings"] == 3 and out["fast"] == 0


async def test_large_file_across_parse_chunks(both_ways) -> None:
    """> 16,384 rows: pandas infers types per chunk (an int column turns float where a chunk
    has a blank); both paths must see the same per-batch types."""
    rows = [[i, "" if 20_000 <= i < 20_010 else i % 7, f"{i / 3:.4f}", "x" if i % 2 else "ÿ"]
            for i in range(40_000)]
    data = _csv(rows, ["id", "a", "b", "c"])
    for target in ("parquet", "csv"):
        out = await both_ways(data=data, load=LOADS[target],
                              extract="path: in.csv\nbatch_size: 5000\n",
                              transform="convert: {a: int, b: float}\nadd: {k: 1}\n")
        assert out["fast"] == 10 and out["fallback"] == 0  # chunks 16384+16384+7232


async def test_max_records_and_tsv_and_source_column(both_ways) -> None:
    data = mixed_data(50, seed=6).replace(",", "\t")
    out = await both_ways(data=data, name="in.tsv", load=LOADS["parquet"],
                          extract="path: in.tsv\nbatch_size: 8\nmax_records: 30\n"
                                  "source_file_column: src\n",
                          transform="convert: {qty: int}\n")
    assert out["result"]["extraction"]["total_records"] == 30
    assert out["fast"] == 4


async def test_parquet_source(both_ways, tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "i32": pa.array([1, None, 3, 4, 5], pa.int32()),
        "f32": pa.array([1.0, float("nan"), None, 2.0, -0.0], pa.float32()),
        "s": pa.array(["a", "b", None, "é", "yes"]).dictionary_encode(),
        "nul": pa.nulls(5),
        "b": pa.array([True, False, None, True, True]),
    })
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    out = await both_ways(data=buf.getvalue().to_pybytes(), name="in.parquet",
                          load=LOADS["parquet"], extract="path: in.parquet\nbatch_size: 2\n",
                          transform="convert: {i32: str, f32: int, s: bool, b: float}\n")
    assert out["fast"] == 3


async def test_timestamps_in_parquet_fall_back(both_ways) -> None:
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"t": [dt.datetime(2024, 1, 1, 12)] * 3, "x": [1, 2, 3]})
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    out = await both_ways(data=buf.getvalue().to_pybytes(), name="in.parquet",
                          load=LOADS["csv"], extract="path: in.parquet\nbatch_size: 2\n",
                          transform="drop: [x]\n")
    assert out["fast"] == 0 and out["fallback"] == 2


async def test_csv_encoding_rejects_are_identical(both_ways) -> None:
    data = "id,name\n1,plain\n2,snow ☃\n3,ok\n"
    out = await both_ways(data=data, transform="add: {k: 1}\n",
                          load="path: out/items.csv\nformat: csv\ncsv_options: {encoding: latin-1}\n")
    assert out["result"]["dead_lettered"] == 1


async def test_glob_of_files_with_source_column(both_ways) -> None:
    """Batches never span two files; each file's chunk has its own inferred types."""
    out = await both_ways(
        data=mixed_data(20, seed=7), name="data/a.csv",
        extra={"data/b.csv": "id,qty,price\n1,,2\n2,3,\n", "data/sub/c.csv": mixed_data(9, 8)},
        extract="path: 'data/**/*.csv'\nbatch_size: 8\nsource_file_column: file\n",
        transform="convert: {qty: int}\nadd: {k: 1}\n", load=LOADS["parquet"])
    assert out["fast"] == 3 + 1 + 2 and out["result"]["extraction"]["total_records"] == 31


@pytest.mark.parametrize("csv_options", [
    "  has_header: false\n",
    "  has_header: false\ncolumns: [a, b, c]\n",
    "  skip_rows: 2\n  delimiter: ';'\n",
])
async def test_reader_options_match_the_dict_reader(both_ways, csv_options: str) -> None:
    data = "x;y;z\n# note\n1;2;3\n4;;6\n7;8;yes\n" if "delimiter" in csv_options else \
        "1,2,3\n4,,6\n7,8,yes\n"
    extract = "path: in.csv\nbatch_size: 2\ncsv_options:\n" + csv_options
    out = await both_ways(data=data, extract=extract, transform="add: {k: 1}\n",
                          load=LOADS["csv"])
    assert out["fast"] >= 1 and out["result"]["success"], out["result"]["error"]


FILTERS = {
    "eq_ne": "filter: [{field: flag, operator: eq, value: true}, {field: name, operator: ne,"
             " value: 'cüst5 ✓'}]\n",
    "order": "filter: [{field: qty, operator: gte, value: -10}, {field: price, operator: lt,"
             " value: 4}]\n",
    "order_strings": "filter: {field: name, operator: gt, value: 'cüst4'}\n",
    "in": "filter: [{field: word, operator: in, value: ['yes', 'On', null]},"
          " {field: qty, operator: not_in, value: [1, 2, 3]}]\n",
    "contains": "filter: [{field: name, operator: contains, value: 'ü'},"
                " {field: note, operator: not_contains, value: 'q'}]\n",
    "nulls": "filter: [{field: qty, operator: is_not_null}, {field: empty, operator: is_null},"
             " {field: missing, operator: is_null}]\n",
    "mixed_types": "filter: [{field: qty, operator: eq, value: '5'}, {field: flag, operator: ne,"
                   " value: 1}]\n",
    "refused": "filter: {field: name, operator: gt, value: 3}\n",
    "defaults_then_filter": "transform:\n  - defaults: {qty: 0.5, price: 1.5, empty: x, new: 7,"
                            " note: n}\n  - filter: {field: qty, operator: ne, value: 2}\n"
                            "  - drop: [word]\n  - rename: {price: cost}\n",
    "select_rename_filter": "transform:\n  - select: [id, qty, name]\n  - rename: {qty: q}\n"
                            "  - filter: {field: q, operator: lte, value: 45}\n"
                            "  - convert: {q: str}\n  - defaults: {q: none}\n",
}


@pytest.mark.parametrize("target", ["parquet", "jsonl", "sqlite"])
@pytest.mark.parametrize("transform", sorted(FILTERS))
async def test_filters_and_defaults_identical(both_ways, target: str, transform: str) -> None:
    out = await both_ways(data=mixed_data(70, seed=len(transform) + 11),
                          transform=FILTERS[transform], load=LOADS[target])
    if transform not in ("refused", "mixed_types"):
        assert out["fast"] > 0, transform
    if transform == "refused":  # str > int: every non-null record is a dead letter
        assert out["fast"] == 0 and out["result"]["dead_lettered"] > 0
