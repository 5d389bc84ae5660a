"""One format table (etl_generator/formats.py): every advertised format reads or writes, and
validate rejects the rest with the supported list, so validate and run agree (issue 15)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pycharter_gui.etl_generator import extract_with_pagination_streaming, validate_pipeline
from pycharter_gui.etl_generator.formats import READ_FORMATS, WRITE_FORMATS, format_of_path

ROWS = [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}]


def _write(path: Path, fmt: str) -> None:
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        path.write_text(f"id{sep}name\n1{sep}a\n2{sep}b\n")
    elif fmt == "json":
        path.write_text(json.dumps(ROWS))
    elif fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    else:
        pq.write_table(pa.Table.from_pylist(ROWS), path)


async def _read(cfg: dict) -> list[dict]:
    return [r async for batch in extract_with_pagination_streaming(cfg) for r in batch]


@pytest.mark.parametrize("fmt", READ_FORMATS)
def test_every_advertised_read_format_reads(tmp_path: Path, fmt: str) -> None:
    path = tmp_path / f"data.{fmt}"
    _write(path, fmt)
    assert format_of_path(path) == fmt
    for cfg in ({"type": "file", "path": str(path), "format": fmt},
                {"type": "file", "path": str(path)}):
        rows = asyncio.run(_read(cfg))
        assert [str(r["name"]) for r in rows] == ["a", "b"]


@pytest.mark.parametrize("fmt", ["excel", "xml", "xlsx"])
def test_validate_rejects_an_unread_format_with_the_supported_list(write_pipeline, fmt) -> None:
    folder = write_pipeline(extract=f"path: a.dat\nformat: {fmt}\n", load="path: o.json\n")
    errors = [p for p in validate_pipeline(folder) if p.severity == "error"]
    assert [(Path(p.file).name, p.key) for p in errors] == [("extract.yaml", "format")]
    assert ", ".join(READ_FORMATS) in errors[0].message


@pytest.mark.parametrize("fmt", WRITE_FORMATS)
def test_every_advertised_write_format_validates(write_pipeline, fmt) -> None:
    folder = write_pipeline(extract="path: a.csv\n", load=f"path: o.{fmt}\nformat: {fmt}\n")
    assert [p for p in validate_pipeline(folder) if p.severity == "error"] == []


def test_validate_rejects_an_unwritten_format(write_pipeline) -> None:
    folder = write_pipeline(extract="path: a.csv\n", load="path: o.xml\nformat: xml\n")
    errors = [p for p in validate_pipeline(folder) if p.severity == "error"]
    assert [(Path(p.file).name, p.key) for p in errors] == [("load.yaml", "format")]
    assert ", ".join(WRITE_FORMATS) in errors[0].message
