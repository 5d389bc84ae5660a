"""``test_connection``: check that a source or target answers, for the designer's button."""

from __future__ import annotations

import time
from typing import Any

from .errors import NotAvailableError
from .extractors.factory import detect_source_type


def test_connection(config: dict[str, Any]) -> dict[str, Any]:
    """Try to reach the source/target described by ``config``; never raises.

    A ``base_dir`` key (the pipeline folder) resolves relative SQLite paths as a run would.

    Returns ``{"ok": bool, "message": str, "details": dict}``; messages never contain secrets.
    """
    started = time.monotonic()
    config = _with_absolute_sqlite_paths(config)
    kind = detect_source_type(config) or config.get("destination_type")
    try:
        if kind == "database" or "database" in config:
            from .database.engine import test_connection as run_test
        elif kind == "http":
            from .extractors.http import test_connection as run_test
        elif kind == "cloud_storage":
            from .extractors.cloud_storage import test_connection as run_test
        else:
            return {"ok": False, "message": f"Nothing to test for source type '{kind}'.", "details": {}}
    except ImportError as exc:
        raise NotAvailableError(f"Connection tests for '{kind}' are not available ({exc})") from exc
    try:
        result = run_test(config)
    except Exception as exc:  # the button shows the full error, never crashes
        result = {"ok": False, "message": f"{type(exc).__name__}: {exc}", "details": {}}
    result.setdefault("details", {})["seconds"] = round(time.monotonic() - started, 3)
    return result


def _with_absolute_sqlite_paths(config: dict[str, Any]) -> dict[str, Any]:
    """Resolve relative SQLite URLs against ``base_dir`` (the pipeline folder), like a run does."""
    from .config.resolve import as_base_dir, resolve_sqlite_url

    config = dict(config)
    base_dir = as_base_dir(config.pop("base_dir", None))
    for key in ("url", "connection_string"):
        if isinstance(config.get(key), str):
            config[key] = resolve_sqlite_url(config[key], base_dir)
    if isinstance(config.get("database"), dict):
        database = dict(config["database"])
        if isinstance(database.get("url"), str):
            database["url"] = resolve_sqlite_url(database["url"], base_dir)
        config["database"] = database
    return config
