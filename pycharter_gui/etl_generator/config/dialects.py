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
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..database.watermark import PLACEHOLDER, WATERMARK_VAR
from ..errors import ConfigError, ConfigProblem
from .substitution import substitute_tree
from .yaml_io import LineMap, dump_yaml_text, line_for, read_config_file

FOLDER, SECTIONS, STEPS, MANIFEST = "folder", "sections", "steps", "manifest"
LABELS = {
    FOLDER: "extract/transform/load files",
    SECTIONS: "pycharter pipeline.yaml (extract/transform/load sections)",
    STEPS: "pycharter steps pipeline (0.0.54-0.0.60)",
    MANIFEST: "pycharter v2 `kind: Pipeline` manifest (0.0.67)",
}
API_VERSION = "pycharter.io/v2"
_MANIFEST_KINDS = {"DataContract": "a data contract", "StreamingWorker": "a streaming worker",
                   "Bridge": "a bridge", "ConceptScheme": "a concept scheme"}
_META = ("name", "version", "description", "title")
_STEPS_KEYS = ("steps", "variables", "settings", "pipeline", "pipeline_name", "pipeline_version",
               "contract_name", "contract_version", *_META)
_SECTION_SETTINGS = ("lineage", "contract_store", "state_store", "plugins")
_STEP_KEYS = {"extract": ("source",), "transform": ("input", "operations", "jsonata",
                                                     "custom_function"),
              "load": ("input", "target")}
_UNSUPPORTED_STEPS = {"join": "a join step", "union": "a union step",
                      "document_parse": "a document_parse step", "chunk": "a chunk step",
                      "embed": "an embed step", "index": "an index step"}
_CONTRACT_KEYS = ("ref", "validate", "coerce", "annotate", "on_error", "quality", "kb_policy")
_DB_TYPES = ("postgres", "postgresql", "database", "sqlite", "mysql", "mariadb")
_TOP_KEY_RE = re.compile(r"^(steps\s*:|api_version\s*:\s*[\"']?pycharter\.io/|"
                         r"kind\s*:\s*[\"']?Pipeline\b)", re.MULTILINE)


def _first(folder: Path, *names: str) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)


def pipeline_file(folder: Path) -> Path | None:
    """The file holding a whole pipeline: pipeline.yaml when there is no extract.yaml, or an
    extract.yaml that holds a steps list or a v2 manifest; None for the folder format."""
    extract = _first(folder, "extract.yaml", "extract.yml")
    if extract is None:
        return _first(folder, "pipeline.yaml", "pipeline.yml")
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


@dataclass
class Adapted:
    """A single-file document in the sections shape, with where each part came from."""

    doc: dict[str, Any]
    lines: LineMap
    dialect: str
    variables: dict[str, Any] = field(default_factory=dict)
    variables_key: str = "variables"
    problems: list[ConfigProblem] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)


