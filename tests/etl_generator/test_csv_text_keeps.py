"""CSV values keep their text when a number guess would change them (issue 14 #7): leading
zeros and integers of more than 15 digits, on the dict path and the columnar fast path alike;
a ``convert`` still makes numbers of them."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest

from pycharter_gui.etl_generator import ETLOrchestrator
from pycharter_gui.etl_generator.readers.csv_reader import iter_csv

CSV = ("zip,id,amount,n,flag,name\n"
       "02134,12345678901234567890,007.50,1,true,a\n"
       "10001,2,1.25,2,false,b\n"
       ",3,,3,true,c\n")
KEPT = [{"zip": "02134", "id": "12345678901234567890", "amount": "007.50", "n": 1, "flag": True,
         "name": "a"},
        {"zip": "10001", "id": "2", "amount": "1.25", "n": 2, "flag": False, "name": "b"},
        {"zip": None, "id": "3", "amount": None, "n": 3, "flag": True, "name": "c"}]


def test_the_reader_keeps_the_text_of_ids_and_types_the_rest() -> None:
    batches = list(iter_csv(io.BytesIO(CSV.encode()), {}, 10, name="in.csv"))
    assert batches == [KEPT]
    plain = list(iter_csv(io.BytesIO(b"a,b\n1,1.5\n0,0.5\n-3,1e3\n"), {}, 10, name="x"))
    assert plain == [[{"a": 1, "b": 1.5}, {"a": 0, "b": 0.5}, {"a": -3, "b": 1000.0}]]


@pytest.mark.parametrize("columnar", ["0", "1"])
async def test_both_paths_write_the_text(write_pipeline, tmp_path: Path, monkeypatch, caplog,
                                         columnar: str) -> None:
    monkeypatch.setenv("PYCHARTER_COLUMNAR", columnar)
    out = tmp_path / f"out{columnar}.jsonl"
    folder = write_pipeline(**{"in.csv": CSV}, extract="path: in.csv\n",
                            transform="transform:\n  rename:\n    name: label\n",
                            load=f"type: file\npath: {out}\nformat: jsonl\n")
    with caplog.at_level(logging.DEBUG, logger="pycharter_gui.etl_generator.columnar"):
        result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    if columnar == "1":
        assert "1 batches fast" in caplog.text, "the columnar path must have run"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows == [{**{k: v for k, v in r.items() if k != "name"}, "label": r["name"]}
                    for r in KEPT]


async def test_a_convert_still_makes_numbers(write_pipeline, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    folder = write_pipeline(**{"in.csv": CSV}, extract="path: in.csv\n",
                            transform="transform:\n  convert:\n    zip: int\n",
                            load=f"type: file\npath: {out}\nformat: jsonl\n")
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run()
    assert result["success"], result["error"]
    assert [json.loads(line)["zip"] for line in out.read_text().splitlines()] == [2134, 10001, None]
