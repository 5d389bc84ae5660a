"""The extractor contract: an async generator of record batches."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any


class BaseExtractor(ABC):
    """Reads records from one kind of source and yields them in batches.

    Subclasses receive a canonical extract config (see docs/architecture.md) and yield
    ``list[dict]`` batches of at most ``batch_size`` records, stopping after ``max_records``.
    Blocking work runs in ``asyncio.to_thread`` so cancellation is prompt.
    """

    source_type: str = ""
    #: Set by the orchestrator: receives records the source could not parse, for the DLQ.
    on_bad_record: Callable[[dict[str, Any], str], Any] | None = None

    def report_bad_record(self, record: dict[str, Any], message: str) -> None:
        """Hand an unparseable record to ``on_bad_record`` (the DLQ), else log it; never drop it silently."""
        if self.on_bad_record is None:
            logging.getLogger(type(self).__module__).warning("Bad record not loaded: %s", message)
        else:
            self.on_bad_record(record, message)

    def validate_config(self, extract_config: dict[str, Any]) -> None:  # noqa: B027
        """Raise ``ConfigError`` when the config cannot work with this extractor."""

    @abstractmethod
    def extract_streaming(
        self,
        extract_config: dict[str, Any],
        params: dict[str, Any] | None,
        headers: dict[str, Any] | None,
        contract_dir: str | Path | None = None,
        batch_size: int | None = None,
        max_records: int | None = None,
        config_context: dict[str, Any] | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of records from the source (``batch_size`` None: the config's)."""

    def source_fingerprint(self, extract_config: dict[str, Any],
                           contract_dir: str | Path | None = None) -> Any:
        """JSON data that changes when the source's content changes, where that is cheap to
        know (files: names, sizes, modification times); None when it cannot be told."""
        return None

    def describe(self, extract_config: dict[str, Any]) -> str:
        """A short human description of the source, for status lines (no secrets)."""
        return str(extract_config.get("type", self.source_type))
