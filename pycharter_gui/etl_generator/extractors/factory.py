"""Registry of extractors keyed by source type, with auto-detection from the config keys."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ConfigProblem, NotAvailableError
from .base import BaseExtractor

# Built-ins are imported lazily so a missing optional dependency only affects its own type.
_BUILTINS: dict[str, str] = {
    "file": "pycharter_gui.etl_generator.extractors.file:FileExtractor",
    "database": "pycharter_gui.etl_generator.extractors.database:DatabaseExtractor",
    "http": "pycharter_gui.etl_generator.extractors.http:HTTPExtractor",
    "cloud_storage": "pycharter_gui.etl_generator.extractors.cloud_storage:CloudStorageExtractor",
}
_ALIASES = {"api": "http", "rest": "http", "sql": "database", "cloud": "cloud_storage",
            "s3": "cloud_storage", "gcs": "cloud_storage", "azure": "cloud_storage"}


def detect_source_type(extract_config: dict[str, Any]) -> str | None:
    """Return the source type named or implied by a raw or canonical extract config."""
    for key in ("type", "source_type"):
        value = extract_config.get(key)
        if isinstance(value, str) and value.strip():
            name = value.strip().lower()
            return _ALIASES.get(name, name)
    keys = set(extract_config)
    if "mongodb" in keys:
        return "mongodb"
    if keys & {"url", "base_url", "api_endpoint", "endpoint"}:
        return "http"
    if keys & {"path", "file_path"} and "storage" not in keys:
        return "file"
    if keys & {"query", "database", "connection_string", "table"}:
        return "database"
    if keys & {"storage", "bucket", "container"}:
        return "cloud_storage"
    return None


class ExtractorFactory:
    """Creates extractors by source type; ``register_extractor`` adds custom ones."""

    _registry: dict[str, type[BaseExtractor] | str] = dict(_BUILTINS)

    @classmethod
    def register_extractor(cls, source_type: str, extractor_class: type[BaseExtractor]) -> None:
        """Register ``extractor_class`` (a ``BaseExtractor`` subclass) for ``source_type``."""
        if not (isinstance(extractor_class, type) and issubclass(extractor_class, BaseExtractor)):
            raise TypeError(f"{extractor_class!r} must be a subclass of BaseExtractor")
        cls._registry[source_type.lower()] = extractor_class

    register = register_extractor

    @classmethod
    def registered_types(cls) -> list[str]:
        return sorted(cls._registry)

    @classmethod
    def get_extractor_class(cls, source_type: str) -> type[BaseExtractor]:
        entry = cls._registry.get(source_type.lower())
        if entry is None:
            raise ConfigError([ConfigProblem(
                file="extract.yaml", key="type",
                message=f"unknown source type '{source_type}'",
                hint="use one of: " + ", ".join(cls.registered_types()),
            )])
        if isinstance(entry, str):
            module_name, _, attr = entry.partition(":")
            try:
                module = importlib.import_module(module_name)
                entry = getattr(module, attr)
            except (ImportError, AttributeError) as exc:
                raise NotAvailableError(
                    f"The '{source_type}' source is not available in this installation ({exc})."
                ) from exc
            cls._registry[source_type.lower()] = entry
        return entry

    @classmethod
    def get_extractor(cls, extract_config: dict[str, Any]) -> BaseExtractor:
        """Return an extractor instance for ``extract_config``."""
        source_type = detect_source_type(extract_config)
        if source_type is None:
            raise ConfigError([ConfigProblem(
                file="extract.yaml", key="type",
                message="cannot tell the source type",
                hint="set type: file | http | database | cloud_storage",
            )])
        extractor_cls = cls.get_extractor_class(source_type)
        from_config = getattr(extractor_cls, "from_config", None)
        return from_config(extract_config) if callable(from_config) else extractor_cls()

    create = get_extractor


def get_extractor(extract_config: dict[str, Any]) -> BaseExtractor:
    """Module-level shortcut for ``ExtractorFactory.get_extractor``."""
    return ExtractorFactory.get_extractor(extract_config)


async def extract_with_pagination_streaming(
    extract_config: dict[str, Any],
    params: dict[str, Any] | None = None,
    headers: dict[str, Any] | None = None,
    contract_dir: str | Path | None = None,
    batch_size: int = 1000,
    max_records: int | None = None,
    config_context: dict[str, Any] | None = None,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield batches from whichever extractor ``extract_config`` names or implies.

    ``${VAR}`` in ``params`` and ``headers`` is resolved like the config's own values, from
    ``config_context`` then the environment (an unset variable without a default is a
    ``ConfigError`` naming it); header values stay text.
    """
    from ..config import normalize_extract

    cfg = normalize_extract(extract_config, base_dir=contract_dir, config_context=config_context)
    params = _resolved(params, config_context, "params", retype=True)
    headers = _resolved(headers, config_context, "headers", retype=False)
    extractor = get_extractor(cfg)
    extractor.validate_config(cfg)
    stream = extractor.extract_streaming(
        cfg, params, headers, contract_dir, batch_size, max_records, config_context
    )
    try:
        async for batch in stream:
            yield batch
    finally:
        await stream.aclose()


def _resolved(values: dict[str, Any] | None, context: dict[str, Any] | None, name: str, *,
              retype: bool) -> dict[str, Any] | None:
    """``values`` with ``${VAR}`` substituted; unresolved variables raise ``ConfigError``."""
    if not values:
        return values
    from ..config.substitution import substitute_tree
    from ..errors import ConfigError

    out, _secrets, problems = substitute_tree(
        dict(values), context, file=f"extract_with_pagination_streaming({name}=...)",
        key=name, retype=retype)
    if problems:
        raise ConfigError(problems)
    return out
