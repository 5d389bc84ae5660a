"""Per batch: the Arrow result equals ``records_to_table`` of the dict path's records, or is None.

Random CSV batches full of awkward text go through both paths; whenever the fast path answers,
its table must equal what the dict path would write and the dict path must have had no warning
and no rejection for that batch.
"""

from __future__ import annotations

import io
import random

import pandas as pd
import pytest

from pycharter_gui.etl_generator.columnar.arrow_ops import apply_ops, frame_to_table
from pycharter_gui.etl_generator.columnar.plan import columnar_plan
from pycharter_gui.etl_generator.loaders.serialize import records_to_table
from pycharter_gui.etl_generator.readers.csv_reader import frame_to_records
from pycharter_gui.etl_generator.transformers import compile_transform

AWKWARD = ["1", "-0", "+7", ".5", "5.", "1e3", "1.5e3", " 42 ", "1_000", "١٢", "0x10", "inf",
           "-inf", "nan", "1e400", "9007199254740993", "99999999999999999999", "7.9", "-7.9",
           "true", "False", "yes", "on", " 1 ", "no", "", "x", "é", "TRUE", "0.1", "1e-7"]
CLEAN = {
    "ints": lambda r: "" if r.random() < 0.2 else str(r.randint(-10**6, 10**6)),
    "floats": lambda r: "" if r.random() < 0.2 else f"{r.uniform(-1e6, 1e6):.{r.randint(0, 6)}f}",
    "bools": lambda r: r.choice(["true", "false", "True", "FALSE"]),
    "words": lambda r: r.choice(["yes", "no", "On", " 1 ", "0", "ünï"]),
    "text": lambda r: r.choice(["a", "b,c", 'q"q', "é ✓", "12", "3.5"]),
    "empty": lambda r: "",
}
TYPES = ["int", "float", "str", "bool"]


class _Config:
    def __init__(self, transform: dict) -> None:
        self.contract = None
        self.extract = {"type": "file", "path": "x.csv"}
        self.transform = transform
        self.load = {"type": "file", "format": "parquet"}


def _frame(columns: dict[str, list[str]]) -> pd.DataFrame:
    names = list(columns)
    lines = [",".join(names)]
    for row in zip(*columns.values(), strict=True):
        lines.append(",".join(f'"{v}"' if ("," in v or '"' in v) and not v.startswith('"')
                              else v for v in (c.replace('"', '""') if '"' in c else c
                                               for c in row)))
    text = "\n".join(lines) + "\n"
    return pd.read_csv(io.StringIO(text), keep_default_na=False, na_values=[""])


def _check(df: pd.DataFrame, spec: dict) -> bool:
    from pycharter_gui.etl_generator.config import normalize_transform

    transform = normalize_transform(spec)
    plan = columnar_plan(_Config(transform))
    assert plan is not None, spec
    records = frame_to_records(df)
    table = frame_to_table(df)
    if table is not None:
        assert table.to_pylist() == records
        assert [list(map(type, r.values())) for r in table.to_pylist()] == \
            [list(map(type, r.values())) for r in records]
    result = compile_transform(transform).apply(records)
    fast = None if table is None else apply_ops(table, plan.ops)
    if fast is None:
        return False
    assert not result.warnings and not result.rejected and not result.filtered
    expected, rejects = records_to_table(result.records)
    assert not rejects
    assert fast.schema == expected.schema, (spec, fast.schema, expected.schema)
    assert repr(fast.to_pylist()) == repr(result.records)  # repr: types exact, NaN == NaN
    assert fast.equals(expected) or "nan" in str(expected.to_pylist()).lower()
    return True


@pytest.mark.parametrize("seed", range(25))
def test_random_clean_batches_take_the_fast_path(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 40)
    cols = {name: [make(rng) for _ in range(n)] for name, make in CLEAN.items()}
    spec = {"convert": {name: rng.choice(TYPES) for name in CLEAN if rng.random() < 0.8},
            "rename": {"text": "label"}, "add": {"k": rng.choice([1, 2.5, "s", True, None])},
            "drop": ["empty"] if rng.random() < 0.5 else []}
    if not spec["convert"]:
        spec["convert"] = {"ints": "str"}
    fast = _check(_frame(cols), spec)
    # the only expected fallbacks: words (not numbers) to int/float, and fractional floats to
    # int (lossy: a warning); "text" is renamed first
    failing = [c for c in ("words",) if spec["convert"].get(c) in ("int", "float")]
    if spec["convert"].get("floats") == "int" and any(v and float(v) % 1 for v in cols["floats"]):
        failing.append("floats")
    assert fast is not bool(failing), spec


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("target", TYPES)
def test_awkward_strings_are_exact_or_fall_back(seed: int, target: str) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 12)
    values = [rng.choice(AWKWARD) for _ in range(n)]
    _check(_frame({"v": values, "w": ["x"] * n}), {"convert": {"v": target}})


@pytest.mark.parametrize("target", TYPES)
def test_numeric_edges(target: str) -> None:
    for values in (["1", "2", ""], ["1.5", "-1.5", "-0.0", ""], ["9007199254740993", "1"],
                   ["1e300", "1"], ["inf", "1.0"], ["true", "false", ""]):
        _check(_frame({"v": values}), {"convert": {"v": target}})


@pytest.mark.parametrize("seed", range(4))
def test_ten_byte_text_arrow_reads_as_a_date_is_that_dates_rendering(seed: int) -> None:
    """``_iso_dates`` trusts Arrow's date parse of 10-byte values to accept exactly the canonical
    ``YYYY-MM-DD`` renderings: fuzz near-dates (digits, separators, signs, spaces, invalid
    days) and check every accepted value renders back to itself."""
    import datetime

    import pyarrow as pa

    from pycharter_gui.etl_generator.columnar.arrow_ops import _iso_dates

    rng = random.Random(seed)
    alphabet = "0123456789-+ T:/.eE\u0661"
    accepted = 0
    for _ in range(20_000):
        day = datetime.date(1, 1, 1) + datetime.timedelta(days=rng.randint(0, 3_652_058))
        chars = list(day.isoformat())
        for _ in range(rng.choice([0, 0, 1, 2])):
            chars[rng.randrange(10)] = rng.choice(alphabet)
        text = "".join(chars)
        got = _iso_dates(pa.array([text, None]))
        if got is None:
            continue
        accepted += 1
        assert got[0].as_py().isoformat() == text and got[1].as_py() is None, text
    assert accepted > 5_000  # the check ran on many real dates
