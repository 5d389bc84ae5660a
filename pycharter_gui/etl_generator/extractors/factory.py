"""Registry of extractors keyed by source type, with auto-detection from the config keys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from ..config.registry import SOURCES, SourceType, detect_source_type
from ..errors import ConfigError, ConfigProblem
from ..registry import import_target
from .base import BaseExtractor, ExtractRequest


class ExtractorFactory:
    """Creates extractors by source type (``config.registry.SOURCES``); ``register_extractor``
    adds custom ones."""

    @classmethod
    def register_extractor(cls, source_type: str, extractor_class: type[BaseExtractor]) -> None:
        """Register ``extractor_class`` (a ``BaseExtractor`` subclass) for ``source_type``."""
        if not (isinstance(extractor_class, type) and issubclass(extractor_class, BaseExtractor)):
            raise TypeError(f"{extractor_class!r} must be a subclass of BaseExtractor")
        entry = SOURCES.get(source_type)
        entry = (replace(entry, extractor=extractor_class) if entry is not None
                 else SourceType(model=None, extractor=extractor_class))
        SOURCES.register(SOURCES.canonical(source_type), entry)

    register = register_extractor

    @classmethod
    def registered_types(cls) -> list[str]:
        return SOURCES.names()

    @classmethod
    def get_extractor_class(cls, source_type: str) -> type[BaseExtractor]:
        entry = SOURCES.get(source_type)
        if entry is None:
            raise ConfigError([ConfigProblem(
                file="extract.yaml", key="type",
                message=f"unknown source type '{source_type}'",
                hint="use one of: " + ", ".join(cls.registered_types()),
            )])
        if isinstance(entry.extractor, str):
            name = SOURCES.canonical(source_type)
            entry = replace(entry, extractor=import_target(entry.extractor, name, SOURCES.what))
            SOURCES.register(name, entry)
        return entry.extractor

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


class _AnySource(BaseExtractor):
    """Yield batches from whichever extractor ``extract_config`` names or implies.

    ``${VAR}`` in ``params`` and ``headers`` is resolved like the config's own values, from
    ``config_context`` then the environment (an unset variable without a default is a
    ``ConfigError`` naming it); header values stay text.
    """

    async def _stream(self, request: ExtractRequest) -> AsyncIterator[list[dict[str, Any]]]:
        """Normalize the config, pick its extractor and pass its batches on."""
        from ..config import normalize_extract

        context = request.config_context
        cfg = normalize_extract(request.extract_config, base_dir=request.contract_dir,
                                config_context=context)
        params = _resolved(request.params, context, "params", retype=True)
        headers = _resolved(request.headers, context, "headers", retype=False)
        extractor = get_extractor(cfg)
        extractor.validate_config(cfg)
        stream = extractor.extract_streaming(cfg, params, headers, request.contract_dir,
                                             request.batch_size, request.max_records, context)
        try:
            async for batch in stream:
                yield batch
        finally:
            await stream.aclose()

    __call__ = BaseExtractor.extract_streaming


#: pycharter's module-level entry point, called like ``BaseExtractor.extract_streaming``
#: (same arguments, positional or by keyword); a fresh extractor is chosen on every call.
extract_with_pagination_streaming = _AnySource()


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
