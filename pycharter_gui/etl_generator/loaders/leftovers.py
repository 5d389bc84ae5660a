"""What killed runs leave beside a file target, and its removal by a later run.

A kill can leave temp files ``.<name>.*.tmp`` beside the target (an assembled file not yet
renamed, a Parquet stream, an atomic write), unfinished parts ``*.tmp`` in the staging folders
``.<name>.parts/<run_key>/``, and whole staging folders. A staging folder marked ``SCRATCH``
belongs to a run without checkpoints (nothing can resume it); other staging folders hold the
committed parts a checkpointed rerun resumes from and are kept. Only a run that holds the
target's run lock removes anything, so no live run loses its files.
"""

from __future__ import annotations

import contextlib
import logging
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

SCRATCH = "SCRATCH"  # in a staging folder: its run cannot be resumed


def parts_root(target: Path) -> Path:
    """The folder holding the staging folders of ``target``'s runs."""
    return target.parent / f".{target.name}.parts"


def remove_leftovers(target: Path) -> list[Path]:
    """Remove what killed runs left for ``target`` (see the module docstring); the removed
    paths. Call only while holding the target's run lock."""
    removed: list[Path] = []
    prefix = f".{target.name}."
    with contextlib.suppress(OSError):
        for entry in target.parent.iterdir():
            if entry.name.startswith(prefix) and entry.name.endswith(".tmp") and entry.is_file():
                removed.append(entry)
    root = parts_root(target)
    with contextlib.suppress(OSError):
        for staging in root.iterdir():
            if not staging.is_dir():
                continue
            if (staging / SCRATCH).exists():
                removed.append(staging)
                continue
            removed += [p for p in staging.iterdir() if p.name.endswith(".tmp")]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        root.rmdir()  # only when empty
    if removed:
        log.info("Removed %d file(s) left by killed runs beside %s", len(removed), target)
    return removed
