"""``Registry``: the one shape of every named extension point.

Source types (``config.registry.SOURCES``), load targets (``loaders.base``), dead-letter stores
(``dead_letter.backends``) and cloud providers (``cloud.base``) are each a ``Registry``: names
are case-insensitive, aliases resolve to a name, and an entry may be a ``"module:attr"`` path
imported on first use, so a missing optional dependency only affects its own entry and a lower
layer can name a class of a higher one without importing it. Importing this module is light.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar

from .errors import NotAvailableError

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


def lazy_attributes(package: str, modules: Mapping[str, str],
                    namespace: dict[str, Any]) -> Callable[[str], Any]:
    """A PEP 562 ``__getattr__`` for ``package``: ``modules`` maps each name to the (relative)
    module defining it, imported on first use and cached in ``namespace`` (its globals())."""

    def __getattr__(name: str) -> Any:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value
        return value

    return __getattr__


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
