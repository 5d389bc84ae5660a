"""The dead-letter queue a pipeline's ``load.yaml`` names, with the documented defaults.

One place for the run and for the designer's Dead letters panel, so both always open the
same file or table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .queue import DeadLetterQueue

DEFAULT_FILES = {"file": "dead_letters.jsonl", "sqlite": "dead_letters.db"}


def configured_queue(load: dict[str, Any], pipeline_dir: str | Path | None,
                     pipeline_name: str | None, db_session: Any = None) -> DeadLetterQueue:
    """``dead_letter_queue`` of a canonical load config: a file or SQLite file in
    ``<pipeline>/.pycharter/`` unless ``path`` says otherwise; a database table beside a
    database target (on ``db_session``, the run's session, when given) unless ``url`` says
    otherwise (docs/decisions.md)."""
    cfg = load.get("dead_letter_queue") or {}
    backend = cfg.get("backend") or "file"
    if backend == "database" and db_session is not None and cfg.get("url") in (
            None, load.get("url")):  # beside the target, which the session replaces
        return DeadLetterQueue(db_session=db_session, storage_backend=backend,
                               pipeline_name=pipeline_name, table_name=cfg.get("table"),
                               schema_name=cfg.get("schema_name"))
    if backend == "database":
        path: Any = cfg.get("url") or (load.get("url") if load.get("type") == "database" else None)
    else:
        path = cfg.get("path")
        if path is None and backend in DEFAULT_FILES and pipeline_dir is not None:
            path = str(Path(pipeline_dir) / ".pycharter" / DEFAULT_FILES[backend])
    return DeadLetterQueue(storage_backend=backend, storage_path=path, pipeline_name=pipeline_name,
                           table_name=cfg.get("table"), schema_name=cfg.get("schema_name"))


__all__ = ["DEFAULT_FILES", "configured_queue"]
