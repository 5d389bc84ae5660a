"""Format readers shared by the file and cloud-storage extractors.

``iter_batches(source, fmt, options, batch_size)`` yields ``list[dict]`` batches from a path or
a binary stream without reading more than about one batch ahead (JSON documents that are not a
plain top-level array are the exception: see ``json_reader``). JSON Lines batches may contain
:class:`BadLine` markers for lines that are not records; callers must dead-letter them.

``options`` keys: ``delimiter``, ``quote_char``, ``escape_char``, ``has_header``, ``encoding``,
``skip_rows`` (CSV/TSV); ``encoding``, ``response_path`` (JSON); ``columns`` (all formats).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import IO, Any

from ..errors import ConfigError, ConfigProblem
from ..formats import READ_FORMATS, format_name, format_of_path
from ._streams import open_binary, parquet_source, source_name
from .json_reader import BadLine

__all__ = ["READ_FORMATS", "BadLine", "detect_format", "iter_batches", "reader_options"]


def _format_problem(message: str, config_file: str) -> ConfigError:
    return ConfigError([ConfigProblem(
        file=config_file, key="format", message=message,
        hint="use one of: " + ", ".join(READ_FORMATS))])


def detect_format(path: str, fmt: str | None = None, *, lines: bool | None = None,
                  config_file: str = "extract.yaml") -> str:
    """The reader format for ``path``: the configured one, else from the extension.

    ``x.csv.gz`` and ``x.csv.zip`` count as CSV. ``lines=True`` (json_options.lines) turns json
    into jsonl. Unknown formats raise ``ConfigError`` on the key ``format``.
    """
    if fmt:
        name = format_name(str(fmt))
    else:
        name = format_of_path(str(path)) or ""
        if not name:
            raise _format_problem(
                f"cannot tell the format of '{os.path.basename(str(path))}' from its extension",
                config_file)
    if name == "json" and lines:
        name = "jsonl"
    if name not in READ_FORMATS:
        raise _format_problem(f"unknown format '{fmt}'", config_file)
    return name


def reader_options(cfg: dict[str, Any]) -> dict[str, Any]:
    """Flatten a canonical file/cloud extract config into reader ``options``."""
    opts: dict[str, Any] = {}
    opts.update(cfg.get("csv_options") or {})
    json_opts = cfg.get("json_options") or {}
    if json_opts.get("encoding") and not opts.get("encoding"):
        opts["encoding"] = json_opts["encoding"]
    for key in ("columns", "response_path"):
        if cfg.get(key) is not None:
            opts[key] = cfg[key]
    return opts


def _project(batch: list[Any], columns: list[str]) -> list[Any]:
    return [r if isinstance(r, BadLine) else {c: r.get(c) for c in columns} for r in batch]


def iter_batches(
    source: str | os.PathLike[str] | IO[bytes], fmt: str, options: dict[str, Any] | None = None,
    batch_size: int = 1000,
) -> Iterator[list[dict[str, Any]]]:
    """Yield record batches of at most ``batch_size`` from ``source`` in format ``fmt``.

    Files opened here are closed when the generator finishes or is closed early.
    """
    options = dict(options or {})
    name = source_name(source)
    batch_size = max(1, int(batch_size))
    if fmt == "parquet":
        from .parquet_reader import iter_parquet

        with parquet_source(source, name) as src:
            yield from iter_parquet(src, options, batch_size, name=name)
        return
    with open_binary(source) as stream:
        if fmt in ("csv", "tsv"):
            from .csv_reader import iter_csv

            yield from iter_csv(stream, options, batch_size, name=name,
                                default_delimiter="\t" if fmt == "tsv" else ",")
            return
        from .json_reader import iter_json, iter_jsonl

        reader = iter_jsonl if fmt == "jsonl" else iter_json
        columns = options.get("columns")
        for batch in reader(stream, options, batch_size, name=name):
            yield _project(batch, columns) if columns else batch
