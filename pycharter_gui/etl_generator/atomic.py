"""Atomic file writes: the one place that replaces a file so that no reader sees half of it.

A write goes to a temporary file in the target's folder, is flushed and fsynced, takes the
target's permission bits (a new file gets the umask's default, or the ``mode`` asked for),
and is renamed over the target; the folder is fsynced so the rename survives a power cut.
A failure at any point removes the temporary file and leaves the target as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["atomic_open", "atomic_write", "fsync_dir"]


def _read_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux /proc)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0)  # elsewhere: read it at import, before worker threads exist
    os.umask(mask)
    return mask


_IMPORT_UMASK = _read_umask()


def _umask_default() -> int:
    """The mode ``open()`` would give a new file (0o666 minus the process umask)."""
    mask = _read_umask() if Path("/proc/self/status").exists() else _IMPORT_UMASK
    return 0o666 & ~mask


def fsync_dir(path: str | Path) -> None:
    """fsync a folder so that a rename inside it is durable (a no-op where not supported)."""
    try:
        fd = os.open(str(path), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", *, file_mode: int | None = None,
                fsync: bool = True, encoding: str | None = "utf-8", newline: str | None = None,
                ) -> Iterator[IO[Any]]:
    """Open a temporary file that replaces ``path`` when the block ends without an error.

    ``file_mode`` sets the permission bits of a new file (e.g. ``0o600`` for files that may
    hold secrets); an existing file keeps its own mode and, where allowed, its owner.
    ``fsync=False`` skips the data fsync (for scratch files a crash may lose).
    """
    target = Path(path)
    binary = "b" in mode
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, mode, **({} if binary else {"encoding": encoding, "newline": newline})) as fh:
            yield fh
            fh.flush()
            if fsync:
                os.fsync(fh.fileno())
        _copy_mode(target, tmp, file_mode)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    if fsync:
        fsync_dir(target.parent)


def atomic_write(path: str | Path, data: str | bytes, *, file_mode: int | None = None,
                 fsync: bool = True, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``data`` atomically (see :func:`atomic_open`)."""
    mode = "wb" if isinstance(data, bytes) else "w"
    with atomic_open(path, mode, file_mode=file_mode, fsync=fsync, encoding=encoding,
                     newline="") as fh:
        fh.write(data)


def _copy_mode(target: Path, tmp: Path, file_mode: int | None) -> None:
    """Give ``tmp`` the target's mode and owner, else ``file_mode``, else the umask default."""
    try:
        st = target.stat()
    except FileNotFoundError:
        os.chmod(tmp, _umask_default() if file_mode is None else file_mode)
        return
    os.chmod(tmp, stat.S_IMODE(st.st_mode))
    with contextlib.suppress(OSError, AttributeError):
        os.chown(tmp, st.st_uid, st.st_gid)
