"""Edits made in the Dead letters panel, kept as drafts until they are replayed or discarded.

A pipeline's drafts live in ``<pipeline>/.pycharter/dlq_drafts.json`` (``{dead-letter id:
edited record}``), written atomically with mode 0600 since records may hold personal data, so
an edit survives closing the panel or the app. A replay that loads a record removes its draft;
one that filters or dead-letters it again keeps it under the replayed id, which the record's
replacement names as ``metadata.replay_of`` (so the replacement shows it as edited).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from pathlib import Path
from typing import Any

from pycharter_gui.etl_generator import DeadLetterRecord, atomic_write

log = logging.getLogger("pycharter_gui.designer")

DRAFTS_FILE = "dlq_drafts.json"


def drafts_path(pipeline_dir: Path) -> Path:
    """Where a pipeline's dead-letter drafts are kept."""
    return Path(pipeline_dir) / ".pycharter" / DRAFTS_FILE


class DeadLetterDrafts(MutableMapping[str, Any]):
    """Edited records by dead-letter id; every change is written to ``path`` (None: memory only,
    e.g. a dry run's dead letters, which vanish with the run)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._data: dict[str, Any] = self._read() if path is not None else {}

    def _read(self) -> dict[str, Any]:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("Ignoring unreadable dead-letter drafts %s: %s", self.path, exc)
            return {}
        return data if isinstance(data, dict) else {}

    def _save(self) -> None:
        if self.path is None:
            return
        if not self._data:
            self.path.unlink(missing_ok=True)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, json.dumps(self._data, ensure_ascii=False, indent=1, default=str),
                     file_mode=0o600)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._data[key] = value
        self._save()

    def __delitem__(self, key: str) -> None:
        del self._data[key]
        self._save()

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def remove(self, ids: Iterable[str]) -> int:
        """Drop the drafts of ``ids`` with one write; returns how many there were."""
        gone = [i for i in ids if self._data.pop(i, None) is not None]
        if gone:
            self._save()
        return len(gone)

    def after_replay(self, outcomes: dict[str, dict[str, Any]], replay_of: dict[str, str | None]) -> None:
        """A real replay's outcomes: a loaded record's draft goes; any other outcome keeps it
        under the replayed id, which its replacement names as ``replay_of``."""
        changed = False
        for rid, outcome in outcomes.items():
            key = rid if rid in self._data else replay_of.get(rid)
            if key not in self._data:
                continue
            draft = self._data.pop(key)
            if not outcome["ok"]:
                self._data[rid] = draft
            changed = True
        if changed:
            self._save()


def draft_of(drafts: Mapping[str, Any], rec: DeadLetterRecord) -> Any | None:
    """The draft of ``rec``: its own, else that of the record it replaced on a replay."""
    if rec.id in drafts:
        return drafts[rec.id]
    return drafts.get(rec.metadata.get("replay_of") or "")


__all__ = ["DRAFTS_FILE", "DeadLetterDrafts", "draft_of", "drafts_path"]
