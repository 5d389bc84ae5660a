"""Load sessions: run-level writing so overwrite/truncate happen once and writes are atomic."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from ..errors import NotAvailableError
from ..registry import Registry


@dataclass
class RejectedRow:
    """A record the target refused, with the target's own message."""

    index: int
    record: dict[str, Any]
    message: str
    error_type: str = "LoadError"
    field: str | None = None


@dataclass
class BatchLoadResult:
    """What one batch did to the target."""

    inserted: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


class LoadSession(Protocol):
    """One run's connection to a target (see docs/architecture.md)."""

    async def open(self, resume_batches: int = 0) -> None:
        """Prepare the target; ``resume_batches`` committed batches of a killed run are kept."""

    async def write_batch(self, records: list[dict[str, Any]], batch_index: int) -> BatchLoadResult:
        """Write one batch durably (or, in a dry run, check it without writing)."""

    async def commit(self) -> dict[str, Any]:
        """Finish the run: make the output visible atomically. Returns target details."""

    async def abort(self) -> None:
        """Undo what is not committed and remove temporary files. Idempotent."""

    def describe(self) -> str:
        """Human description of the target, without secrets."""


_SESSIONS: Registry[Any] = Registry("destination")
_SESSIONS.register("file", "pycharter_gui.etl_generator.loaders.file:FileLoadSession")
_SESSIONS.register("database", "pycharter_gui.etl_generator.database.load:DatabaseLoadSession")
_SESSIONS.register("cloud_storage", "pycharter_gui.etl_generator.loaders.cloud:CloudLoadSession")


def open_load_session(load_config: dict[str, Any], *, dry_run: bool, run_key: str,
                      resumable: bool = True) -> LoadSession:
    """Create the session for a canonical load config. Nothing is written until ``open``.

    ``resumable=False`` (no checkpoints) lets a session skip what only resuming needs, such as
    a file target's per-batch part files."""
    kind = load_config.get("type", "database")
    if kind not in _SESSIONS:
        raise NotAvailableError(f"Unknown destination type '{kind}'.")
    cls = _SESSIONS.load(kind)
    if kind == "file":
        return cls(load_config, dry_run=dry_run, run_key=run_key, resumable=resumable)
    return cls(load_config, dry_run=dry_run, run_key=run_key)
