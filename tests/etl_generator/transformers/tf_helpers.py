"""Builders of canonical transform dicts for the transform tests."""

from __future__ import annotations

from typing import Any


def canon(*ops: tuple[str, Any], **extra: Any) -> dict[str, Any]:
    """A canonical transform dict with ``ops`` given as (name, spec) pairs."""
    cfg: dict[str, Any] = {
        "__canonical__": True,
        "ops": [{"op": name, "spec": spec} for name, spec in ops],
        "strict": False,
        "jsonata": None,
        "custom_function": None,
        "base_dir": None,
    }
    cfg.update(extra)
    return cfg


def assert_invariant(data: list, result: Any) -> None:
    assert len(data) + result.added == (
        len(result.records) + len(result.rejected) + result.filtered
    ), result
