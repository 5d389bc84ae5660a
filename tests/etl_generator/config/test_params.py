"""resolve_input_params: declared params, mapping, coercion, required, defaults."""

from __future__ import annotations

import datetime as dt

import pytest

from pycharter_gui.etl_generator.config import load_pipeline_config, resolve_input_params
from pycharter_gui.etl_generator.errors import ConfigError

EXTRACT = """\
type: http
url: https://api/x/{symbol}
params:
  limit: 10
param_mapping:
  day: date_from
input_params:
  symbol: {type: string, required: true}
  day: {type: date}
  n: {type: integer, default: 5}
  flag: {type: boolean}
"""


@pytest.fixture
def extract(write_pipeline):
    folder = write_pipeline(extract=EXTRACT, load="path: out.json\n")
    return load_pipeline_config(folder).extract


def test_declared_mapped_coerced(extract):
    params, extra = resolve_input_params(extract, {"symbol": 7, "day": "2024-01-05",
                                                   "flag": "yes", "other": 1})
    assert params == {"limit": 10, "symbol": "7", "date_from": dt.date(2024, 1, 5), "n": 5,
                      "flag": True}
    assert extra == {"other": 1}
    assert extract["params"] == {"limit": 10}  # not mutated


def test_required_missing_and_bad_value(extract):
    with pytest.raises(ConfigError, match="required run parameter 'symbol'"):
        resolve_input_params(extract, {})
    with pytest.raises(ConfigError) as err:
        resolve_input_params(extract, {"symbol": "A", "n": "many"})
    assert err.value.problems[0].key == "input_params.n"
    assert "'n'" in err.value.problems[0].message


def test_list_form_and_no_declarations():
    cfg = {"type": "database", "query": "select :a", "database": "sqlite:///x.db",
           "query_params": {"a": 1}, "input_params": ["a"]}
    params, extra = resolve_input_params(cfg, {"a": 2})
    assert params == {"a": 2} and extra == {}
    plain = {"type": "database", "query": "select :a", "database": "sqlite:///x.db",
             "params": {"a": 1}}
    params, extra = resolve_input_params(plain, {"a": 3, "b": 4})
    assert params == {"a": 3, "b": 4} and extra == {"a": 3, "b": 4}
