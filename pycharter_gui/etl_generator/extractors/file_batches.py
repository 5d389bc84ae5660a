"""What the file and cloud storage extractors do to each batch the format readers parse:
dead-letter the ``BadLine`` markers, stop at ``max_records`` and name each record's file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..readers import BadLine
from .base import ExtractRequest


def without_bad_lines(batch: list[Any], file: str, shown: str,
                      report: Callable[[dict[str, Any], str], Any]) -> list[dict[str, Any]]:
    """The records of ``batch``; each ``BadLine`` goes to ``report(record, message)`` (the
    extractor's ``report_bad_record``) with ``file`` in the record and ``shown`` in the message."""
    records = []
    for item in batch:
        if isinstance(item, BadLine):
            report({"file": file, "line_number": item.line_no, "raw_line": item.text},
                   f"{shown} line {item.line_no}: {item.error}")
        else:
            records.append(item)
    return records


@dataclass
class RecordBudget:
    """How many records ``max_records`` still allows (None: no limit), and the
    ``source_file_column`` that names each record's file (None: none)."""

    remaining: int | None
    source_column: str | None

    @classmethod
    def of(cls, request: ExtractRequest, cfg: dict[str, Any]) -> RecordBudget:
        """The budget of one extraction: the request's or the config's limit."""
        limit = request.max_records_for(cfg)
        return cls(None if limit is None else max(0, int(limit)), cfg.get("source_file_column"))

    @property
    def spent(self) -> bool:
        """True once ``max_records`` records were taken: read nothing more."""
        return self.remaining == 0

    def take(self, records: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
        """``records`` cut to what is left of the budget, each stamped with ``source``."""
        if self.remaining is not None:
            records = records[:self.remaining]
            self.remaining -= len(records)
        if self.source_column:
            for rec in records:
                rec[self.source_column] = source
        return records
