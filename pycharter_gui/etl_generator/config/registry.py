"""The one registry of source types: detection keys, config model and extractor per type.

The extractor is named by a ``"module:Class"`` path, so the config layer never imports the
extractors; ``ExtractorFactory`` imports it on first use and registers custom sources here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..registry import Registry

if TYPE_CHECKING:
    from .models_extract import ExtractBase


@dataclass(frozen=True)
class SourceType:
    """One source type: the keys that imply it, its config model and its extractor."""

    model: type[ExtractBase] | None
    """``extract.yaml`` model; None for a registered custom source (common keys checked)."""
    extractor: Any
    """The ``BaseExtractor`` subclass, or its ``"module:Class"`` path."""
    detect_keys: frozenset[str] = frozenset()
    """Any of these keys implies the type when ``type`` is not given..."""
    unless_keys: frozenset[str] = frozenset()
    """...unless one of these is present."""
    priority: int = 100
    """Types are guessed from keys in ascending priority."""


SOURCES: Registry[SourceType] = Registry("source")
"""Every source type; the built-ins are registered by ``models_extract``."""


def detect_source_type(extract_config: Mapping[str, Any]) -> str | None:
    """Return the source type named or implied by a raw or canonical extract config."""
    for key in ("type", "source_type"):
        value = extract_config.get(key)
        if isinstance(value, str) and value.strip():
            return SOURCES.canonical(value)
    keys = set(extract_config)
    if "mongodb" in keys:  # named so the error says the type is unknown, not unguessable
        return "mongodb"
    guessable = sorted((entry.priority, name) for name, entry in SOURCES.items()
                       if entry.detect_keys)
    for _priority, name in guessable:
        entry = SOURCES.get(name)
        if entry is not None and keys & entry.detect_keys and not keys & entry.unless_keys:
            return name
    return None
