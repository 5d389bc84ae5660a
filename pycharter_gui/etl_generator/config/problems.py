"""Turn pydantic ``ValidationError`` into located ``ConfigProblem`` lists with hints."""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import AliasChoices, BaseModel, ValidationError

from ..errors import ConfigProblem
from .yaml_io import LineMap, line_for


def model_keys(model: type[BaseModel]) -> dict[str, str]:
    """Every accepted spelling of the model's keys -> the field name it sets."""
    keys: dict[str, str] = {}
    for name, info in model.model_fields.items():
        if not name.endswith("_"):
            keys[name] = name
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            for choice in alias.choices:
                if isinstance(choice, str):
                    keys[choice] = name
        elif isinstance(alias, str):
            keys[alias] = name
    return keys


def submodels(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models inside an annotation (through Optional, unions, lists, dicts)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return submodels(args[0])
    if origin in (typing.Union, types.UnionType, list, dict, tuple):
        found: list[type[BaseModel]] = []
        for arg in (args[-1:] if origin is dict else args):
            found += [m for m in submodels(arg) if m not in found]
        return found
    return []


def _model_at(model: type[BaseModel], parts: list[Any]) -> type[BaseModel] | None:
    """The model that owns the key at ``parts`` (a cleaned loc without its last element)."""
    current: type[BaseModel] | None = model
    for part in parts:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        field = model_keys(current).get(str(part))
        if field is None:
            return None
        candidates = submodels(current.model_fields[field].annotation)
        current = candidates[0] if candidates else None
    return current


def _is_tag(part: Any) -> bool:
    """True for the loc entries pydantic adds for union members (``DlqConfig``, ``bool``)."""
    if not isinstance(part, str):
        return False
    return (part[:1].isupper() or "[" in part
            or part in ("bool", "int", "float", "str", "none", "is-instance", "callable"))


def _clean(loc: tuple[Any, ...], data: Any) -> tuple[list[Any], list[tuple[str, Any]]]:
    """Drop union tags from ``loc``; return (key parts, [(tag, value at the union)])."""
    parts: list[Any] = []
    tags: list[tuple[str, Any]] = []
    current = data
    for part in loc:
        in_dict = isinstance(current, dict) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and part < len(current)
        if in_dict or in_list:
            parts.append(part)
            current = current[part]
        elif _is_tag(part):
            tags.append((str(part), current))
        else:
            parts.append(part)
            current = None
    return parts, tags


def _tag_fits(tag: str, value: Any) -> bool:
    if isinstance(value, dict):
        return tag[:1].isupper() or tag.startswith(("dict[", "function"))
    if isinstance(value, list):
        return tag.startswith("list[")
    return not (tag[:1].isupper() or tag.startswith(("dict[", "list[")))


def _dotted(prefix: str, parts: list[Any]) -> str:
    text = ".".join(str(p) for p in parts)
    if prefix:
        return f"{prefix}.{text}" if text else prefix
    return text


def problems_from_validation(
    exc: ValidationError,
    model: type[BaseModel],
    data: Any,
    *,
    file: str | None,
    lines: LineMap | None = None,
    prefix: str = "",
) -> list[ConfigProblem]:
    """One ``ConfigProblem`` per pydantic error, with dotted key, line and a hint."""
    kept: list[tuple[dict[str, Any], list[Any]]] = []
    fallback: list[tuple[dict[str, Any], list[Any]]] = []
    for err in exc.errors():
        parts, tags = _clean(tuple(err["loc"]), data)
        entry = (err, parts)
        fallback.append(entry)
        if all(_tag_fits(tag, value) for tag, value in tags):
            kept.append(entry)
    problems: list[ConfigProblem] = []
    seen: set[tuple[str, str]] = set()
    for err, parts in kept or fallback:
        problem = _problem(err, parts, model, data, file, lines, prefix)
        if (problem.key, problem.message) not in seen:
            seen.add((problem.key, problem.message))
            problems.append(problem)
    return problems


def _problem(err: dict[str, Any], parts: list[Any], model: type[BaseModel], data: Any,
             file: str | None, lines: LineMap | None, prefix: str) -> ConfigProblem:
    key = _dotted(prefix, parts)
    line = line_for(lines, key)
    kind = err["type"]
    if kind == "extra_forbidden" and parts:
        owner = _model_at(model, parts[:-1])
        return unknown_key_problem(str(parts[-1]), owner, file, key, line, _parent(data, parts))
    if kind == "missing" and parts:
        owner = _model_at(model, parts[:-1])
        hint = None
        if owner is not None and str(parts[-1]) in owner.model_fields:
            hint = owner.model_fields[str(parts[-1])].description
        return ConfigProblem(file=file, key=key, line=line, message="required key is missing",
                             hint=hint)
    message = str(err.get("msg", "invalid value"))
    for head in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(head)
    if kind == "literal_error":
        expected = (err.get("ctx") or {}).get("expected", "")
        message = f"must be one of {expected}"
    return ConfigProblem(file=file, key=key, line=line, message=message)


def _parent(data: Any, parts: list[Any]) -> dict[str, Any]:
    current = data
    for part in parts[:-1]:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return {}
    return current if isinstance(current, dict) else {}


# Keys of pycharter's configs that this engine sets elsewhere: where a user writes one of them
# where it does not belong, say where it lives instead of guessing a look-alike key.
MOVED_KEYS: dict[str, str] = {
    "format": "'format' is the file format of file and cloud_storage configs; an HTTP "
              "response's format is response_format",
    "checkpoint": "checkpoints are a run option here: ETLOrchestrator(checkpoint_dir=...) or "
                  "pycharter-etl run --checkpoint-dir",
    "checkpoint_dir": "checkpoints are a run option here: ETLOrchestrator(checkpoint_dir=...) "
                      "or pycharter-etl run --checkpoint-dir",
    "max_memory_mb": "a run option here: ETLOrchestrator(max_memory_mb=...)",
    "processing_mode": "this engine always streams batch by batch; batch_size sets the batch",
    "error_threshold": "a run option here: ETLOrchestrator.run(error_threshold=...) or "
                       "pycharter-etl run --error-threshold",
    "max_retries": "a run option here: ETLOrchestrator.run(max_retries=...)",
    "metadata_store": "metadata_store belongs in settings.yaml (or pipeline.yaml)",
    "custom_function": "custom_function belongs at the top level of transform.yaml",
    "jsonata": "jsonata belongs at the top level of transform.yaml",
}
HINT_CUTOFF = 0.75


def _close_key(name: str, candidates: list[str]) -> str | None:
    """A candidate that looks like a misspelling of ``name``: similar, and not a shorter or
    longer word inside it (``format`` is not ``form``, ``api_version`` is not ``version``;
    ``renam`` is ``rename``)."""
    low = name.lower()
    for match in difflib.get_close_matches(low, candidates, n=3, cutoff=HINT_CUTOFF):
        if (match not in low and low not in match) or abs(len(match) - len(low)) < 2:
            return match
    return None


def unknown_key_problem(
    name: str,
    owner: type[BaseModel] | None,
    file: str | None,
    key: str,
    line: int | None,
    given: dict[str, Any] | None = None,
    extra_candidates: list[str] | None = None,
) -> ConfigProblem:
    """An 'unknown key' problem with a did-you-mean hint from the owner's accepted keys."""
    spellings = model_keys(owner) if owner is not None else {}
    candidates = sorted(set(spellings) | set(extra_candidates or []))
    if name in spellings and given:
        others = [k for k in given if k != name and spellings.get(k) == spellings[name]]
        if others:
            return ConfigProblem(
                file=file, key=key, line=line,
                message=f"'{name}' and '{others[0]}' are two spellings of the same setting",
                hint="keep only one of them")
    if name in MOVED_KEYS:
        return ConfigProblem(file=file, key=key, line=line,
                             message=f"'{name}' is not a key here", hint=MOVED_KEYS[name])
    close = _close_key(name, candidates)
    if close:
        return ConfigProblem(file=file, key=key, line=line,
                             message=f"unknown key '{name}' — did you mean '{close}'?",
                             hint=f"rename it to '{close}'")
    listed = ", ".join(candidates[:25])
    return ConfigProblem(file=file, key=key, line=line, message=f"unknown key '{name}'",
                         hint=f"accepted keys here: {listed}" if listed else None)
