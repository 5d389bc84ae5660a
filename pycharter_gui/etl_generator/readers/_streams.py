"""Opening a file or binary stream for reading, transparently un-gzipping and un-zipping."""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, Any

from ..errors import FatalSourceError

GZIP_MAGIC = b"\x1f\x8b"

Source = str | os.PathLike[str] | IO[bytes]


def source_name(source: Any) -> str:
    """A printable name for a path or stream (used in error messages)."""
    if isinstance(source, (str, os.PathLike)):
        return os.fspath(source)
    return str(getattr(source, "name", "<stream>"))


def _is_gzip(raw: IO[bytes], name: str) -> bool:
    if name.lower().endswith(".gz"):
        return True
    peek = getattr(raw, "peek", None)
    if callable(peek):
        try:
            return bytes(peek(2)[:2]) == GZIP_MAGIC
        except (OSError, ValueError):
            return False
    if getattr(raw, "seekable", lambda: False)():
        pos = raw.tell()
        head = raw.read(2)
        raw.seek(pos)
        return head == GZIP_MAGIC
    return False


@contextmanager
def open_binary(source: Source) -> Iterator[IO[bytes]]:
    """Yield a binary stream of the decompressed content of ``source``.

    Paths are opened (and closed on exit); ``.zip`` yields the first member; gzip is detected
    by extension or magic bytes. A caller-supplied stream is not closed by us.
    """
    name = source_name(source)
    with ExitStack() as stack:
        if isinstance(source, (str, os.PathLike)):
            if name.lower().endswith(".zip"):
                zf = stack.enter_context(zipfile.ZipFile(name))
                members = [m for m in zf.infolist() if not m.is_dir()]
                if not members:
                    raise FatalSourceError(f"{name}: the zip archive is empty", source=name)
                raw: IO[bytes] = stack.enter_context(zf.open(members[0]))
                name = members[0].filename
            else:
                raw = stack.enter_context(open(name, "rb"))
        else:
            raw = source
        if _is_gzip(raw, name):
            raw = stack.enter_context(gzip.GzipFile(fileobj=raw, mode="rb"))
        yield raw


def decoding(encoding: str | None) -> str:
    """The codec to decode with: UTF-8 also swallows a leading byte-order mark."""
    enc = (encoding or "utf-8").lower().replace("_", "-")
    return "utf-8-sig" if enc in ("utf-8", "utf8") else enc


@contextmanager
def parquet_source(source: Any, name: str) -> Iterator[Any]:
    """A Parquet source as pyarrow reads it best: a plain local path as the path (random
    access to its footer and row groups), anything else (a stream, a .gz or .zip file) as an
    opened binary stream. Shared by the record and the columnar readers."""
    if isinstance(source, (str, os.PathLike)) and not name.lower().endswith((".gz", ".zip")):
        yield os.fspath(source)
        return
    with open_binary(source) as stream:
        yield stream
