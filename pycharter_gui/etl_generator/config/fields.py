"""Warn about transform fields the source does not have (``Amout`` for ``Amount``).

Only where the source's fields are cheap to know without reading data: the header of a CSV/TSV
file and the schema of a Parquet file (the first file of a glob). The transform's simple ops
are followed in order, so a field added or renamed earlier counts as present later; the check
stops at steps whose output it cannot know (flatten).
"""

from __future__ import annotations

import difflib
import glob
import os
from typing import Any

from .resolve import Context

_CHECKED_OPS = ("rename", "convert", "select")


def source_fields(extract: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(file name, field names) of a local CSV/TSV/Parquet source, or None when not knowable."""
    path = extract.get("path") if extract.get("type") == "file" else None
    if not path:
        return None
    if any(ch in path for ch in "*?["):
        matches = sorted(glob.glob(path, recursive=True))
        path = matches[0] if matches else None
    if not path or not os.path.isfile(path):
        return None
    fmt = (extract.get("format") or os.path.splitext(path)[1].lstrip(".")).lower()
    try:
        names = _parquet_fields(path) if fmt == "parquet" else (
            _csv_fields(path, extract) if fmt in ("csv", "tsv", "tab", "txt") else None)
    except Exception:  # unreadable: the run reports it with its own, better message
        return None
    if names is None:
        return None
    if extract.get("source_file_column"):
        names.append(str(extract["source_file_column"]))
    return os.path.basename(path), names


def _parquet_fields(path: str) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def _csv_fields(path: str, extract: dict[str, Any]) -> list[str] | None:
    from ..readers.csv_reader import csv_header

    options = {**(extract.get("csv_options") or {}), "columns": extract.get("columns")}
    if options["columns"]:
        return [str(c) for c in options["columns"]]
    if options.get("has_header") is False:
        return None
    return csv_header(path, options)


def warn_unknown_fields(extract: dict[str, Any], transform: dict[str, Any], ctx: Context) -> None:
    """Add a warning to ``ctx`` per renamed/converted/selected field the source lacks."""
    found = source_fields(extract)
    if found is None:
        return
    file, names = found
    present = dict.fromkeys(names)
    for op in transform.get("ops") or []:
        name, spec = op.get("op"), op.get("spec")
        if name == "flatten":
            return
        fields = list(spec) if isinstance(spec, dict | list) else []
        if name in _CHECKED_OPS:
            for field in fields:
                if str(field) not in present:
                    _warn(ctx, name, str(field), file, list(present))
        if name == "rename" and isinstance(spec, dict):
            for old, new in spec.items():
                if str(old) in present:
                    del present[str(old)]
                    present[str(new)] = None
        elif name in ("add", "defaults"):
            present.update(dict.fromkeys(map(str, fields)))
        elif name == "select":
            present = {k: None for k in present if k in set(map(str, fields))}
        elif name == "drop":
            for field in fields:
                present.pop(str(field), None)


def _warn(ctx: Context, op: str, field: str, file: str, present: list[str]) -> None:
    by_lower = {name.lower(): name for name in reversed(present)}
    close = difflib.get_close_matches(field.lower(), list(by_lower), n=1, cutoff=0.6)
    hint = (f"did you mean '{by_lower[close[0]]}'?" if close
            else "fields here: " + ", ".join(present[:20]))
    ctx.add(f"transform.{op}.{field}", f"{op}: field '{field}' is not in {file}", hint,
            severity="warning")
