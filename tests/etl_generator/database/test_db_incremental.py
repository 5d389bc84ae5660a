"""Incremental extraction by a watermark column, across two runs with the state file between."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from pycharter_gui.etl_generator.config import normalize_extract
from pycharter_gui.etl_generator.database.watermark import (
    decode_watermark,
    encode_watermark,
    load_watermark,
    save_watermark,
    state_path,
    with_last_value,
)
from pycharter_gui.etl_generator.extractors.database import DatabaseExtractor

T0 = dt.datetime(2024, 3, 1, 8, 0, 0)


def _orders(db: Any, n: int) -> str:
    return db.create(sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
                     sa.Column("updated_at", sa.DateTime),
                     rows=[{"id": i, "updated_at": T0 + dt.timedelta(hours=i)}
                           for i in range(1, n + 1)])


async def _extract(cfg: dict[str, Any], **kw: Any) -> tuple[list[int], Any]:
    ex = DatabaseExtractor()
    ids = [r["id"] async for b in ex.extract_streaming(cfg, None, None, **kw) for r in b]
    return ids, ex.watermark


async def _run(pipe: Path, cfg: dict[str, Any], key: str = "orders-abc", **kw: Any) -> list[int]:
    """What the orchestrator does: read the state, extract, store the new watermark."""
    column = cfg["incremental"]["column"]
    stored = load_watermark(pipe, key, column)
    ids, mark = await _extract(with_last_value(cfg, stored), **kw)
    save_watermark(pipe, key, column, mark)
    return ids


async def test_second_run_reads_only_new_rows(db: Any, tmp_path: Path) -> None:
    table = _orders(db, 10)
    cfg = {"url": db.url, "table": table,
           "incremental": {"column": "updated_at", "initial": T0 + dt.timedelta(hours=3)}}
    assert await _run(tmp_path, cfg, batch_size=4) == [4, 5, 6, 7, 8, 9, 10]
    stored = load_watermark(tmp_path, "orders-abc", "updated_at")
    if db.kind == "sqlite":  # SQLite hands back the stored text
        assert stored == "2024-03-01 18:00:00.000000"
    else:
        assert stored == T0 + dt.timedelta(hours=10)

    assert await _run(tmp_path, cfg) == [], "nothing new: nothing read, watermark kept"
    assert load_watermark(tmp_path, "orders-abc", "updated_at") == stored

    with db.engine.begin() as conn:
        conn.execute(sa.table(table, sa.column("id"), sa.column("updated_at")).insert(),
                     [{"id": 11, "updated_at": T0 + dt.timedelta(hours=11)},
                      {"id": 12, "updated_at": T0 + dt.timedelta(hours=12)}])
    assert await _run(tmp_path, cfg) == [11, 12]
    data = json.loads(state_path(tmp_path).read_text())
    assert data["watermarks"]["orders-abc"]["column"] == "updated_at"


async def test_max_records_moves_the_watermark_only_past_what_was_read(db: Any,
                                                                       tmp_path: Path) -> None:
    table = _orders(db, 9)
    cfg = {"url": db.url, "query": f"SELECT id, updated_at FROM {table}",
           "incremental": {"column": "updated_at"}}
    assert await _run(tmp_path, cfg, batch_size=2, max_records=5) == [1, 2, 3, 4, 5]
    assert await _run(tmp_path, cfg, batch_size=2) == [6, 7, 8, 9]


async def test_initial_as_text_and_params_keep_their_own_watermark(db: Any,
                                                                   tmp_path: Path) -> None:
    table = _orders(db, 6)
    cfg = {"url": db.url, "table": table,
           "incremental": {"column": "updated_at", "initial": "2024-03-01 12:00:00"}}
    assert await _run(tmp_path, cfg, key="p-eu") == [5, 6]
    assert await _run(tmp_path, cfg, key="p-us") == [5, 6], "another key starts from initial"
    assert await _run(tmp_path, cfg, key="p-eu") == []
    # a changed column ignores the stored value
    cfg_id = {**cfg, "incremental": {"column": "id", "initial": 4}}
    assert await _run(tmp_path, cfg_id, key="p-eu") == [5, 6]


@pytest.mark.parametrize("value", [
    T0, T0.replace(tzinfo=dt.UTC), T0.date(), dt.time(8, 30), 42, 2.5, "x",
    __import__("decimal").Decimal("1.10"),
])
def test_watermark_values_keep_their_type_in_json(value: Any) -> None:
    encoded = json.loads(json.dumps(encode_watermark(value)))
    back = decode_watermark(encoded)
    assert back == value and type(back) is type(value)


def test_state_file_survives_a_corrupt_entry_with_a_clear_message(tmp_path: Path) -> None:
    save_watermark(tmp_path, "k", "c", 5)
    save_watermark(tmp_path, "k2", "c", None)  # nothing read: nothing stored
    assert load_watermark(tmp_path, "k", "c") == 5
    assert load_watermark(tmp_path, "k2", "c") is None
    state_path(tmp_path).write_text("{not json")
    with pytest.raises(ValueError, match=r"state\.json.*Delete the file"):
        load_watermark(tmp_path, "k", "c")


def test_extract_yaml_accepts_incremental(tmp_path: Path) -> None:
    cfg = normalize_extract({"type": "database", "url": "sqlite:///x.db", "table": "t",
                             "incremental": {"column": "updated_at", "initial": "2024-01-01"}},
                            str(tmp_path))
    assert cfg["incremental"] == {"column": "updated_at", "initial": "2024-01-01"}
