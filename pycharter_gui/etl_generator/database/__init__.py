"""SQL databases through SQLAlchemy: engines and masked URLs, dialect specifics, loads.

``load_data`` is the seed's ``database.load_data``; ``DatabaseLoadSession`` is what the
orchestrator uses (see docs/architecture.md); ``test_connection`` backs the designer's button.
Names are loaded on first use (PEP 562), so a pipeline without a database never imports
SQLAlchemy through this package (e.g. for ``database.watermark``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..registry import lazy_attributes

if TYPE_CHECKING:
    from .connect import (
        classify_db_error,
        create_engine,
        mask_url,
        parse_url,
        test_connection,
        url_from_parts,
    )
    from .load import DatabaseLoadSession
    from .standalone import load_data

_LAZY = {
    "DatabaseLoadSession": ".load",
    "classify_db_error": ".connect",
    "create_engine": ".connect",
    "load_data": ".standalone",
    "mask_url": ".connect",
    "parse_url": ".connect",
    "test_connection": ".connect",
    "url_from_parts": ".connect",
}


__getattr__ = lazy_attributes(__name__, _LAZY, globals())


__all__ = [
    "DatabaseLoadSession",
    "classify_db_error",
    "create_engine",
    "load_data",
    "mask_url",
    "parse_url",
    "test_connection",
    "url_from_parts",
]
