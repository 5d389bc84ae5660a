"""The ``${NAME}`` context of a pipeline: run context, environment, variables.yaml and the
pipeline's own ``variables`` block."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ...database.watermark import PLACEHOLDER, WATERMARK_VAR
from ...errors import ConfigError, ConfigProblem
from ..substitution import substitute_tree
from ..yaml_io import LineMap, line_for, read_config_file
from .adapter import Adapted
from .detection import first_file


def variable_context(folder: Path | None, adapted: Adapted | None, file: str | None,
                     config_context: Mapping[str, Any]
                     ) -> tuple[dict[str, Any], set[str], list[ConfigProblem]]:
    """The ``${NAME}`` context: run context → environment → variables.yaml → the pipeline's
    ``variables``; declared values may use ``${ENV:-default}`` / ``${ENV:?message}``.

    Returns (context, secrets, problems); ``${__watermark__}`` is kept for the extractor.
    """
    declared: list[tuple[Mapping[str, Any], str, str, LineMap | None]] = []
    if adapted is not None and adapted.variables:
        declared.append((adapted.variables, file or "pipeline.yaml", adapted.variables_key,
                         adapted.lines))
    problems: list[ConfigProblem] = []
    path = first_file(folder, "variables.yaml", "variables.yml") if folder is not None else None
    if path is not None:
        try:
            data, lines = read_config_file(path)
        except ConfigError as exc:
            data, lines = {}, {}
            problems += exc.problems
        if isinstance(data, Mapping):
            declared.append((data, str(path), "", lines))
        elif data is not None:
            problems.append(ConfigProblem(file=str(path), key="",
                                          message="variables.yaml must be a mapping NAME: value"))
    values: dict[str, Any] = {}
    secrets: set[str] = set()
    for mapping, where, prefix, lines in declared:  # later sources win
        for name, value in mapping.items():
            key = f"{prefix}.{name}" if prefix else str(name)
            if str(name) in os.environ:
                values[str(name)] = os.environ[str(name)]
                continue
            resolved, found, trouble = substitute_tree(value, {}, file=where, key=key)
            for p in trouble:
                problems.append(ConfigProblem(file=p.file, key=p.key, line=line_for(lines, key),
                                              message=p.message, hint=p.hint))
            if not trouble:
                values[str(name)] = resolved
                secrets |= found
    return {WATERMARK_VAR: PLACEHOLDER, **values, **config_context}, secrets, problems
