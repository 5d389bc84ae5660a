"""``test_connection``: check that a source or target answers, for the designer's button."""

from __future__ import annotations

import time
from typing import Any

from .errors import NotAvailableError
from .extractors.factory import detect_source_type


def test_connection(config: dict[str, Any]) -> dict[str, Any]:
    """Try to reach the source/target described by ``config``; never raises.

    Returns ``{"ok": bool, "message": str, "details": dict}``; messages never contain secrets.
    """
    started = time.monotonic()
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
