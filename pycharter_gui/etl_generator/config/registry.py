"""Registries of named extension points, and the one registry of source types.

Every extension point (source types, load targets, dead-letter stores, cloud providers) is a
``Registry``: names are case-insensitive, aliases resolve to a name, and an entry may be a
``"module:attr"`` path imported on first use. A missing optional dependency then only affects
its own entry, and the config layer names extractor classes without importing them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from ..errors import NotAvailableError

if TYPE_CHECKING:
    from .models_extract import ExtractBase

T = TypeVar("T")


def import_target(target: Any, name: str, what: str) -> Any:
    """``target`` itself, or the object a ``"module:attr"`` string names (imported now)."""
    if not isinstance(target, str):
        return target
    module_name, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise NotAvailableError(
            f"The '{name}' {what} is not available in this installation ({exc})."
        ) from exc


class Registry(Generic[T]):
    """Entries by case-insensitive name, in registration order, with aliases."""

    def __init__(self, what: str) -> None:
        self.what = what
        self._entries: dict[str, T] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, entry: T, *, aliases: Iterable[str] = ()) -> None:
        """Add or replace ``name``; each alias then resolves to it."""
        key = name.strip().lower()
        self._entries[key] = entry
        for alias in aliases:
            self._aliases[alias.strip().lower()] = key

    def unregister(self, name: str) -> None:
        self._entries.pop(self.canonical(name), None)

    def canonical(self, name: str) -> str:
        """``name`` lower-cased, with an alias replaced by the name it stands for."""
        key = name.strip().lower()
        return self._aliases.get(key, key)

    def get(self, name: str) -> T | None:
        return self._entries.get(self.canonical(name))

    def load(self, name: str) -> Any:
        """The entry of ``name``, imported if it is a ``"module:attr"`` path (then cached)."""
        key = self.canonical(name)
        entry = import_target(self._entries[key], key, self.what)
        self._entries[key] = entry
        return entry

    def names(self) -> list[str]:
        return sorted(self._entries)

    def items(self) -> Iterator[tuple[str, T]]:
        return iter(list(self._entries.items()))

    def snapshot(self) -> Mapping[str, T]:
        """A copy of the entries, for ``restore`` (tests that register temporary entries)."""
        return dict(self._entries)

    def restore(self, entries: Mapping[str, T]) -> None:
        self._entries = dict(entries)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) in self._entries


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
