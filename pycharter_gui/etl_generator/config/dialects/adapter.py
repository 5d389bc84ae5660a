"""The base of the format adapters: reporting with the real file's lines, and the parts the
formats share (settings, variables, load target spellings, transform items)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...errors import ConfigProblem
from ..yaml_io import LineMap, line_for
from .detection import LABELS, SECTIONS, dialect_of

META = ("name", "version", "description", "title")
_DB_TYPES = ("postgres", "postgresql", "database", "sqlite", "mysql", "mariadb")


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



class Adapter:
    """Maps one single-file document onto the sections shape: the reporting (problems with
    the real file's lines) and the parts every format shares (settings, variables, load
    target, transform items); a subclass per format lays out its own keys in ``convert``."""

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
    def convert(self) -> None:
        """Fill ``self.out`` from ``self.src`` (the format's own layout)."""
        raise NotImplementedError

    def run(self) -> Adapted:
        self.convert()
        kind = self.out.dialect
        missing = [k for k in ("extract", "load") if k not in self.out.doc]
        if missing and not self.out.problems:
            self.problem("", f"this {LABELS[kind]} has no {' and no '.join(missing)}",
                         "a pipeline reads one source (extract) and writes one target (load)")
        return self.out

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
            elif key not in META:
                self.unsupported(sub, f"settings.{key}",
                                 "settings holds dlq, contract, lineage and metadata_store")

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
