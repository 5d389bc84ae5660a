"""Counters of one run and the result dict docs/decisions.md specifies."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

COMPLETED = "completed"
COMPLETED_WITH_DEAD_LETTERS = "completed_with_dead_letters"
FAILED = "failed"


def run_status(success: bool, dead_lettered: int) -> str:
    """A run's ``status``: ``success`` alone hides dead letters, ``status`` does not."""
    if not success:
        return FAILED
    return COMPLETED_WITH_DEAD_LETTERS if dead_lettered else COMPLETED


@dataclass
class RunStats:
    """Every record is accounted for: extracted + added = loaded + dead_lettered + filtered."""

    extracted: int = 0
    extract_batches: int = 0
    transformed: int = 0
    transform_batches: int = 0
    filtered: int = 0
    added: int = 0
    warnings: int = 0
    loaded: int = 0
    inserted: int = 0
    updated: int = 0
    load_batches: int = 0
    dead_lettered: int = 0
    dlq_by_reason: Counter = field(default_factory=Counter)
    failed_batches: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # the result's "warnings" (never silent)

    def to_checkpoint(self) -> dict[str, Any]:
        data = {k: v for k, v in self.__dict__.items() if k not in {"dlq_by_reason", "failed_batches"}}
        data["dlq_by_reason"] = dict(self.dlq_by_reason)
        data["failed_batches"] = list(self.failed_batches)
        data["notes"] = list(self.notes)
        return data

    def count_load(self, load_result: Any) -> None:
        """Count a written batch's inserted and updated rows (its rejects are counted when
        they are dead-lettered)."""
        self.load_batches += 1
        self.inserted += load_result.inserted
        self.updated += load_result.updated
        self.loaded += load_result.inserted + load_result.updated

    def discard_loads(self) -> None:
        """The target kept none of the batches written (a file target whose final assemble
        failed or was undone): report 0 loaded rather than what was only staged."""
        self.loaded = self.inserted = self.updated = self.load_batches = 0

    @classmethod
    def from_checkpoint(cls, data: dict[str, Any]) -> RunStats:
        stats = cls()
        for key, value in data.items():
            if key == "dlq_by_reason":
                stats.dlq_by_reason = Counter(value)
            elif hasattr(stats, key):
                setattr(stats, key, value)
        return stats

    def result(
        self,
        *,
        success: bool,
        error: str | None,
        run_id: str,
        pipeline: str,
        dry_run: bool,
        duration: float,
        dead_letters: Any,
    ) -> dict[str, Any]:
        return {
            "success": success,
            "status": run_status(success, self.dead_lettered),
            "error": error,
            "run_id": run_id,
            "pipeline": pipeline,
            "dry_run": dry_run,
            "duration_seconds": round(duration, 3),
            "extraction": {
                "total_records": self.extracted,
                "batches_processed": self.extract_batches,
            },
            "transformation": {
                "total_records": self.transformed,
                "batches_processed": self.transform_batches,
                "filtered": self.filtered,
                "warnings": self.warnings,
            },
            "loading": {
                "total_records": self.loaded,
                "inserted": self.inserted,
                "updated": self.updated,
                "batches_processed": self.load_batches,
            },
            "dead_lettered": self.dead_lettered,
            "dlq_by_reason": dict(self.dlq_by_reason),
            "failed_batches": list(self.failed_batches),
            "dead_letters": dead_letters,
            "warnings": list(self.notes),
        }
