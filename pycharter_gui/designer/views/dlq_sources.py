"""Where the Dead letters panel finds a queue: a pipeline's configured DLQ."""

from __future__ import annotations

from pathlib import Path

from pycharter_gui.etl_generator import DeadLetterQueue, configured_queue, load_pipeline_config


def queue_for_pipeline(folder: Path) -> tuple[DeadLetterQueue, list[str] | None]:
    """The DLQ named by the pipeline's load config (the engine's own resolution) and the
    target's key fields (shown as columns)."""
    config = load_pipeline_config(contract_dir=folder)
    queue = configured_queue(config.load, folder, config.name)
    keys = list(config.load.get("primary_key") or []) or None
    return queue, keys


__all__ = ["queue_for_pipeline"]
