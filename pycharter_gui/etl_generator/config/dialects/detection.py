"""Which pipeline format a folder or a parsed document is in, and which file holds it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import ConfigError
from ..yaml_io import read_config_file

FOLDER, SECTIONS, STEPS, MANIFEST = "folder", "sections", "steps", "manifest"
LABELS = {
    FOLDER: "extract/transform/load files",
    SECTIONS: "pycharter pipeline.yaml (extract/transform/load sections)",
    STEPS: "pycharter steps pipeline (0.0.54-0.0.60)",
    MANIFEST: "pycharter v2 `kind: Pipeline` manifest (0.0.67)",
}
API_VERSION = "pycharter.io/v2"
_TOP_KEY_RE = re.compile(r"^(steps\s*:|api_version\s*:\s*[\"']?pycharter\.io/|"
                         r"kind\s*:\s*[\"']?Pipeline\b)", re.MULTILINE)


def first_file(folder: Path, *names: str) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)



def pipeline_file(folder: Path) -> Path | None:
    """The file holding a whole pipeline: pipeline.yaml when there is no extract.yaml, or an
    extract.yaml that holds a steps list or a v2 manifest; None for the folder format."""
    extract = first_file(folder, "extract.yaml", "extract.yml")
    if extract is None:
        return first_file(folder, "pipeline.yaml", "pipeline.yml")
    try:
        text = extract.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return extract if _TOP_KEY_RE.search(text) else None



def dialect_of(data: Any) -> str | None:
    """The format of a parsed single-file pipeline document (None: not one)."""
    if not isinstance(data, Mapping):
        return None
    if "api_version" in data or "kind" in data:
        return MANIFEST
    if "steps" in data:
        return STEPS
    if "extract" in data or "load" in data:
        return SECTIONS
    return None



def is_pipeline_document(data: Any) -> bool:
    """True for a whole pipeline in one file (a contract file is not one)."""
    kind = dialect_of(data)
    if kind == SECTIONS:
        return "extract" in data and "load" in data
    return kind == STEPS or (kind == MANIFEST and data.get("kind") == "Pipeline")



def detect(folder: str | os.PathLike[str]) -> tuple[str, Path | None]:
    """(dialect, file holding the pipeline) of a pipeline folder, for listings."""
    path = pipeline_file(Path(folder))
    if path is None:
        return FOLDER, None
    try:
        data, _lines = read_config_file(path)
    except ConfigError:
        return SECTIONS if path.stem == "pipeline" else FOLDER, path
    return dialect_of(data) or SECTIONS, path
