"""Destinations: file and cloud-storage writers and the run-level load sessions.

``load_to_file``/``load_to_cloud_storage`` are pycharter's one-call functions; the orchestrator
writes through ``open_load_session`` so overwrite happens once per run and writes are atomic.
"""

from __future__ import annotations

from typing import Any

from ..errors import NotAvailableError
from .base import BatchLoadResult, LoadSession, RejectedRow, open_load_session
from .file import FileLoadSession, load_to_file

__all__ = [
    "BatchLoadResult",
    "FileLoadSession",
    "LoadSession",
    "RejectedRow",
    "load_to_cloud_storage",
    "load_to_file",
    "open_load_session",
]


def load_to_cloud_storage(data: list[dict[str, Any]], load_config: dict[str, Any],
                          contract_dir: Any = None,
                          config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Write ``data`` to S3/GCS/Azure as one object; returns ``{written, total, path, format,
    provider}``. Implemented in ``loaders/cloud.py`` (loaded on first use)."""
    try:
        from .cloud import load_to_cloud_storage as impl
    except ImportError as exc:
        raise NotAvailableError(
            f"Cloud storage destinations are not available in this installation ({exc})."
        ) from exc
    return impl(data, load_config, contract_dir=contract_dir, config_context=config_context)
