"""Result types of the transform stage: kept records, rejected records, warnings, counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TRANSFORMATION_ERROR = "transformation_error"
VALIDATION_ERROR = "validation_error"


@dataclass
class RejectedRecord:
    """One record that a transform step could not process; it goes to the dead-letter queue.

    ``index`` is the record's position in the batch given to the transform (``None`` when the
    rejected item was produced by a batch-wide step and maps to no single input record).
    """

    index: int | None
    record: Any
    step: str
    reason: str
    message: str
    error_type: str
    field: str | None = None
    traceback: str | None = None


@dataclass
class TransformWarning:
    """A non-fatal problem: the record was kept (e.g. a failed convert kept its value)."""

    index: int | None
    field: str | None
    step: str
    message: str


@dataclass
class TransformResult:
    """Outcome of transforming one batch.

    Invariant: ``len(data) + added == len(records) + len(rejected) + filtered``.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)
    warnings: list[TransformWarning] = field(default_factory=list)
    filtered: int = 0
    added: int = 0


class RecordRejected(Exception):
    """Raised inside a compiled step to reject the current record (caught per record)."""

    def __init__(
        self, step: str, message: str, *, field: str | None = None,
        error_type: str = "TransformError", reason: str = TRANSFORMATION_ERROR,
    ) -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.field = field
        self.error_type = error_type
        self.reason = reason

    def to_rejected(self, index: int | None, record: Any) -> RejectedRecord:
        return RejectedRecord(
            index=index, record=record, step=self.step, reason=self.reason,
            message=self.message, error_type=self.error_type, field=self.field,
        )


def count_reshape(n_in: int, n_out: int, result: TransformResult) -> None:
    """Batch-wide steps: fewer items out = filtered, more = added (keeps the invariant)."""
    if n_out >= n_in:
        result.added += n_out - n_in
    else:
        result.filtered += n_in - n_out
