"""Converting a single-file pipeline to the folder format's files (nothing is written)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...errors import ConfigError, ConfigProblem
from ..yaml_io import dump_yaml_text, read_config_file
from .detection import LABELS, first_file, pipeline_file
from .to_sections import adapt

_SETTINGS_OUT = ("name", "version", "description", "dlq", "contract", "metadata_store", "lineage")


def folder_files(folder: str | os.PathLike[str]) -> dict[str, str]:
    """The single-file pipeline in ``folder`` as the folder format's files: file name ->
    plain YAML (extract.yaml, transform.yaml, load.yaml, and settings.yaml / variables.yaml
    when it has settings or variables), each headed by a comment naming the file it came
    from; nothing is written. Raises ``ConfigError`` (with ``adapt``'s problems) when the
    folder is already in the folder format or its file cannot be run."""
    folder = Path(folder)
    path = pipeline_file(folder)
    if path is None:
        raise ConfigError([ConfigProblem(file=str(folder), key="", message="already in the "
                                         "folder format (extract.yaml, transform.yaml, "
                                         "load.yaml)")])
    data, lines = read_config_file(path)
    adapted = adapt(data, lines, str(path))
    if adapted.problems:
        raise ConfigError(adapted.problems)
    doc = adapted.doc
    parts: dict[str, Any] = {
        "extract.yaml": doc["extract"],
        "transform.yaml": {k: doc[k] for k in ("transform", "jsonata", "custom_function")
                           if doc.get(k) not in (None, [])},
        "load.yaml": doc["load"],
        "settings.yaml": {k: doc[k] for k in _SETTINGS_OUT if k in doc},
    }
    if adapted.variables:  # variables.yaml beside it wins over the pipeline's block
        beside = first_file(folder, "variables.yaml", "variables.yml")
        kept = read_config_file(beside)[0] if beside is not None else None
        parts["variables.yaml"] = {**adapted.variables, **(kept if isinstance(kept, Mapping)
                                                            else {})}
    header = (f"# Converted to the folder format from {path.name}\n"
              f"# ({LABELS[adapted.dialect]}); its comments are not carried over.\n")
    # an empty transform.yaml (or settings.yaml already there) is written too: the folder
    # format would read a stale one
    always = {"transform.yaml"} | ({"settings.yaml"} if (folder / "settings.yaml").is_file()
                                   else set())
    return {name: header + (dump_yaml_text(dict(value)) if value else "")
            for name, value in parts.items() if value or name in always}
