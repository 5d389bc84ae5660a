"""The extractor contract: an async generator of record batches."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..config.models_common import DEFAULT_BATCH_SIZE


def canonical_extract(cfg: dict[str, Any], contract_dir: Any = None,
                      config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """``cfg`` as the canonical extract dict (unchanged when it already is one), so an
    extractor called directly with a raw pycharter config reads it like the orchestrator."""
    if cfg.get("__canonical__"):
        return cfg
    try:
        from ..config import normalize_extract
    except ImportError:  # pragma: no cover - config package always present in releases
        return cfg
    return normalize_extract(cfg, base_dir=contract_dir, config_context=config_context)


@dataclass(frozen=True)
class ExtractRequest:
    """The arguments of one ``extract_streaming`` call, as a subclass's ``_stream`` gets them.

    The public pycharter signature is written once (``BaseExtractor.extract_streaming``); the
    sources read its arguments from here, with the config's values where an argument is None.
    """

    extract_config: dict[str, Any]
    params: dict[str, Any] | None
    headers: dict[str, Any] | None
    contract_dir: str | Path | None
    batch_size: int | None
    max_records: int | None
    config_context: dict[str, Any] | None

    def canonical_config(self) -> dict[str, Any]:
        """``extract_config`` in canonical form (see ``canonical_extract``)."""
        return canonical_extract(self.extract_config, self.contract_dir, self.config_context)

    def batch_size_for(self, cfg: dict[str, Any]) -> int:
        """Records per batch: the argument, else the config's, else the default."""
        return int(self.batch_size or cfg.get("batch_size") or DEFAULT_BATCH_SIZE)

    def max_records_for(self, cfg: dict[str, Any]) -> Any:
        """The record limit: the argument, else the config's ``max_records`` (None: no limit)."""
        return self.max_records if self.max_records is not None else cfg.get("max_records")


class BaseExtractor:
    """Reads records from one kind of source and yields them in batches.

    Subclasses receive a canonical extract config (see docs/architecture.md) and yield
    ``list[dict]`` batches of at most ``batch_size`` records, stopping after ``max_records``.
    Blocking work runs in ``asyncio.to_thread`` so cancellation is prompt. A subclass
    implements ``_stream(request)``; one written for the older contract may override
    ``extract_streaming`` itself instead.
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

    def validate_config(self, extract_config: dict[str, Any]) -> None:
        """Raise ``ConfigError`` when the config cannot work with this extractor."""

    def extract_streaming(
        self,
        extract_config: dict[str, Any],
        params: dict[str, Any] | None = None,
        headers: dict[str, Any] | None = None,
        contract_dir: str | Path | None = None,
        batch_size: int | None = None,
        max_records: int | None = None,
        config_context: dict[str, Any] | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield batches of records from the source (``batch_size`` None: the config's).

        The pycharter-compatible entry point of every source: it hands its arguments to the
        subclass's ``_stream`` as one ``ExtractRequest``. Nothing is read until iteration.
        """
        return self._stream(ExtractRequest(extract_config, params, headers, contract_dir,
                                           batch_size, max_records, config_context))

    def _stream(self, request: ExtractRequest) -> AsyncIterator[list[dict[str, Any]]]:
        """The source's async generator of batches for ``request``."""
        raise NotImplementedError(f"{type(self).__name__} must implement _stream (or extract_streaming)")

    def source_fingerprint(self, extract_config: dict[str, Any],
                           contract_dir: str | Path | None = None) -> Any:
        """JSON data that changes when the source's content changes, where that is cheap to
        know (files: names, sizes, modification times); None when it cannot be told."""
        return None

    def describe(self, extract_config: dict[str, Any]) -> str:
        """A short human description of the source, for status lines (no secrets)."""
        return str(extract_config.get("type", self.source_type))
