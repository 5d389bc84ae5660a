"""Load sessions: run-level writing so overwrite/truncate happen once and writes are atomic.

``LoadSession`` is what every target offers. Optional capabilities are sub-protocols a session
has by having their members (checked with ``isinstance``): ``ArrowBatchWriter`` takes Arrow
tables (the columnar path) and ``PreparingArrowWriter`` lets the caller do its per-batch CPU work
ahead of the write, ``SuspendableSession`` keeps its committed batches for a resume
instead of aborting, ``BatchTransactionalSession`` commits each batch in its own transaction
(its checkpoint with it), ``ForgettingSession`` drops what it kept for a resume once the run's
checkpoint is gone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

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


@runtime_checkable
class ArrowBatchWriter(LoadSession, Protocol):
    """A session that writes a ``pyarrow.Table`` without building records first."""

    async def write_arrow_batch(self, table: Any, batch_index: int) -> BatchLoadResult:
        """``write_batch`` for the table's rows."""


@runtime_checkable
class PreparingArrowWriter(ArrowBatchWriter, Protocol):
    """An Arrow writer whose per-batch CPU work (Arrow columns to a driver's Python values) can
    run apart from the write: the columnar runner calls ``prepare_arrow_batch`` in its
    transform thread, where it overlaps the previous batch's write, and hands the result to
    ``write_arrow_batch`` in place of the table."""

    def prepare_arrow_batch(self, table: Any) -> Any:
        """What ``write_arrow_batch`` takes for ``table``; pure (no I/O, no session state)."""


@runtime_checkable
class SuspendableSession(LoadSession, Protocol):
    """A session that can stop after a failure or cancel keeping its committed batches (part
    files) for a rerun to resume from; a run with checkpoints suspends it instead of aborting."""

    async def suspend(self) -> None:
        """Stop, keeping committed batches; what is not committed is removed."""


@runtime_checkable
class BatchTransactionalSession(LoadSession, Protocol):
    """A session whose batches each commit in their own transaction: they stay in the target
    after ``abort`` (so a failed run still reports them as loaded); ``progress_hook``'s
    checkpoint state and the dead letters ``reject_hook`` stores for the batch's rejected rows
    (given the connection; it returns how to take them back) commit in the batch's
    transaction."""

    keeps_committed_batches: bool
    progress_hook: Callable[[BatchLoadResult, int], dict[str, Any]] | None
    reject_hook: Callable[[BatchLoadResult, int, Any], Callable[[], None]] | None


@runtime_checkable
class ForgettingSession(LoadSession, Protocol):
    """A session that keeps something for a resume after ``commit`` (e.g. a file append's
    commit marker) until the run's checkpoint is deleted."""

    async def forget(self) -> None:
        """Drop what was kept for a resume; called after the checkpoint is deleted."""


LOAD_SESSIONS: Registry[Any] = Registry("destination")
LOAD_SESSIONS.register("file", "pycharter_gui.etl_generator.loaders.file:FileLoadSession")
LOAD_SESSIONS.register("database", "pycharter_gui.etl_generator.database.load:DatabaseLoadSession")
LOAD_SESSIONS.register("cloud_storage", "pycharter_gui.etl_generator.loaders.cloud:CloudLoadSession")


def open_load_session(load_config: dict[str, Any], *, dry_run: bool, run_key: str,
                      resumable: bool = True) -> LoadSession:
    """Create the session for a canonical load config. Nothing is written until ``open``.

    ``resumable=False`` (no checkpoints) lets a session skip what only resuming needs, such as
    a file target's per-batch part files."""
    kind = load_config.get("type", "database")
    if kind not in LOAD_SESSIONS:
        raise NotAvailableError(f"Unknown destination type '{kind}'.")
    cls = LOAD_SESSIONS.load(kind)
    if kind == "file":
        return cls(load_config, dry_run=dry_run, run_key=run_key, resumable=resumable)
    return cls(load_config, dry_run=dry_run, run_key=run_key)
