"""Where the Dead letters panel finds a queue: a pipeline's configured DLQ."""

from __future__ import annotations

from pathlib import Path

from pycharter_gui.designer.workers.validation import read_load_section
from pycharter_gui.etl_generator import DeadLetterQueue, configured_queue


def queue_for_pipeline(folder: Path) -> tuple[DeadLetterQueue, list[str] | None]:
    """The DLQ named by the pipeline's load config (the engine's own resolution) and the
    target's key fields (shown as columns). The config is read in the validation process (a
    big config is long pure-Python work; the window must not wait on it)."""
    load, name = read_load_section(Path(folder))
    queue = configured_queue(load, folder, name)
    keys = list(load.get("primary_key") or []) or None
    return queue, keys


__all__ = ["queue_for_pipeline"]
