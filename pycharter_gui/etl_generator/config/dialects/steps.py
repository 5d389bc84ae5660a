"""The ``steps`` format: ``steps: [{id, type, source/target, contract}]`` (0.0.54-0.0.60)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .adapter import META, Adapter

_STEPS_KEYS = ("steps", "variables", "settings", "pipeline", "pipeline_name", "pipeline_version",
               "contract_name", "contract_version", *META)
_STEP_KEYS = {"extract": ("source",), "transform": ("input", "operations", "jsonata",
                                                     "custom_function"),
              "load": ("input", "target")}
_UNSUPPORTED_STEPS = {"join": "a join step", "union": "a union step",
                      "document_parse": "a document_parse step", "chunk": "a chunk step",
                      "embed": "an embed step", "index": "an index step"}
_CONTRACT_KEYS = ("ref", "validate", "coerce", "annotate", "on_error", "quality", "kb_policy")


class StepsAdapter(Adapter):
    """A steps list as one extract, the transforms of its chain, one load."""

    def convert(self) -> None:
        self.steps_doc(self.src, "")

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
                doc.update({k: value[k] for k in META if k in value})
            elif key in META:
                doc.setdefault(key, value)
            elif key not in _STEPS_KEYS:
                self.unsupported(path, f"a top-level '{key}'",
                                 "a steps pipeline has name, version, description, variables, "
                                 "settings and steps")

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
