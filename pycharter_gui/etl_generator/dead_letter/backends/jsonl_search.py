"""Whether a JSON Lines dead-letter file holds a record of one status, without parsing it all.

The file is searched from the end (recent records change status most) one memory-mapped window
at a time, so the search never holds the whole file in memory; only lines that mention the
status value are parsed. Answers are cached per file version (device, inode, size, mtime).
"""

from __future__ import annotations

import json
import mmap
import os
from pathlib import Path

from .jsonl_index import parse_line

WINDOW = 64 << 20  # bytes mapped at a time
_CACHE: dict[tuple[int, int, int, int, str], bool] = {}
_CACHE_SIZE = 32


def file_has_status(path: Path, status: str) -> bool:
    """True when a complete line of ``path`` is a record whose ``status`` is ``status``."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, status)
            if key not in _CACHE:
                if len(_CACHE) >= _CACHE_SIZE:
                    _CACHE.clear()
                _CACHE[key] = _search(f.fileno(), st.st_size, status)
            return _CACHE[key]
    except FileNotFoundError:
        return False


def _search(fd: int, size: int, status: str) -> bool:
    needle = json.dumps(status).encode()
    end = size
    while end > 0:
        start = max(0, end - WINDOW)
        start -= start % mmap.ALLOCATIONGRANULARITY
        with mmap.mmap(fd, end - start, access=mmap.ACCESS_READ, offset=start) as mm:
            hit = mm.rfind(needle)
            while hit >= 0:
                line_start = mm.rfind(b"\n", 0, hit) + 1
                if line_start == 0 and start > 0:
                    break  # the line may begin in the previous window: searched there
                line_end = mm.find(b"\n", hit)
                if line_end >= 0:  # a torn last line is not a record yet
                    record = parse_line(mm[line_start:line_end])
                    if record is not None and record.get("status") == status:
                        return True
                hit = mm.rfind(needle, 0, line_start)
            first_newline = mm.find(b"\n")
        if start == 0:
            return False
        # The next window ends after this one's first line end, so it holds that line whole.
        next_end = start + first_newline + 1
        end = next_end if first_newline >= 0 and next_end < end else start
    return False
