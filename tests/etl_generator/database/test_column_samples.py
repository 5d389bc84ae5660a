"""create_table infers a columnar batch's types from its columns as it does from its records."""

from __future__ import annotations

import datetime as dt
import random

from pycharter_gui.etl_generator.database.tables import column_samples, type_samples

VALUES = [None, 1, 2.5, "x", True, dt.date(2024, 1, 2), dt.datetime(2024, 1, 2, 3, 4), 7, "y"]


def test_column_samples_equal_type_samples_of_the_records() -> None:
    rng = random.Random(5)
    for _ in range(300):
        names = [f"c{i}" for i in range(rng.randint(1, 6))]
        rows = rng.randint(1, 40)
        columns = [[rng.choice(VALUES[: rng.randint(1, len(VALUES))]) for _ in range(rows)]
                   for _ in names]
        records = [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
        assert column_samples(names, columns) == type_samples(records)
