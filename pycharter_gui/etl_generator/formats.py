"""The one table of file formats: what the readers read, the writers write, and extensions.

Config models, readers, loaders and the designer all read these names, so nothing advertises a
format that the run then refuses. Importing this module is light.
"""

from __future__ import annotations

import os
from typing import Literal

READ_FORMATS = ("csv", "tsv", "json", "jsonl", "parquet")
"""Formats a file or cloud source reads."""
WRITE_FORMATS = ("json", "jsonl", "csv", "parquet")
"""Formats a file or cloud destination writes."""
EXTENSIONS = {
    ".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".json": "json", ".jsonl": "jsonl",
    ".ndjson": "jsonl", ".parquet": "parquet", ".pq": "parquet",
}
"""File extension -> format (``x.csv.gz`` and ``x.csv.zip`` count as ``.csv``)."""
_ALIASES = {"ndjson": "jsonl", "json_lines": "jsonl", "jsonlines": "jsonl", "pq": "parquet"}


def file_formats(direction: Literal["read", "write"]) -> tuple[str, ...]:
    """The formats a file or cloud source reads (``"read"``) or a destination writes
    (``"write"``)."""
    return READ_FORMATS if direction == "read" else WRITE_FORMATS


def format_name(value: str) -> str:
    """``value`` lower-cased, with a synonym (ndjson, jsonlines, pq) replaced by its format."""
    name = value.strip().lower()
    return _ALIASES.get(name, name)


def format_of_path(path: str | os.PathLike[str]) -> str | None:
    """The format a file's extension implies; None when the extension is not in the table."""
    base = os.path.basename(os.fspath(path)).lower()
    for suffix in (".gz", ".zip"):
        base = base.removesuffix(suffix)
    return EXTENSIONS.get(os.path.splitext(base)[1])
