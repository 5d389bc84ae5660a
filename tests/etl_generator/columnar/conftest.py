"""Helpers: run one pipeline with the columnar fast path off and on, and compare everything."""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator import create_orchestrator

FAST_LOG = re.compile(r"columnar run: (\d+) batches fast, (\d+) through the dict path")


def make_pipeline(folder: Path, *, data: str | bytes, transform: str, load: str,
                  extract: str = "path: in.csv\nbatch_size: 7\n", name: str = "in.csv",
                  extra: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for extra_name, text in (extra or {}).items():
        (folder / extra_name).parent.mkdir(parents=True, exist_ok=True)
        (folder / extra_name).write_text(text, encoding="utf-8")
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, bytes):
        target.write_bytes(data)
    else:
        target.write_text(data, encoding="utf-8")
    (folder / "extract.yaml").write_text(extract)
    (folder / "transform.yaml").write_text(transform)
    (folder / "load.yaml").write_text(load)
    return folder


def read_output(folder: Path, load: str) -> Any:
    """The target's content: bytes for text formats, the Arrow table for Parquet, rows+schema
    for SQLite."""
    out = folder / "out"
    if "database" in load:
        with sqlite3.connect(out / "t.db") as db:
            schema = db.execute("SELECT sql FROM sqlite_master WHERE name='items'").fetchone()
            rows = schema and db.execute("SELECT * FROM items ORDER BY rowid").fetchall()
        return schema, rows
    files = [p for p in out.iterdir() if p.is_file()]
    assert len(files) == 1, files
    if files[0].suffix == ".parquet":
        return pq.read_table(files[0])
    return files[0].read_bytes()


def comparable(result: dict[str, Any]) -> dict[str, Any]:
    drop = {"run_id", "duration_seconds"}
    return {k: v for k, v in result.items() if k not in drop and not k.startswith("_")
            and k != "dead_letters"}


def dead_letters(folder: Path) -> list[tuple[Any, ...]]:
    path = folder / ".pycharter" / "dead_letters.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        rec = json.loads(line)
        meta = rec.get("metadata") or {}
        out.append((rec.get("reason"), rec.get("stage"), rec.get("error_message"),
                    json.dumps(rec.get("record_data"), sort_keys=True),
                    meta.get("batch_index"), meta.get("record_index"), meta.get("field")))
    return out


@pytest.fixture
def both_ways(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
              ) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Run the pipeline built by ``make_pipeline(**spec)`` (after ``setup(folder)``, if given)
    with PYCHARTER_COLUMNAR=0 and =1 and assert identical output, results and dead letters.
    Returns fast/fallback batch counts."""

    async def run(setup: Callable[[Path], None] | None = None, **spec: Any) -> dict[str, Any]:
        folders = {}
        results = {}
        for mode in ("0", "1"):
            folder = make_pipeline(tmp_path / f"mode{mode}" / "pipe", **spec)
            (folder / "out").mkdir(exist_ok=True)
            if setup is not None:
                setup(folder)  # e.g. an existing target table with constraints
            monkeypatch.setenv("PYCHARTER_COLUMNAR", mode)
            caplog.clear()
            with caplog.at_level(logging.DEBUG, logger="pycharter_gui.etl_generator.columnar"):
                results[mode] = await create_orchestrator(folder, verbose=False).run()
            folders[mode] = folder
            if mode == "1":
                logs = [FAST_LOG.search(r.getMessage()) for r in caplog.records]
                found = [m for m in logs if m]
        off, on = results["0"], results["1"]
        assert comparable(off) == comparable(on)
        out0 = read_output(folders["0"], spec["load"])
        out1 = read_output(folders["1"], spec["load"])
        if "parquet" in spec["load"]:
            assert out0.schema == out1.schema
            assert out0.equals(out1)
        else:
            assert out0 == out1
        assert dead_letters(folders["0"]) == dead_letters(folders["1"])
        fast, slow = (int(found[0].group(1)), int(found[0].group(2))) if found else (0, 0)
        shutil.rmtree(tmp_path / "mode0")
        shutil.rmtree(tmp_path / "mode1")
        return {"fast": fast, "fallback": slow, "result": on, "used": bool(found)}

    return run
