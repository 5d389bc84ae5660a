"""The 0.0.20 transform dialect writes declared input params into every record (issue 13,
config-format §1.3 step 5 and Appendix A)."""

from __future__ import annotations

import json
import sqlite3

from pycharter_gui.etl_generator import ETLOrchestrator

EXTRACT = """\
type: file
path: rows.json
input_params:
  symbol: {type: str, required: true}
  days: {type: int, default: 5}
"""
TRANSFORM_0020 = """\
rename: {symbol: ticker}
type: {price: float}
fill_null: {note: {default: n/a}}
"""


def _folder(write_pipeline, transform: str):
    folder = write_pipeline(
        extract=EXTRACT, transform=transform,
        load="type: database\ndatabase: {url: 'sqlite:///prices.db'}\ntable: prices\n")
    (folder / "rows.json").write_text(json.dumps([{"symbol": "OLD", "price": "1.5"},
                                                  {"price": "2"}]))
    with sqlite3.connect(folder / "prices.db") as conn:
        conn.execute("CREATE TABLE prices (ticker TEXT, symbol TEXT, price REAL, note TEXT, "
                     "days INTEGER)")
    return folder


def _rows(folder):
    with sqlite3.connect(folder / "prices.db") as conn:
        return conn.execute("SELECT ticker, symbol, price, note, days FROM prices").fetchall()


async def test_declared_params_are_written_into_every_record(write_pipeline):
    folder = _folder(write_pipeline, TRANSFORM_0020)
    result = await ETLOrchestrator(contract_dir=folder, verbose=False).run(symbol="AAPL")
    assert result["status"] == "completed"
    # renamed like the field, overriding the extracted value; a default is not injected
    assert _rows(folder) == [("AAPL", None, 1.5, "n/a", None), ("AAPL", None, 2.0, "n/a", None)]


async def test_given_int_param_is_typed(write_pipeline):
    folder = _folder(write_pipeline, TRANSFORM_0020)
    await ETLOrchestrator(contract_dir=folder, verbose=False).run(symbol="MSFT", days="7")
    assert {row[4] for row in _rows(folder)} == {7}


def test_orchestrator_transform_injects_too(write_pipeline):
    folder = _folder(write_pipeline, TRANSFORM_0020)
    out = ETLOrchestrator(contract_dir=folder, verbose=False).transform([{"price": "3"}],
                                                                       symbol="IBM")
    assert out == [{"ticker": "IBM", "price": 3.0, "note": "n/a"}]


async def test_v2_transforms_do_not_inject(write_pipeline):
    folder = _folder(write_pipeline, "transform:\n  convert: {price: float}\n")
    await ETLOrchestrator(contract_dir=folder, verbose=False).run(symbol="AAPL")
    assert [row[:3] for row in _rows(folder)] == [(None, "OLD", 1.5), (None, None, 2.0)]
