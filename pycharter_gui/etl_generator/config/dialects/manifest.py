"""The ``manifest`` format: ``api_version: pycharter.io/v2``, ``kind: Pipeline`` (0.0.67)."""

from __future__ import annotations

from collections.abc import Mapping

from .detection import API_VERSION
from .steps import StepsAdapter

_MANIFEST_KINDS = {"DataContract": "a data contract", "StreamingWorker": "a streaming worker",
                   "Bridge": "a bridge", "ConceptScheme": "a concept scheme"}


class ManifestAdapter(StepsAdapter):
    """A v2 Pipeline: metadata, and a spec that is a steps pipeline."""

    def convert(self) -> None:
        data = self.src
        version, kind = data.get("api_version"), data.get("kind")
        if kind != "Pipeline":
            what = _MANIFEST_KINDS.get(str(kind), f"a `kind: {kind}` document")
            self.problem("kind", f"this is a pycharter v2 `kind: {kind}` file ({what}), not a "
                         "pipeline", "open the pipeline's own file (kind: Pipeline)")
            return
        if version != API_VERSION:
            self.unsupported("api_version", f"api_version {version!r} (this engine reads "
                             f"{API_VERSION})")
            return
        for key in data:
            if key not in ("api_version", "kind", "metadata", "spec"):
                self.unsupported(key, f"a top-level '{key}' in a manifest",
                                 "a v2 manifest has api_version, kind, metadata and spec")
        metadata = data.get("metadata") or {}
        if not isinstance(metadata, Mapping):
            self.problem("metadata", "must be a mapping (name, namespace, version, tags)")
            metadata = {}
        spec = data.get("spec")
        if not isinstance(spec, Mapping):
            self.problem("spec", "a v2 Pipeline needs a spec with steps")
            return
        for key in spec:
            if key not in ("settings", "variables", "steps"):
                self.unsupported(f"spec.{key}", f"spec.{key}",
                                 "a v2 Pipeline spec has settings, variables and steps")
        self.out.doc.update({k: metadata[k] for k in ("name", "version", "description")
                             if k in metadata})
        self.steps_doc({k: v for k, v in spec.items() if k in ("settings", "variables",
                                                                  "steps")}, "spec.")
