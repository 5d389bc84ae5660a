"""Per-target run lock: two runs never load into the same file or table at once.

The lock is an OS file lock (``flock`` / ``msvcrt.locking``) on a small file that also names its
holder (pid, host, start time) and is removed when the run ends. The operating system releases
the lock when the holder dies, so the file left by a killed run is simply taken over. File
targets lock ``<dir>/.<name>.lock`` beside the target; database targets lock a file in the temp
folder keyed by the URL (without password) and the table, so runs on this machine exclude each
other.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from ..errors import LoadError
from .leftovers import remove_leftovers

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]
    import msvcrt


def lock_path(load_config: dict[str, Any]) -> Path | None:
    """The lock file of a canonical load config's target, or None when it has no local lock."""
    kind = load_config.get("type", "database")
    if kind == "file" and load_config.get("path"):
        target = Path(str(load_config["path"]))
        return target.parent / f".{target.name}.lock"
    if kind == "database" and load_config.get("url"):
        from ..database.connect import mask_url

        key = json.dumps([mask_url(str(load_config["url"])), load_config.get("schema_name"),
                          load_config.get("table")])
        digest = hashlib.sha256(key.encode()).hexdigest()[:24]
        return Path(tempfile.gettempdir()) / "pycharter-locks" / f"db-{digest}.lock"
    return None


def _try_lock(handle: IO[str]) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError:
        return False
    return True


def _holder(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        info = {}
    if not isinstance(info, dict) or not info.get("pid"):
        return "another run"
    return (f"run {info.get('run_id', '?')} (pid {info['pid']} on {info.get('host', '?')}, "
            f"started {info.get('started', '?')})")


@contextlib.contextmanager
def target_lock(load_config: dict[str, Any], *, run_id: str, describe: str = "") -> Iterator[None]:
    """Hold the target's run lock for the block; a held lock raises ``LoadError`` naming it.

    A load config with ``locked_by`` (a Dask partition's) runs under the lock its run holds."""
    path = lock_path(load_config)
    if path is None or load_config.get("locked_by"):
        yield
        return
    target = describe or str(load_config.get("path") or load_config.get("table"))
    handle = _acquire(path, target)
    try:
        handle.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                                 "run_id": run_id,
                                 "started": datetime.now().isoformat(timespec="seconds")}))
        handle.flush()
        if load_config.get("type") == "file":  # no live run holds it: clean up after killed ones
            remove_leftovers(Path(str(load_config["path"])))
        yield
    finally:
        with contextlib.suppress(OSError):  # removed while held, so no run locks a stale file
            path.unlink()
        handle.close()  # closing releases the lock


def _acquire(path: Path, target: str) -> IO[str]:
    """Open and lock ``path``; retried when the file was replaced between open and lock."""
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - held by the caller
        except OSError as exc:
            raise LoadError(f"Cannot create the run lock {path} for {target}: {exc}",
                            target=target) from exc
        if not _try_lock(handle):
            handle.close()
            raise LoadError(
                f"Another run is loading into {target}: {_holder(path)}. Wait for it to finish "
                f"(its lock is {path}; it is released when that process ends).", target=target)
        try:
            same = os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
        except FileNotFoundError:
            same = False
        if same:
            handle.seek(0)
            handle.truncate()
            return handle
        handle.close()  # the holder removed it as we opened it: lock the new file
