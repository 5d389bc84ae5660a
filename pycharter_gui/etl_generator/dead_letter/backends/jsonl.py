"""The ``file`` DLQ backend: one JSON Lines file, appended per batch and read by offset.

Design choices (documented for the designer and for operators):

* Writers take an exclusive lock (``<file>.lock``: a thread lock plus ``flock`` across
  processes), append complete lines, then flush and fsync before returning.
* Readers take no lock and only ever look at complete lines, so a reader running while a
  batch is being written never sees half a record.
* ``set_status`` and ``delete`` rewrite the file atomically (temp file + ``os.replace``) under
  the writer lock. A sidecar of status changes was rejected: every reader would need to merge
  it, and a file that is also read by other tools (``jq``, pandas) would no longer tell the
  truth on its own. Rewrites are rare user actions; appends stay cheap.
* Paging uses cached line-offset indexes keyed by the file's identity, size and mtime; when
  the file only grew, the index is extended from where it stopped.
* Records are stored in append order, so the only sort is ``timestamp`` (ascending or not).
* Re-adding an existing id appends a second line (ids are uuid4 and never reused by the
  engine); use the SQLite backend where retries must update the same row.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from ...atomic import fsync_dir
from ...file_lock import exclusive_lock
from ..query import NormalizedFilter, empty_statistics
from ..records import DeadLetterRecord, DLQStatus
from .base import DLQBackend
from .jsonl_index import LineIndex, iter_complete_lines, parse_line
from .jsonl_search import file_has_status

logger = logging.getLogger(__name__)

DEFAULT_FILE_NAME = "dead_letters.jsonl"
_MAX_CACHED_INDEXES = 8
_ID_PREFIX = re.compile(rb'^\{"id": ?"([^"\\]*)"')

# Every file open goes through this name, so tests can count reads with a spy.
_open = open


def resolve_jsonl_path(storage_path: str | os.PathLike[str] | None) -> Path:
    """The JSONL file for a configured path: a folder (or suffix-less path) gets the default name."""
    if storage_path is None:
        return Path.cwd() / ".pycharter" / DEFAULT_FILE_NAME
    path = Path(storage_path).expanduser()
    if path.is_dir() or not path.suffix:
        return path / DEFAULT_FILE_NAME
    return path


def _line_id(line: bytes) -> str | None:
    match = _ID_PREFIX.match(line)
    if match:
        return match.group(1).decode("utf-8", "replace")
    d = parse_line(line)
    return None if d is None else str(d.get("id"))


class JsonlBackend(DLQBackend):
    """Dead letters in one append-only JSON Lines file (see the module docstring)."""

    name = "file"
    label = "file (JSON Lines)"  # in messages
    sortable_columns = ("timestamp",)

    def __init__(self, storage_path: str | os.PathLike[str] | None = None, **_options: Any) -> None:
        self.path = resolve_jsonl_path(storage_path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self._lock = threading.RLock()
        self._file_key: tuple[int, int, int, int] | None = None  # dev, ino, size, mtime_ns
        self._indexes: OrderedDict[tuple[NormalizedFilter, bool], LineIndex] = OrderedDict()

    def describe(self) -> str:
        return str(self.path)

    # -- writing -------------------------------------------------------------------------
    def append(self, records: Sequence[DeadLetterRecord]) -> None:
        if not records:
            return
        payload = "".join(
            json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n" for r in records
        ).encode("utf-8")
        with exclusive_lock(self.lock_path):
            if not self.path.exists():  # dead letters hold records and run parameters: 0600
                os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
            self._append_locked(payload)

    def _append_locked(self, payload: bytes) -> None:
        with _open(self.path, "a+b", buffering=0) as f:
            self._drop_torn_tail(f)
            size = f.seek(0, os.SEEK_END)
            try:
                view = memoryview(payload)
                while view:
                    view = view[f.write(view):]
                os.fsync(f.fileno())
            except BaseException:
                # A full disk may have taken part of the payload: cut it back, so the records
                # the caller saves elsewhere (the fallback file) are not also here, some torn.
                with contextlib.suppress(OSError):
                    os.ftruncate(f.fileno(), size)
                raise

    def _drop_torn_tail(self, f: IO[bytes]) -> None:
        """Cut an incomplete last line left by a writer that was killed mid-write."""
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        pos = size
        while pos > 0:
            step = min(64 * 1024, pos)
            pos -= step
            f.seek(pos)
            j = f.read(step).rfind(b"\n")
            if j >= 0:
                pos += j + 1
                break
        logger.warning(
            "Dropping %d bytes of an incomplete last line in %s (an earlier write was cut off)",
            size - pos,
            self.path,
        )
        f.truncate(pos)

    def _rewrite(self, ids: Iterable[str], change: Any) -> int:
        """Copy the file through ``change(dict) -> dict | None`` for the given ids, atomically."""
        wanted = set(ids)
        if not wanted:
            return 0
        changed = 0
        with exclusive_lock(self.lock_path):
            if not self.path.exists():
                return 0
            fd, tmp_name = tempfile.mkstemp(
                dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
            )
            try:
                with _open(self.path, "rb") as src, os.fdopen(fd, "wb") as dst:
                    size = os.fstat(src.fileno()).st_size
                    for _offset, line in iter_complete_lines(src, 0, size):
                        if _line_id(line) in wanted:
                            d = parse_line(line)
                            if d is not None:
                                changed += 1
                                d = change(d)
                                if d is None:
                                    continue
                                line = json.dumps(d, ensure_ascii=False, default=str).encode()
                        dst.write(line + b"\n")
                    dst.flush()
                    os.fsync(dst.fileno())
                if changed:
                    os.replace(tmp_name, self.path)
                    fsync_dir(self.path.parent)
            finally:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp_name)
        return changed

    def set_status(
        self, ids: Iterable[str], status: DLQStatus, *, increment_retry: bool = False
    ) -> int:
        def change(d: dict[str, Any]) -> dict[str, Any]:
            d["status"] = status.value
            if increment_retry:
                d["retry_count"] = int(d.get("retry_count") or 0) + 1
            return d

        return self._rewrite(ids, change)

    def delete(self, ids: Iterable[str]) -> int:
        return self._rewrite(ids, lambda _d: None)

    # -- reading -------------------------------------------------------------------------
    @contextlib.contextmanager
    def _snapshot(
        self, flt: NormalizedFilter, *, parsed: bool = False
    ) -> Iterator[tuple[LineIndex | None, IO[bytes] | None]]:
        """An up-to-date index for ``flt`` and the open file it describes.

        The file is opened first and the index checked against *that* file (``fstat``), so a
        concurrent atomic rewrite can never pair an old index with new bytes.
        """
        try:
            f = _open(self.path, "rb")
        except FileNotFoundError:
            with self._lock:
                self._file_key = None
                self._indexes.clear()
            yield None, None
            return
        with f, self._lock:
            st = os.fstat(f.fileno())
            key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
            old = self._file_key
            grew = old is not None and old[:2] == key[:2] and st.st_size > old[2]
            if old != key and not grew:
                self._indexes.clear()  # replaced, truncated or edited in place: start over
            self._file_key = key
            cache_key = (flt, parsed or not flt.is_empty)
            index = self._indexes.get(cache_key)
            if index is None:
                index = self._indexes[cache_key] = LineIndex(flt, parsed=parsed)
                while len(self._indexes) > _MAX_CACHED_INDEXES:
                    self._indexes.popitem(last=False)
            else:
                self._indexes.move_to_end(cache_key)
            index.extend(f, st.st_size)
            yield index, f

    def count(self, flt: NormalizedFilter) -> int:
        with self._snapshot(flt) as (index, _f):
            return 0 if index is None else len(index)

    def has_status(self, status: DLQStatus) -> bool:
        """A memory-mapped search for the status value; never parses the whole file."""
        return file_has_status(self.path, status.value)

    def statistics(self, flt: NormalizedFilter) -> dict[str, Any]:
        with self._snapshot(flt, parsed=True) as (index, _f):
            return empty_statistics() if index is None else index.stats.result()

    def _page(self, flt: NormalizedFilter, offset: int, limit: int, order_by: str,
              descending: bool) -> list[DeadLetterRecord]:
        with self._snapshot(flt) as (index, f):
            if index is None or f is None or offset >= len(index) or limit == 0:
                return []
            n = len(index)
            if descending:
                picks = range(n - 1 - offset, max(n - 1 - offset - limit, -1), -1)
            else:
                picks = range(offset, min(offset + limit, n))
            raw = _read_lines(index, f, list(picks))
        out = []
        for line in raw:
            d = parse_line(line)
            if d is not None:
                out.append(DeadLetterRecord.from_dict(d))
        return out

    def iter_records(self, flt: NormalizedFilter) -> Iterator[DeadLetterRecord]:
        try:
            f = _open(self.path, "rb")
        except FileNotFoundError:
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            empty = flt.is_empty
            for _offset, line in iter_complete_lines(f, 0, size):
                d = parse_line(line)
                if d is not None and (empty or flt.matches(d)):
                    yield DeadLetterRecord.from_dict(d)

    def get(self, ids: Iterable[str]) -> list[DeadLetterRecord]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return []
        wanted_set = set(wanted)
        found: dict[str, DeadLetterRecord] = {}
        try:
            f = _open(self.path, "rb")
        except FileNotFoundError:
            return []
        with f:
            size = os.fstat(f.fileno()).st_size
            for _offset, line in iter_complete_lines(f, 0, size):
                if _line_id(line) in wanted_set:
                    d = parse_line(line)
                    if d is not None:
                        found[str(d.get("id"))] = DeadLetterRecord.from_dict(d)
        return [found[i] for i in wanted if i in found]


def _read_lines(index: LineIndex, f: IO[bytes], picks: list[int]) -> list[bytes]:
    """The raw lines at index positions ``picks``: one read for an all-lines index."""
    if not picks:
        return []
    if index.parsed:  # matching lines are scattered: one seek each
        out = []
        for k in picks:
            f.seek(index.starts[k])
            out.append(f.readline().rstrip(b"\n"))
        return out
    lo, _ = index.span(min(picks))
    _, hi = index.span(max(picks))
    f.seek(lo)
    block = f.read(hi - lo)
    lines = []
    for k in picks:
        start, end = index.span(k)
        lines.append(block[start - lo : end - lo].rstrip(b"\n"))
    return lines
