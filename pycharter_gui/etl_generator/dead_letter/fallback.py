"""When a dead-letter queue cannot store records: save them to a private fallback file and
raise an error naming it, so a failed DLQ write never loses records silently (docs/decisions.md,
"Nothing silent")."""

from __future__ import annotations

import json
import os
import re
import tempfile
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..errors import PycharterError
from .records import DeadLetterRecord

FALLBACK_FOLDER = "pycharter-dead-letters"


class DeadLetterWriteError(PycharterError):
    """Dead letters could not be stored in their queue.

    ``fallback_path`` is the JSON Lines file (mode 0600) that holds them instead, or None when
    that could not be written either (then they exist only in the run result's memory queue).
    """

    def __init__(self, message: str, *, count: int, location: str,
                 fallback_path: Path | None) -> None:
        super().__init__(message)
        self.count = count
        self.location = location
        self.fallback_path = fallback_path


def fallback_folders() -> list[Path]:
    """Where fallback files go, in order: the system temp dir, then the user's home."""
    return [Path(tempfile.gettempdir()) / FALLBACK_FOLDER,
            Path.home() / ".pycharter" / "unsaved-dead-letters"]


def _private_folder(folder: Path) -> None:
    """Create ``folder`` (0700) and refuse one another user owns or others may write to."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    st = folder.lstat()
    getuid = getattr(os, "getuid", None)
    if (getuid is not None and st.st_uid != getuid()) or st.st_mode & 0o022:
        raise PermissionError(f"{folder} is not a private folder of this user")


def save_fallback(records: Sequence[DeadLetterRecord], pipeline_name: str | None) -> Path:
    """Write ``records`` as JSON Lines to a new 0600 file; raises OSError naming every place tried."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", pipeline_name or "pipeline")[:60]
    name = f"{safe}-{stamp}-{uuid.uuid4().hex[:8]}.jsonl"
    payload = "".join(json.dumps(r.to_dict(), ensure_ascii=False, default=str) + "\n"
                      for r in records).encode("utf-8")
    problems: list[str] = []
    for folder in fallback_folders():
        path = folder / name
        try:
            _private_folder(folder)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
        except OSError as exc:
            problems.append(f"{path}: {type(exc).__name__}: {exc}")
            continue
        return path
    raise OSError("; ".join(problems))


def write_failed(records: Sequence[DeadLetterRecord], location: str, exc: BaseException,
                 pipeline_name: str | None) -> DeadLetterWriteError:
    """The error for a failed write to ``location``, after saving ``records`` to a fallback file."""
    n = len(records)
    head = f"Could not store {n} dead letter(s) in {location} ({type(exc).__name__}: {exc})"
    try:
        path: Path | None = save_fallback(records, pipeline_name)
    except OSError as fallback_exc:
        path = None
        message = (f"{head}; saving them to a fallback file failed too ({fallback_exc}), so they "
                   "are only in this run's result.")
    else:
        message = f"{head}; they were saved to {path}."
    return DeadLetterWriteError(message, count=n, location=location, fallback_path=path)


__all__ = ["DeadLetterWriteError", "fallback_folders", "save_fallback", "write_failed"]
