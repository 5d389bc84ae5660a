"""Where the Dead letters panel finds a queue: a pipeline's configured DLQ, or a file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pycharter_gui.etl_generator import DeadLetterQueue
from pycharter_gui.etl_generator.config import load_pipeline_config
from pycharter_gui.etl_generator.dead_letter.configured import configured_queue

FILE_SUFFIXES = {".jsonl": "file", ".ndjson": "file", ".json": "file", ".db": "sqlite",
                 ".sqlite": "sqlite", ".sqlite3": "sqlite"}


def queue_for_pipeline(folder: Path) -> tuple[DeadLetterQueue, list[str] | None]:
    """The DLQ named by the pipeline's load config (the engine's own resolution) and the
    target's key fields (shown as columns)."""
    config = load_pipeline_config(contract_dir=folder)
    queue = configured_queue(config.load, folder, config.name)
    keys = list(config.load.get("primary_key") or []) or None
    return queue, keys


def sqlite_dlq_table(path: Path) -> str | None:
    """The dead-letter table of a SQLite file (None: the default name)."""
    if not path.exists():
        return None
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        found = [t for t in tables
                 if {"record_data", "reason"} <= {c[1] for c in conn.execute(f'PRAGMA table_info("{t}")')}]
    return None if not found or "dead_letter_queue" in found else found[0]


__all__ = ["FILE_SUFFIXES", "queue_for_pipeline", "sqlite_dlq_table"]
