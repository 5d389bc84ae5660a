"""Dead-letter records: one failed record, why it failed, and where (config-format §6.2)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

_Member = TypeVar("_Member", bound=StrEnum)


class DLQReason(StrEnum):
    """Why a record was dead-lettered."""

    EXTRACTION_ERROR = "extraction_error"
    TRANSFORMATION_ERROR = "transformation_error"
    VALIDATION_ERROR = "validation_error"
    LOAD_ERROR = "load_error"
    CONNECTION_ERROR = "connection_error"
    SCHEMA_MISMATCH = "schema_mismatch"
    UNKNOWN = "unknown"


class DLQStatus(StrEnum):
    """Where a dead letter is in its life: new, being retried, fixed, deliberately ignored, or
    superseded: its run failed and its target was rolled back, so a rerun processes the record
    again (replaying it too would load it twice; ``replay_dead_letters`` refuses it unless
    asked)."""

    PENDING = "pending"
    RETRYING = "retrying"
    RESOLVED = "resolved"
    IGNORED = "ignored"
    SUPERSEDED = "superseded"


def utc_now_iso() -> str:
    """Naive UTC ISO timestamp with fixed microsecond precision, so strings sort as times."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def normalize_timestamp(value: datetime | str) -> str:
    """Bring a datetime or ISO string to the stored form (naive UTC, microseconds)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValueError(f"Not an ISO date/time: {value!r}") from exc
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _coerce(kind: type[_Member], value: _Member | str, noun: str) -> _Member:
    """The member of ``kind`` for ``value``; an unknown value raises a ``ValueError`` that
    lists the valid ones (reasons and statuses are checked alike)."""
    if isinstance(value, kind):
        return value
    try:
        return kind(str(value))
    except ValueError:
        valid = ", ".join(member.value for member in kind)
        raise ValueError(f"Unknown dead-letter {noun} {value!r}; expected one of: {valid}") from None


def coerce_reason(value: DLQReason | str) -> DLQReason:
    """Return the enum member for a reason, with a clear error listing valid values."""
    return _coerce(DLQReason, value, "reason")


def coerce_status(value: DLQStatus | str) -> DLQStatus:
    """Return the enum member for a status, with a clear error listing valid values."""
    return _coerce(DLQStatus, value, "status")


def dumps_data(value: Any) -> str:
    """The JSON form of record data used for storage and for text search (same in every backend)."""
    return json.dumps(value, ensure_ascii=False, default=str)


class DeadLetterRecord:
    """One record that could not go through the pipeline, with its error and context.

    ``id`` is a fresh uuid4 hex unless ``record_id`` is given (docs/decisions.md: every dead letter
    has its own id, so the same bad record in two runs gives two entries). ``metadata`` carries
    ``run_id``, ``batch_index``, ``record_index`` and, where known, ``field`` and ``traceback``.
    """

    __slots__ = (
        "error_message",
        "error_type",
        "id",
        "metadata",
        "pipeline_name",
        "reason",
        "record_data",
        "retry_count",
        "stage",
        "status",
        "timestamp",
    )

    def __init__(
        self,
        pipeline_name: str,
        record_data: Any,
        reason: DLQReason | str,
        error_message: str,
        error_type: str,
        stage: str,
        metadata: dict[str, Any] | None = None,
        record_id: str | None = None,
        *,
        timestamp: str | None = None,
        retry_count: int = 0,
        status: DLQStatus | str = DLQStatus.PENDING,
    ) -> None:
        self.id: str = record_id or uuid.uuid4().hex
        self.pipeline_name = pipeline_name
        self.record_data = record_data
        self.reason: DLQReason = coerce_reason(reason)
        self.error_message = "" if error_message is None else str(error_message)
        self.error_type = error_type or ""
        self.stage = stage
        self.metadata: dict[str, Any] = dict(metadata or {})
        self.timestamp: str = timestamp or utc_now_iso()
        self.retry_count = int(retry_count)
        self.status: DLQStatus = coerce_status(status)

    @property
    def run_id(self) -> str | None:
        """The run that produced this dead letter, when known."""
        value = self.metadata.get("run_id")
        return None if value is None else str(value)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict; ``id`` comes first so storage can find it cheaply."""
        return {
            "id": self.id,
            "pipeline_name": self.pipeline_name,
            "reason": self.reason.value,
            "stage": self.stage,
            "status": self.status.value,
            "timestamp": self.timestamp,
            "retry_count": self.retry_count,
            "error_type": self.error_type,
            "error_message": self.error_message,
            "record_data": self.record_data,
            "metadata": self.metadata,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeadLetterRecord:
        """Rebuild a record from ``to_dict`` output; unknown reasons read as ``unknown``."""
        reason = data.get("reason", DLQReason.UNKNOWN)
        if reason not in DLQReason._value2member_map_:
            reason = DLQReason.UNKNOWN
        status = data.get("status", DLQStatus.PENDING)
        if status not in DLQStatus._value2member_map_:
            status = DLQStatus.PENDING
        return cls(
            pipeline_name=data.get("pipeline_name", ""),
            record_data=data.get("record_data"),
            reason=reason,
            error_message=data.get("error_message", ""),
            error_type=data.get("error_type", ""),
            stage=data.get("stage", ""),
            metadata=data.get("metadata") or data.get("additional_metadata") or {},
            record_id=data.get("id"),
            timestamp=data.get("timestamp"),
            retry_count=data.get("retry_count", 0) or 0,
            status=status,
        )

    def copy(self) -> DeadLetterRecord:
        """A detached copy (metadata dict copied), so callers cannot mutate stored state."""
        return DeadLetterRecord.from_dict({**self.to_dict(), "metadata": dict(self.metadata)})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DeadLetterRecord) and self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"DeadLetterRecord(id={self.id!r}, pipeline={self.pipeline_name!r}, "
            f"reason={self.reason.value!r}, stage={self.stage!r}, status={self.status.value!r})"
        )
