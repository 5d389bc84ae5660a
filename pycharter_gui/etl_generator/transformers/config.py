"""``normalize_transform_config``, the name INTERFACES.md gives the transform normaliser."""

from __future__ import annotations

from ..config.transform import normalize_transform

normalize_transform_config = normalize_transform
"""Every accepted transform.yaml shape -> the canonical dict (alias of
``config.normalize_transform``; raises ``ConfigError`` listing every problem)."""

__all__ = ["normalize_transform_config"]
