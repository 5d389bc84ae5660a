"""Parquet targets of runs without checkpoints stream into one file instead of part files:
the output must be exactly what the part files would have assembled into, and an abort or a
failed write must leave the target and the folder as they were."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator import create_orchestrator
from pycharter_gui.etl_generator.errors import LoadError
from pycharter_gui.etl_generator.loaders import assemble, parquet_stream
from pycharter_gui.etl_generator.loaders.file import FileLoadSession


def cfg(path: Path, mode: str = "overwrite") -> dict[str, Any]:
    return {"__canonical__": True, "type": "file", "path": str(path), "format": "parquet",
            "write_mode": mode}


async def write(path: Path, batches: list[Any], *, resumable: bool, mode: str = "overwrite"
                ) -> FileLoadSession:
    session = FileLoadSession(cfg(path, mode), dry_run=False, run_key="r", resumable=resumable)
    await session.open()
    for i, batch in enumerate(batches):
        if isinstance(batch, pa.Table):
            await session.write_arrow_batch(batch, i)
        else:
            await session.write_batch(batch, i)
    await session.commit()
    return session


def rows(start: int, n: int, **extra: Any) -> list[dict[str, Any]]:
    return [{"id": i, "name": f"n{i}", **extra} for i in range(start, start + n)]


SAME_SCHEMA = [rows(0, 40), pa.Table.from_pylist(rows(40, 25)), rows(65, 35)]
CHANGING = [rows(0, 10, x=None), rows(10, 10, x=1), rows(20, 5, x=2.5, when=dt.date(2024, 1, 2)),
            pa.Table.from_pylist(rows(25, 5, x=3.0))]


@pytest.fixture
def small_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    """Row groups of 16 rows, so several groups go through the writer thread."""
    monkeypatch.setattr(assemble, "ROW_GROUP_ROWS", 16)
    monkeypatch.setattr(parquet_stream, "ROW_GROUP_ROWS", 16)


@pytest.mark.parametrize("batches", [SAME_SCHEMA, CHANGING], ids=["same-schema", "changing"])
async def test_streamed_output_equals_assembled_parts(tmp_path: Path, small_groups: None,
                                                      batches: list[Any]) -> None:
    streamed, parts = tmp_path / "a" / "out.parquet", tmp_path / "b" / "out.parquet"
    for p in (streamed, parts):
        p.parent.mkdir()
    session = await write(streamed, batches, resumable=False)
    await write(parts, batches, resumable=True)
    a, b = pq.read_table(streamed), pq.read_table(parts)
    assert a.schema.equals(b.schema) and a.equals(b)
    assert pq.ParquetFile(streamed).metadata.num_row_groups > 1
    # the stream really was used (for the changing schema: until the second batch)
    assert session._stream is not None and session._stream.rows == (100 if batches is SAME_SCHEMA else 10)
    assert sorted(p.name for p in streamed.parent.iterdir()) == ["out.parquet"]


async def test_append_puts_the_existing_rows_first(tmp_path: Path) -> None:
    target = tmp_path / "out.parquet"
    pq.write_table(pa.Table.from_pylist(rows(0, 3)), target)
    await write(target, [rows(3, 4), rows(7, 2)], resumable=False, mode="append")
    assert pq.read_table(target).column("id").to_pylist() == list(range(9))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


async def test_abort_leaves_the_target_and_no_trace(tmp_path: Path, small_groups: None) -> None:
    target = tmp_path / "out.parquet"
    pq.write_table(pa.Table.from_pylist(rows(0, 2)), target)
    before = target.read_bytes()
    session = FileLoadSession(cfg(target), dry_run=False, run_key="r", resumable=False)
    await session.open()
    await session.write_batch(rows(0, 50), 0)
    assert any(".stream.tmp" in p.name for p in tmp_path.iterdir())  # written as it goes
    await session.abort()
    await session.abort()  # idempotent
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


async def test_a_failed_write_fails_the_commit_and_keeps_the_target(
        tmp_path: Path, small_groups: None, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "out.parquet"
    pq.write_table(pa.Table.from_pylist(rows(0, 2)), target)
    before = target.read_bytes()
    session = FileLoadSession(cfg(target), dry_run=False, run_key="r", resumable=False)
    await session.open()

    def full_disk(self: Any, *_a: Any, **_k: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_table", full_disk)
    await session.write_batch(rows(0, 40), 0)  # the group is written on the writer thread
    with pytest.raises(LoadError, match="No space left on device"):
        await session.commit()
    await session.abort()  # what the run loop does after a failed commit
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.parquet"]


def _pipeline(folder: Path, n: int) -> Path:
    folder.mkdir()
    (folder / "in.csv").write_text("id,v\n" + "".join(f"{i},{i * 2}\n" for i in range(n)))
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 100\n")
    (folder / "transform.yaml").write_text("add: {k: 1}\n")
    (folder / "load.yaml").write_text("path: out/o.parquet\nformat: parquet\n")
    return folder


async def test_a_run_without_checkpoints_streams_and_a_checkpointed_one_uses_parts(
        tmp_path: Path) -> None:
    folder = _pipeline(tmp_path / "p", 1000)
    result = await create_orchestrator(folder, verbose=False).run()
    assert result["success"] and result["loading"]["total_records"] == 1000
    streamed = pq.read_table(folder / "out" / "o.parquet")
    assert streamed.column("id").to_pylist() == list(range(1000))
    result = await create_orchestrator(folder, verbose=False,
                                       checkpoint_dir=tmp_path / "ckpt").run()
    assert result["success"]
    assert pq.read_table(folder / "out" / "o.parquet").equals(streamed)
    assert sorted(p.name for p in (folder / "out").iterdir()) == ["o.parquet"]


async def test_cancelling_a_streamed_run_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = _pipeline(tmp_path / "p", 200_000)
    (folder / "extract.yaml").write_text("path: in.csv\nbatch_size: 1000\n")
    task = asyncio.create_task(create_orchestrator(folder, verbose=False).run())
    out = folder / "out"
    for _ in range(500):  # until the stream file exists, i.e. mid-run
        await asyncio.sleep(0.01)
        if out.is_dir() and any(".stream.tmp" in p.name for p in out.iterdir()):
            break
    else:
        pytest.fail("the run never started writing")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not out.exists() or list(out.iterdir()) == []


def _dictionary_encoded(path: Path) -> dict[str, bool]:
    meta = pq.ParquetFile(path).metadata
    group = meta.row_group(0)
    return {group.column(i).path_in_schema: group.column(i).has_dictionary_page
            for i in range(group.num_columns)}


@pytest.mark.parametrize("resumable", [False, True], ids=["streamed", "assembled"])
async def test_unique_columns_are_written_plain_and_the_rest_with_dictionaries(
        tmp_path: Path, resumable: bool) -> None:
    """A column whose values in the first row group are all distinct (an id) skips the
    dictionary Arrow would fill and abandon; repeating columns keep theirs. Both ways of
    writing the file choose alike, and the data read back is the same."""
    n = 30_000
    table = pa.table({"id": pa.array(range(n)), "city": pa.array(["Oslo", "Lima"] * (n // 2)),
                      "code": pa.array([f"c{i}" for i in range(n)]),
                      "score": pa.array([i % 7 / 2 for i in range(n)]),
                      "maybe": pa.array([None, *range(1, n)], pa.int64())})
    target = tmp_path / "out.parquet"
    await write(target, [table.slice(0, 20_000), table.slice(20_000)], resumable=resumable)
    assert _dictionary_encoded(target) == {"id": False, "city": True, "code": False,
                                           "score": True, "maybe": True}
    assert pq.read_table(target).equals(table)


def test_small_or_nested_first_groups_keep_every_dictionary() -> None:
    assert assemble.dictionary_columns(pa.table({"id": range(100)})) is True
    nested = pa.table({"id": range(20_000), "tags": [[i] for i in range(20_000)]})
    assert assemble.dictionary_columns(nested) is True


@pytest.mark.parametrize("resumable", [False, True], ids=["streamed", "assembled"])
async def test_row_groups_are_whole_whatever_the_batch_size(
        tmp_path: Path, small_groups: None, resumable: bool) -> None:
    """Batches of 10 rows into 16-row groups: 16, 16, 16 and the last 2 rows, not a full group
    and a stub per flush."""
    target = tmp_path / "out.parquet"
    await write(target, [rows(i * 10, 10) for i in range(5)], resumable=resumable)
    meta = pq.ParquetFile(target).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [16, 16, 16, 2]
    assert pq.read_table(target).column("id").to_pylist() == list(range(50))
