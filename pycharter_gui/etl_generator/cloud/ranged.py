"""A seekable, read-only file over ranged GETs of one cloud object.

Parquet keeps its footer at the end and reads row groups by offset: over this file, the first
batch of a large object needs the footer and one row group, not the whole download.
"""

from __future__ import annotations

import io
from typing import Any

from .base import CloudClient

BLOCK = 1 << 20  # bytes per request for small reads (format sniffing, the footer)


class RangedObject(io.RawIOBase):
    """``client.read_range`` as a seekable raw file of ``size`` bytes, named ``name``."""

    def __init__(self, client: CloudClient, key: str, size: int, name: str) -> None:
        super().__init__()
        self.client, self.key, self.size, self.name = client, key, int(size), name
        self._pos = 0
        self.requests = 0  # ranged GETs made (tests and benchmarks read it)
        self.bytes_read = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self.size - self._pos)
        if want <= 0:
            return 0
        data = self.client.read_range(self.key, self._pos, want)
        self.requests += 1
        self.bytes_read += len(data)
        n = len(data)
        buffer[:n] = data
        self._pos += n
        return n


def open_ranged(client: CloudClient, key: str, size: int, name: str) -> io.BufferedReader:
    """A buffered seekable reader of the object (BLOCK-sized reads for small requests)."""
    return io.BufferedReader(RangedObject(client, key, size, name), buffer_size=BLOCK)


__all__ = ["BLOCK", "RangedObject", "open_ranged"]
