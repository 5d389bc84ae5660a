"""Run history per workspace: one JSON Lines file, ``<workspace>/.pycharter/runs.jsonl``.

Each dry or real run appends one entry (when, params, counts, duration, outcome, log), so the
Runs panel can list them and show a run's summary and log later. Plain JSON Lines keeps the
file readable with jq or pandas; a torn last line (crash mid-write) is skipped when reading.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..etl_generator import mask_params, mask_text

logger = logging.getLogger(__name__)
MAX_LOG_LINES = 2000


@dataclass
class RunEntry:
    """One recorded run."""

    run_id: str
    pipeline: str
    folder: str
    started_at: str  # ISO 8601, UTC
    dry_run: bool
    outcome: str  # "success" | "failed" | "cancelled"
    duration_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log: list[str] = field(default_factory=list)
    #: run()'s ``status`` (completed | completed_with_dead_letters | failed); "" when the run
    #: never returned a result (cancelled) or the entry predates the field.
    status: str = ""
    #: the pipeline's newest revision (git commit or snapshot id) when the run was recorded
    revision: str = ""

    @classmethod
    def from_result(cls, result: dict[str, Any], *, folder: Path, started_at: datetime,
                    params: dict[str, Any] | None = None, log: list[str] | None = None) -> RunEntry:
        """An entry from ``ETLOrchestrator.run``'s summary dict."""
        return cls(
            run_id=str(result.get("run_id") or ""), pipeline=str(result.get("pipeline") or folder.name),
            folder=str(folder), started_at=started_at.astimezone(UTC).isoformat(timespec="seconds"),
            dry_run=bool(result.get("dry_run")), outcome="success" if result.get("success") else "failed",
            duration_seconds=float(result.get("duration_seconds") or 0.0), params=mask_params(params),
            counts=summary_counts(result),
            error=None if result.get("error") is None else mask_text(result["error"]),
            log=[mask_text(line) for line in list(log or [])[-MAX_LOG_LINES:]],
            status=str(result.get("status") or ""))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def status_words(status: str, dead_lettered: int) -> str:
    """A run's ``status`` as the panels say it ("completed with 3 dead letters")."""
    if status == "completed_with_dead_letters":
        return f"completed with {dead_lettered:,} dead letter{'s' if dead_lettered != 1 else ''}"
    return status


def summary_counts(result: dict[str, Any]) -> dict[str, Any]:
    """extracted / transformed / loaded (or would load) / dead-lettered counts of a run result."""
    ext = result.get("extraction") or {}
    tra = result.get("transformation") or {}
    loa = result.get("loading") or {}
    return {
        "extracted": int(ext.get("total_records") or 0),
        "batches": int(ext.get("batches_processed") or 0),
        "transformed": int(tra.get("total_records") or 0),
        "filtered": int(tra.get("filtered") or 0),
        "warnings": int(tra.get("warnings") or 0),
        "loaded": int(loa.get("total_records") or 0),
        "inserted": int(loa.get("inserted") or 0),
        "updated": int(loa.get("updated") or 0),
        "dead_lettered": int(result.get("dead_lettered") or 0),
        "dlq_by_reason": dict(result.get("dlq_by_reason") or {}),
    }


class RunHistory:
    """Append and read the runs of one workspace."""

    def __init__(self, workspace: str | os.PathLike[str]) -> None:
        self.workspace = Path(workspace)
        self.path = self.workspace / ".pycharter" / "runs.jsonl"

    def append(self, entry: RunEntry) -> None:
        """Add one run (one line, flushed and fsynced: history must survive a crash)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not entry.revision:
            from .revisions import latest_revision_id

            entry.revision = latest_revision_id(Path(entry.folder), self.workspace)
        line = json.dumps(entry.to_dict(), default=str, ensure_ascii=False)
        # a new file is private (0600): entries hold run parameters and log lines
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        with open(fd, "r+b", buffering=0) as fh:
            size = fh.seek(0, os.SEEK_END)
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line  # after a torn last line (a crash mid-write), a line of its own
            try:
                view = memoryview((line + "\n").encode("utf-8"))
                while view:
                    view = view[fh.write(view):]
                os.fsync(fd)
            except BaseException:
                with contextlib.suppress(OSError):  # a full disk: leave no torn entry behind
                    os.ftruncate(fd, size)
                raise

    def entries(self, pipeline: str | None = None, folder: Path | None = None) -> list[RunEntry]:
        """All runs, newest first (optionally of one pipeline, by name or by folder)."""
        if not self.path.is_file():
            return []
        out: list[RunEntry] = []
        known = set(RunEntry.__dataclass_fields__)
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    entry = RunEntry(**{k: v for k, v in data.items() if k in known})
                except (json.JSONDecodeError, TypeError) as exc:
                    logger.warning("Skipping unreadable line %d of %s: %s", number, self.path, exc)
                    continue
                if (pipeline is None or entry.pipeline == pipeline) and (
                        folder is None or Path(entry.folder) == folder):
                    out.append(entry)
        out.reverse()
        return out
