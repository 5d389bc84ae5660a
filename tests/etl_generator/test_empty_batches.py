"""A batch that the filter empties completely is loaded as nothing, not failed as a whole.

Found by use: a filter that removed every record of the first batch made the file loaders fail
that batch with ``IndexError`` and the run abort on ``error_threshold``."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator import ETLOrchestrator


def _pipeline(folder: Path, fmt: str) -> Path:
    rows = ["id,qty"] + [f"{i},{1 if i <= 10 else 5}" for i in range(1, 31)]
    (folder / "in.csv").write_text("\n".join(rows) + "\n")
    (folder / "extract.yaml").write_text("type: file\npath: in.csv\nformat: csv\nbatch_size: 10\n")
    (folder / "transform.yaml").write_text(
        "transform:\n  filter:\n    field: qty\n    operator: gt\n    value: 2\n")
    (folder / "load.yaml").write_text(f"type: file\npath: out.{fmt}\nformat: {fmt}\n")
    return folder / f"out.{fmt}"


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "csv", "json"])
async def test_a_batch_emptied_by_the_filter_is_not_a_failure(tmp_path: Path, fmt: str) -> None:
    out = _pipeline(tmp_path, fmt)
    result = await ETLOrchestrator(str(tmp_path)).run()
    assert result["success"], result["error"]
    assert result["failed_batches"] == []
    assert result["transformation"]["filtered"] == 10
    assert result["loading"]["total_records"] == 20
    if fmt == "parquet":
        ids = pq.read_table(out).column("id").to_pylist()
    elif fmt == "jsonl":
        ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    elif fmt == "json":
        ids = [r["id"] for r in json.loads(out.read_text())]
    else:
        ids = [int(line.split(",")[0]) for line in out.read_text().splitlines()[1:]]
    assert ids == list(range(11, 31))
