"""``adapt``: any single-file pipeline document in the sections shape, by its format's adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..yaml_io import LineMap
from .adapter import Adapted, Adapter
from .detection import MANIFEST, SECTIONS, STEPS, dialect_of
from .manifest import ManifestAdapter
from .sections import SectionsAdapter
from .steps import StepsAdapter

ADAPTERS: dict[str, type[Adapter]] = {SECTIONS: SectionsAdapter, STEPS: StepsAdapter,
                                      MANIFEST: ManifestAdapter}


def adapt(data: Mapping[str, Any], lines: LineMap | None, file: str) -> Adapted:
    """``data`` (a single-file pipeline of any format) in the sections shape; see the
    package doc."""
    return ADAPTERS[dialect_of(data) or SECTIONS](data, lines, file).run()
