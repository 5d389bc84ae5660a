"""The pipeline formats pycharter published, recognised and mapped onto the sections shape.

| format (``dialect``) | recognised by | pycharter |
|---|---|---|
| ``folder``: extract.yaml, transform.yaml, load.yaml | no single pipeline file | 0.0.20+ |
| ``sections``: pipeline.yaml with ``extract`` / ``transform`` / ``load`` | those keys | 0.0.25+ |
| ``steps``: ``steps: [{id, type, source/target, contract}]`` | a ``steps`` list | 0.0.54-0.0.60 |
| ``manifest``: ``api_version: pycharter.io/v2``, ``kind: Pipeline`` | ``api_version``/``kind`` | 0.0.67 |

A steps list or a manifest may also sit in ``extract.yaml`` (the templates ship a steps
pipeline under an ``extract_*.yaml`` name). ``adapt`` turns any single-file document into the
sections shape the loader reads (``extract``, ``transform`` list, ``jsonata``,
``custom_function``, ``load``, ``dlq``, ``contract``, ``lineage``), with a line map whose keys
of that shape point at the lines of the real file, so problems name ``pipeline.yaml line N``.
What the engine cannot run is reported by name ("not supported: ...") instead of as unknown
keys. ``variable_context`` layers run context → environment → ``variables.yaml`` → the
pipeline's own ``variables`` block; ``${NAME:-default}`` then covers what none of them set.
``folder_files`` writes that mapping out as the folder format's files (convert to folder).

Modules: ``detection`` (which format, which file), ``adapter`` (the base: reporting and the
parts formats share) with one adapter per format (``sections``, ``steps``, ``manifest``),
``to_sections`` (``adapt``), ``variables`` (``variable_context``), ``conversion``
(``folder_files``).
"""

from __future__ import annotations

from .adapter import Adapted
from .conversion import folder_files
from .detection import (
    API_VERSION,
    FOLDER,
    LABELS,
    MANIFEST,
    SECTIONS,
    STEPS,
    detect,
    dialect_of,
    is_pipeline_document,
    pipeline_file,
)
from .to_sections import adapt
from .variables import variable_context

__all__ = ["API_VERSION", "FOLDER", "LABELS", "MANIFEST", "SECTIONS", "STEPS", "Adapted", "adapt",
           "detect", "dialect_of", "folder_files", "is_pipeline_document", "pipeline_file",
           "variable_context"]
