"""Filters and statistics shared by every DLQ backend, so they all answer the same way."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .records import (
    DeadLetterRecord,
    coerce_reason,
    coerce_status,
    dumps_data,
    normalize_timestamp,
)

#: Columns every record has; backends that can sort by any column use these names.
RECORD_COLUMNS: tuple[str, ...] = (
    "timestamp",
    "id",
    "pipeline_name",
    "run_id",
    "reason",
    "stage",
    "status",
    "error_type",
    "error_message",
    "retry_count",
)

_TS_LEN = len("2024-01-01T00:00:00.000000")


@dataclass
class DLQFilter:
    """Which dead letters a query is about; ``None`` means "any". Fields combine with AND.

    ``reason``, ``stage`` and ``status`` take one value or a list (OR within the field).
    ``time_from`` is inclusive and ``time_to`` exclusive (naive values are UTC). ``text`` is a
    case-insensitive substring searched in ``error_message`` and the JSON of ``record_data``.
    No status is hidden by default; the designer hides ``resolved`` itself.
    """

    pipeline: str | None = None
    run_id: str | None = None
    reason: str | Sequence[str] | None = None
    stage: str | Sequence[str] | None = None
    status: str | Sequence[str] | None = None
    time_from: datetime | str | None = None
    time_to: datetime | str | None = None
    text: str | None = None

    @classmethod
    def coerce(cls, filters: DLQFilter | Mapping[str, Any] | None) -> DLQFilter:
        """Accept a DLQFilter, a dict of its fields, or None."""
        if filters is None:
            return cls()
        if isinstance(filters, DLQFilter):
            return filters
        if isinstance(filters, Mapping):
            names = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(filters) - names)
            if unknown:
                raise ValueError(
                    f"Unknown dead-letter filter key(s) {', '.join(unknown)}; "
                    f"expected: {', '.join(sorted(names))}"
                )
            return cls(**dict(filters))
        raise TypeError(f"filters must be a DLQFilter, a dict or None, not {type(filters).__name__}")

    def normalized(self) -> NormalizedFilter:
        """Validated, hashable form used by backends (and as a cache key)."""

        def many(value: Any, coerce: Any) -> tuple[str, ...] | None:
            if value is None:
                return None
            values = [value] if isinstance(value, str) else list(value)
            return tuple(sorted({coerce(v) for v in values}))

        text = (self.text or "").strip()
        return NormalizedFilter(
            pipeline=self.pipeline or None,
            run_id=None if self.run_id is None else str(self.run_id),
            reasons=many(self.reason, lambda v: coerce_reason(v).value),
            stages=many(self.stage, str),
            statuses=many(self.status, lambda v: coerce_status(v).value),
            time_from=None if self.time_from is None else normalize_timestamp(self.time_from),
            time_to=None if self.time_to is None else normalize_timestamp(self.time_to),
            text=text.casefold() or None,
        )


@dataclass(frozen=True)
class NormalizedFilter:
    """A DLQFilter with validated values; ``matches`` works on ``to_dict``-shaped dicts."""

    pipeline: str | None = None
    run_id: str | None = None
    reasons: tuple[str, ...] | None = None
    stages: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    time_from: str | None = None
    time_to: str | None = None
    text: str | None = None

    @property
    def is_empty(self) -> bool:
        return self == NormalizedFilter()

    def raw_prefilter(self) -> Callable[[bytes], bool] | None:
        """A cheap test on a stored JSON line that every matching line passes.

        Used by the JSON Lines backend to skip parsing lines that cannot match. Only values
        that any JSON writer stores verbatim (plain ASCII) take part, so it is never wrong.
        """
        tokens: list[tuple[bytes, ...]] = []
        for value in (self.pipeline, self.run_id):
            if value is not None and _is_plain(value):
                tokens.append((json.dumps(value).encode(),))
        for values in (self.reasons, self.stages, self.statuses):
            if values and all(_is_plain(v) for v in values):
                tokens.append(tuple(json.dumps(v).encode() for v in values))
        needle = self.text if self.text is not None and _is_plain(self.text) else None
        if not tokens and needle is None:
            return None

        def check(line: bytes) -> bool:
            if not all(any(t in line for t in alternatives) for alternatives in tokens):
                return False
            return needle is None or needle in line.decode("utf-8", "replace").casefold()

        return check

    def matches(self, d: Mapping[str, Any]) -> bool:
        """True when the record dict passes every condition."""
        if self.pipeline is not None and d.get("pipeline_name") != self.pipeline:
            return False
        if self.run_id is not None:
            run_id = (d.get("metadata") or {}).get("run_id")
            if run_id is None or str(run_id) != self.run_id:
                return False
        if self.reasons is not None and d.get("reason") not in self.reasons:
            return False
        if self.stages is not None and d.get("stage") not in self.stages:
            return False
        if self.statuses is not None and d.get("status") not in self.statuses:
            return False
        if self.time_from is not None or self.time_to is not None:
            ts = _stored_ts(d.get("timestamp"))
            if ts is None:
                return False
            if self.time_from is not None and ts < self.time_from:
                return False
            if self.time_to is not None and ts >= self.time_to:
                return False
        if self.text is not None:
            return text_matches(self.text, d.get("error_message"), d.get("record_data"))
        return True


_PLAIN_CHARS = frozenset(
    chr(c) for c in range(0x20, 0x7F) if chr(c) not in '"\\/<>&\''
)


def _is_plain(value: str) -> bool:
    """True for text that JSON writers never escape (printable ASCII without quote-likes)."""
    return bool(value) and all(ch in _PLAIN_CHARS for ch in value)


def text_matches(needle: str, error_message: Any, record_data: Any) -> bool:
    """Case-insensitive search of ``needle`` (already casefolded) in message and record JSON."""
    if needle in str(error_message or "").casefold():
        return True
    data = record_data if isinstance(record_data, str) else dumps_data(record_data)
    return needle in data.casefold()


def _stored_ts(value: Any) -> str | None:
    if not value:
        return None
    text = str(value)
    if len(text) == _TS_LEN:
        return text
    try:
        return normalize_timestamp(text)
    except ValueError:
        return None


def empty_statistics() -> dict[str, Any]:
    return {"total": 0, "by_reason": {}, "by_stage": {}, "by_status": {}}


class StatisticsBuilder:
    """Accumulates ``{total, by_reason, by_stage, by_status}`` over record dicts."""

    def __init__(self) -> None:
        self.total = 0
        self.by_reason: Counter[str] = Counter()
        self.by_stage: Counter[str] = Counter()
        self.by_status: Counter[str] = Counter()

    def add(self, d: Mapping[str, Any]) -> None:
        self.total += 1
        self.by_reason[str(d.get("reason"))] += 1
        self.by_stage[str(d.get("stage"))] += 1
        self.by_status[str(d.get("status"))] += 1

    def add_counts(self, rows: Iterable[tuple[Any, Any, Any, int]]) -> StatisticsBuilder:
        """Add ``(reason, stage, status, count)`` rows, as a SQL ``GROUP BY`` returns them."""
        for reason, stage, status, n in rows:
            self.total += n
            self.by_reason[str(reason)] += n
            self.by_stage[str(stage)] += n
            self.by_status[str(status)] += n
        return self

    def result(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_reason": dict(self.by_reason),
            "by_stage": dict(self.by_stage),
            "by_status": dict(self.by_status),
        }


def statistics_of(records: Iterable[DeadLetterRecord]) -> dict[str, Any]:
    """Statistics of already-filtered records."""
    builder = StatisticsBuilder()
    for rec in records:
        builder.add({"reason": rec.reason.value, "stage": rec.stage, "status": rec.status.value})
    return builder.result()


def check_order_by(order_by: str, allowed: Sequence[str], backend: str) -> None:
    """Raise a clear error when a backend cannot sort by ``order_by``."""
    if order_by not in allowed:
        raise ValueError(
            f"The {backend} dead-letter backend cannot sort by {order_by!r}; "
            f"it can sort by: {', '.join(allowed)}"
        )


def check_paging(offset: int, limit: int) -> None:
    if offset < 0 or limit < 0:
        raise ValueError(f"offset and limit must be >= 0 (got offset={offset}, limit={limit})")
