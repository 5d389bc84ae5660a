"""Extractors: async generators of record batches, chosen by source type."""

from .base import BaseExtractor
from .factory import ExtractorFactory, extract_with_pagination_streaming, get_extractor

__all__ = [
    "BaseExtractor",
    "CloudStorageExtractor",
    "DatabaseExtractor",
    "ExtractorFactory",
    "FileExtractor",
    "HTTPExtractor",
    "extract_with_pagination_streaming",
    "get_extractor",
]


def __getattr__(name: str):  # lazy: optional dependencies only load when used
    if name in {"FileExtractor", "DatabaseExtractor", "HTTPExtractor", "CloudStorageExtractor"}:
        return ExtractorFactory.get_extractor_class(
            {"FileExtractor": "file", "DatabaseExtractor": "database",
             "HTTPExtractor": "http", "CloudStorageExtractor": "cloud_storage"}[name]
        )
    raise AttributeError(name)
