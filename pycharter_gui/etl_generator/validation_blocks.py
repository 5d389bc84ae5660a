"""The ``validation:`` blocks of extract.yaml (before transforms) and load.yaml (before the load).

Each block checks a batch with the contract machinery (``ContractValidator``) and applies its
``on_error``: ``quarantine`` dead-letters the invalid records (stage ``validate``, reason
``schema_mismatch``), ``skip`` leaves them out as filtered and counts a warning each, ``warn``
keeps them and counts a warning each, ``fail`` stops the run naming the first invalid record.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import PycharterError

if TYPE_CHECKING:
    from .transformers.results import RejectedRecord

logger = logging.getLogger(__name__)

STAGES = ("extract", "load")
QUARANTINE_REASON = "schema_mismatch"
_PREVIEW_CHARS = 200


@dataclass
class BlockOutcome:
    """What one block did to one batch."""

    records: list[dict[str, Any]]
    quarantined: list[RejectedRecord] = field(default_factory=list)
    skipped: int = 0
    warned: int = 0


class ValidationBlock:
    """One ``validation:`` block of the canonical extract or load config."""

    def __init__(self, block: dict[str, Any], stage: str) -> None:
        self.stage = stage
        from .transformers.contract import ContractValidator

        self.on_error: str = block.get("on_error") or "fail"
        self.validator = ContractValidator(block["contract"])

    def check(self, records: list[dict[str, Any]], batch_index: int) -> BlockOutcome:
        """Validate one batch; ``on_error: fail`` raises ``PycharterError`` naming the record."""
        valid, invalid = self.validator.validate(records)
        if not invalid:
            return BlockOutcome(valid)
        if self.on_error == "fail":
            first = invalid[0]
            raise PycharterError(
                f"{self.stage}.yaml validation (on_error: fail) rejected record "
                f"{first.index + 1} of batch {batch_index + 1}: {first.message}; record: "
                f"{_preview(first.record)}. Use on_error: quarantine to dead-letter such "
                f"records, or skip to leave them out ({len(invalid)} invalid in this batch).")
        logger.warning("%s.yaml validation (on_error: %s): %d of %d records in batch %d fail "
                       "the schema, e.g. %s", self.stage, self.on_error, len(invalid),
                       len(records), batch_index + 1, invalid[0].message)
        if self.on_error == "quarantine":
            return BlockOutcome(valid, quarantined=invalid)
        if self.on_error == "skip":
            return BlockOutcome(valid, skipped=len(invalid))
        bad = {r.index: r.record for r in invalid}  # warn: keep them, in their place
        kept = iter(valid)
        return BlockOutcome([bad[i] if i in bad else next(kept) for i in range(len(records))],
                            warned=len(invalid))


def validation_blocks(extract: dict[str, Any], load: dict[str, Any]) -> dict[str, ValidationBlock]:
    """The run's blocks by stage (``extract``, ``load``); a stage without one is absent."""
    out: dict[str, ValidationBlock] = {}
    for stage, cfg in zip(STAGES, (extract, load), strict=True):
        block = (cfg or {}).get("validation")
        if block and block.get("contract"):
            out[stage] = ValidationBlock(block, stage)
    return out


def _preview(record: Any) -> str:
    text = json.dumps(record, default=str, ensure_ascii=False)
    return text if len(text) <= _PREVIEW_CHARS else text[:_PREVIEW_CHARS] + "…"