class _Adapter:
    def __init__(self, data: Mapping[str, Any], lines: LineMap | None, file: str) -> None:
        self.src = data
        self.lines: LineMap = dict(lines or {})
        self.file = file
        self.out = Adapted({}, self.lines, dialect_of(data) or SECTIONS)

    # -- reporting ------------------------------------------------------------------------
    def problem(self, key: str, message: str, hint: str | None = None, *,
                warning: bool = False) -> None:
        entry = ConfigProblem(file=self.file, key=key, line=line_for(self.lines, key),
                              message=message, hint=hint,
                              severity="warning" if warning else "error")
        (self.out.warnings if warning else self.out.problems).append(entry)

    def unsupported(self, key: str, what: str, hint: str | None = None) -> None:
        self.problem(key, f"this is a {LABELS[self.out.dialect]}; not supported: {what}", hint)

    def alias(self, real: str, canonical: str) -> None:
        """Make ``canonical`` (and the keys below it) point at the lines of ``real``."""
        below = real + "."
        for key, line in list(self.lines.items()):
            if key == real:
                self.lines[canonical] = line
            elif key.startswith(below):
                self.lines[canonical + key[len(real):]] = line

    # -- formats --------------------------------------------------------------------------
    def run(self) -> Adapted:
        kind = self.out.dialect
        if kind == MANIFEST:
            self.manifest()
        elif kind == STEPS:
            self.steps_doc(self.src, "")
        else:
            self.sections()
        missing = [k for k in ("extract", "load") if k not in self.out.doc]
        if missing and not self.out.problems:
            self.problem("", f"this {LABELS[kind]} has no {' and no '.join(missing)}",
                         "a pipeline reads one source (extract) and writes one target (load)")
        return self.out

    def manifest(self) -> None:
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

    def sections(self) -> None:
        doc = self.out.doc
        for key, value in self.src.items():
            if key == "settings":
                self.settings(value, "settings")
            elif key in _SECTION_SETTINGS:
                self.settings({key: value}, "")
            elif key == "variables":
                self.variables(value, "variables")
            elif key == "load":
                doc["load"] = self.target(value, "load") if isinstance(value, Mapping) else value
            else:
                doc[key] = value
        ops = doc.get("transform")
        if isinstance(ops, list):
            self.transform_items([(item, f"transform.{i}") for i, item in enumerate(ops)])

    def steps_doc(self, body: Mapping[str, Any], prefix: str) -> None:
        doc = self.out.doc
        for key, value in body.items():
            path = f"{prefix}{key}"
            if key == "settings":
                self.settings(value, path)
            elif key == "variables":
                self.variables(value, path)
            elif key == "steps":
                self.steps(value, path)
            elif key in ("pipeline_name", "pipeline_version"):
                doc.setdefault(key.removeprefix("pipeline_"), value)
            elif key == "pipeline" and isinstance(value, Mapping):
                doc.update({k: value[k] for k in _META if k in value})
            elif key in _META:
                doc.setdefault(key, value)
            elif key not in _STEPS_KEYS:
                self.unsupported(path, f"a top-level '{key}'",
                                 "a steps pipeline has name, version, description, variables, "
                                 "settings and steps")

    # -- parts ----------------------------------------------------------------------------
    def variables(self, value: Any, path: str) -> None:
        if not isinstance(value, Mapping):
            self.problem(path, "variables must be a mapping NAME: value")
            return
        self.out.variables = dict(value)
        self.out.variables_key = path

    def settings(self, value: Any, path: str) -> None:
        if value is None:
            return
        if not isinstance(value, Mapping):
            self.problem(path, "settings must be a mapping")
            return
        doc = self.out.doc
        for key, item in value.items():
            sub = f"{path}.{key}" if path else str(key)
            if key in ("dlq", "contract", "metadata_store", "lineage"):
                doc[key] = item
                self.alias(sub, str(key))
            elif key == "contract_store":
                self.problem(sub, "a contract store is not read here: contracts come from files",
                             "give each step contract: {ref: {type: file, path: ...}}",
                             warning=True)
            elif key == "state_store":
                self.problem(sub, "ignored: watermarks are kept in .pycharter/state.json beside "
                             "the pipeline", warning=True)
            elif key == "plugins":
                self.unsupported(sub, "plugins (extractor/loader classes named in settings)",
                                 "register them in Python with ExtractorFactory.register")
            elif key not in _META:
                self.unsupported(sub, f"settings.{key}",
                                 "settings holds dlq, contract, lineage and metadata_store")

    def steps(self, value: Any, path: str) -> None:
        if not isinstance(value, list) or not value:
            self.problem(path, "steps must be a list of {id, type, ...} steps")
            return
        by_kind: dict[str, list[tuple[dict[str, Any], str]]] = {}
        for index, step in enumerate(value):
            sub = f"{path}.{index}"
            if not isinstance(step, Mapping):
                self.problem(sub, "each step must be a mapping with id and type")
                continue
            kind, step_id = step.get("type"), step.get("id")
            if not step_id:
                self.problem(sub, "step has no id")
            if kind in _UNSUPPORTED_STEPS:
                self.unsupported(f"{sub}.type", f"{_UNSUPPORTED_STEPS[kind]} ('{step_id}'); "
                                 "this engine runs one extract, then transforms, then one load")
                continue
            if kind not in _STEP_KEYS:
                self.problem(f"{sub}.type", f"step '{step_id}' has type {kind!r}",
                             "use extract, transform or load")
                continue
            allowed = ("id", "type", "contract", "description", *_STEP_KEYS[kind])
            for key in step:
                if key not in allowed:
                    self.unsupported(f"{sub}.{key}", f"'{key}' on a {kind} step ('{step_id}')",
                                     f"a {kind} step has " + ", ".join(allowed))
            by_kind.setdefault(kind, []).append((dict(step), sub))
        for kind in ("extract", "load"):
            found = by_kind.get(kind, [])
            if len(found) != 1:
                what = f"{len(found)} {kind} steps" if found else f"no {kind} step"
                self.unsupported(path, f"{what}; this engine runs exactly one extract and one "
                                 "load")
                return
        chain = self.chain(by_kind, path)
        if chain is None:
            return
        (extract, ex_path), (load, lo_path) = by_kind["extract"][0], by_kind["load"][0]
        transforms = chain[1:-1]
        source = extract.get("source")
        if not isinstance(source, Mapping):
            self.problem(f"{ex_path}.source", "an extract step needs a source mapping")
            return
        self.out.doc["extract"] = dict(source)
        self.alias(f"{ex_path}.source", "extract")
        self.contract(extract, ex_path, "extract")
        target = load.get("target")
        if not isinstance(target, Mapping):
            self.problem(f"{lo_path}.target", "a load step needs a target mapping")
            return
        self.alias(f"{lo_path}.target", "load")
        self.out.doc["load"] = self.target(target, "load")
        load_contract = load.get("contract")
        for position, (step, sub) in enumerate(transforms):
            if step.get("contract") is None:
                continue
            if position == len(transforms) - 1 and load_contract is None:
                load, load_contract = {**load, "contract": step["contract"]}, step["contract"]
                self.alias(f"{sub}.contract", "load.validation")
                lo_path = sub
            else:
                self.unsupported(f"{sub}.contract", f"a contract on transform step "
                                 f"'{step.get('id')}' before the last one",
                                 "attach it to the last transform or the load step")
        self.contract(load, lo_path, "load")
        items: list[tuple[Any, str]] = []
        for step, sub in transforms:
            ops = step.get("operations")
            if isinstance(ops, list):
                items += [(op, f"{sub}.operations.{i}") for i, op in enumerate(ops)]
            elif ops is not None:
                items.append((ops, f"{sub}.operations"))
            for stage in ("jsonata", "custom_function"):
                if step.get(stage) is not None:
                    items.append(({stage: step[stage]}, f"{sub}.{stage}"))
        self.transform_items(items)

    def chain(self, by_kind: Mapping[str, list[tuple[dict[str, Any], str]]],
              path: str) -> list[tuple[dict[str, Any], str]] | None:
        """Extract, the transforms in input order, load; None (reported) when not one chain."""
        extract = by_kind["extract"][0]
        rest = [*by_kind.get("transform", []), *by_kind["load"]]
        chain, current = [extract], extract[0].get("id")
        while chain[-1][0].get("type") != "load":
            readers = [s for s in rest if s[0].get("input") == current]
            if len(readers) != 1:
                what = ("no step reads" if not readers else "several steps read")
                self.unsupported(path, f"steps that do not form one chain ({what} step "
                                 f"'{current}'); this engine runs extract → transforms → load",
                                 "give each transform and the load an input naming the step "
                                 "before it")
                return None
            chain.append(readers[0])
            current = readers[0][0].get("id")
        left = [s for s in rest if s not in chain]
        if left:
            self.unsupported(left[0][1], f"step '{left[0][0].get('id')}' outside the chain "
                             "extract → transforms → load")
            return None
        return chain

    def contract(self, step: Mapping[str, Any], path: str, kind: str) -> None:
        """A step's contract block as the extract/load ``validation`` block."""
        block = step.get("contract")
        if block is None:
            return
        sub = f"{path}.contract"
        if not isinstance(block, Mapping):
            self.problem(sub, "contract must be a mapping {ref, validate, coerce, on_error}")
            return
        for key in block:
            if key not in _CONTRACT_KEYS:
                self.unsupported(f"{sub}.{key}", f"contract.{key}",
                                 "a contract block has ref, validate, coerce and on_error")
        ref = block.get("ref")
        ref = {"type": "file", "path": ref} if isinstance(ref, str) else ref
        if not isinstance(ref, Mapping) or ref.get("type", "file") not in ("file", "store"):
            self.problem(f"{sub}.ref", "contract.ref must be {type: file, path: ...}")
            return
        if ref.get("type") == "store":
            self.unsupported(f"{sub}.ref", f"contracts from a contract store (ref type: store, "
                             f"name {ref.get('name')!r})", "save the contract as a file and "
                             "use ref: {type: file, path: contracts/<name>.yaml}")
            return
        if not ref.get("path"):
            self.problem(f"{sub}.ref.path", "contract.ref needs the path of the contract file")
            return
        for key, meaning in (("annotate", "knowledge-base annotations"),
                             ("quality", "data-quality metrics"), ("kb_policy", "kb_policy")):
            if block.get(key):
                self.problem(f"{sub}.{key}", f"ignored: {meaning} are not produced here",
                             warning=True)
        if block.get("coerce") is False:
            self.problem(f"{sub}.coerce", "ignored: the contract's coercion_rules are always "
                         "applied before validation", warning=True)
        if block.get("validate") is False:
            return
        self.out.doc[kind]["validation"] = {"schema_path": ref["path"],
                                            "on_error": block.get("on_error", "fail")}
        self.alias(f"{sub}.ref.path", f"{kind}.validation.schema_path")
        self.alias(f"{sub}.on_error", f"{kind}.validation.on_error")

    def target(self, target: Mapping[str, Any], path: str) -> dict[str, Any]:
        """Load target spellings of 0.0.54-0.0.67 as load.yaml keys."""
        out = dict(target)
        kind = str(out.get("type") or "").lower()
        is_db = kind in _DB_TYPES or (not kind and "table" in out)
        renames = [("mode", "write_method" if is_db else "write_mode"), ("match_on",
                   "primary_key"), ("db_schema", "schema_name")]
        if is_db:
            renames.append(("write_mode", "write_method"))
        for old, new in renames:
            if old in out:
                value = out.pop(old)
                if new in out and out[new] != value:
                    self.problem(f"{path}.{old}", f"'{old}' and '{new}' disagree",
                                 f"keep only {new}")
                out.setdefault(new, value)
                self.alias(f"{path}.{old}", f"{path}.{new}")
        conflict = out.pop("on_conflict", None)
        if conflict is not None:
            self.on_conflict(conflict, out, f"{path}.on_conflict")
        return out

    def on_conflict(self, value: Any, out: dict[str, Any], path: str) -> None:
        if not isinstance(value, Mapping):
            self.problem(path, "on_conflict must be {columns: [...], action: update}")
            return
        action = str(value.get("action") or "update").lower().replace("do_", "")
        if action in ("nothing", "ignore", "skip"):
            self.unsupported(f"{path}.action", "on_conflict action do_nothing (keep the "
                             "existing row)", "use write_method: upsert to update the row, or "
                             "insert to send duplicates to the dead letters")
            return
        if action not in ("update", "upsert"):
            self.problem(f"{path}.action", f"unknown on_conflict action {action!r}",
                         "use update")
            return
        columns = value.get("columns", value.get("target"))
        if columns is not None:
            if out.get("primary_key") not in (None, columns) and [out["primary_key"]] != columns:
                self.problem(f"{path}.columns", "on_conflict.columns and primary_key disagree")
            out.setdefault("primary_key", columns)
        if out.get("write_method") not in (None, "insert", "upsert"):
            self.problem(path, f"on_conflict updates rows, but write_method is "
                         f"{out['write_method']}")
        out["write_method"] = "upsert"

    def transform_items(self, items: list[tuple[Any, str]]) -> None:
        """Simple-op items stay a list; a JSONata or custom-function item becomes its stage,
        which the engine runs after the simple operations."""
        doc = self.out.doc
        ops: list[Any] = []
        later: str | None = None
        for item, path in items:
            stage = next((s for s in ("jsonata", "custom_function")
                          if isinstance(item, Mapping) and s in item), None)
            if stage is None or (stage == "custom_function" and self.out.dialect == SECTIONS):
                if later is not None:
                    self.unsupported(path, f"simple operations after a {later} step",
                                     "the engine runs simple operations, then JSONata, then "
                                     "the custom function: move them before it (or into the "
                                     "expression)")
                self.alias(path, f"transform.{len(ops)}")
                ops.append(item)
                continue
            if len(item) > 1:
                self.problem(path, f"a {stage} item holds nothing else",
                             "put the other operations in their own items")
            if doc.get(stage) is not None or (stage == "jsonata" and later == "custom_function"):
                self.unsupported(path, f"a second {stage} step, or JSONata after the custom "
                                 "function", "combine them into one")
                continue
            doc[stage] = item[stage]
            self.alias(f"{path}.{stage}" if self.out.dialect == SECTIONS else path, stage)
            later = "JSONata" if stage == "jsonata" else "custom_function"
        doc["transform"] = ops


def adapt(data: Mapping[str, Any], lines: LineMap | None, file: str) -> Adapted:
    """``data`` (a single-file pipeline of any format) in the sections shape; see module doc."""
    return _Adapter(data, lines, file).run()


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
        beside = _first(folder, "variables.yaml", "variables.yml")
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
    path = _first(folder, "variables.yaml", "variables.yml") if folder is not None else None
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


__all__ = ["LABELS", "Adapted", "adapt", "detect", "dialect_of", "folder_files",
           "is_pipeline_document", "pipeline_file", "variable_context"]
