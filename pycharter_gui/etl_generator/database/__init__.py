"""SQL databases through SQLAlchemy: engines and masked URLs, dialect specifics, loads.

``load_data`` is the seed's ``database.load_data``; ``DatabaseLoadSession`` is what the
orchestrator uses (see docs/architecture.md); ``test_connection`` backs the designer's button.
"""

from .engine import (
    classify_db_error,
    create_engine,
    mask_url,
    parse_url,
    test_connection,
    url_from_parts,
)
from .load import DatabaseLoadSession, load_data

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
