"""Load a pipeline (folder, files, dicts or pipeline.yaml) into one ``PipelineConfig``."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..database.watermark import watermark_problem
from ..errors import ConfigError, ConfigProblem
from ..secrets import remember
from .dialects import adapt, is_pipeline_document, pipeline_file, variable_context
from .extract import build_extract
from .fields import warn_unknown_fields
from .load import build_load
from .models_common import METADATA_KEYS
from .problems import unknown_key_problem
from .resolve import Context
from .substitution import collect_secrets, mask_secrets, substitute_tree
from .transform import build_transform
from .validation import attach_contracts
from .yaml_io import LineMap, line_for, parse_yaml_text, read_config_file

PIPELINE_KEYS = ("extract", "transform", "jsonata", "custom_function", "load", "metadata_store",
                 "dlq", "contract", "lineage", *METADATA_KEYS)
SETTINGS_KEYS = ("dlq", "metadata_store", "contract", "lineage", *METADATA_KEYS)
_KINDS = ("extract", "transform", "load")
PathArg = str | os.PathLike[str]
"""A file or folder path as callers give it."""


@dataclass(repr=False)
class PipelineConfig:
    """A whole pipeline: canonical extract/transform/load dicts plus where they came from."""

    name: str
    base_dir: Path | None
    extract: dict[str, Any]
    transform: dict[str, Any]
    load: dict[str, Any]
    contract: dict[str, Any] | None = None
    files: dict[str, Path | None] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)
    settings: dict[str, Any] = field(default_factory=dict)
    warnings: list[ConfigProblem] = field(default_factory=list)

    def __repr__(self) -> str:  # never shows config values: they may hold secrets
        return (f"PipelineConfig(name={self.name!r}, base_dir={str(self.base_dir)!r}, "
                f"extract={self.extract.get('type')!r}, load={self.load.get('type')!r}, "
                f"ops={len(self.transform.get('ops') or [])})")

    __str__ = __repr__

    def mask(self, text: str) -> str:
        """``text`` with this pipeline's secrets replaced by ``***``."""
        return mask_secrets(text, self.secrets)


@dataclass
class _Source:
    data: Any = None
    path: Path | None = None
    lines: LineMap | None = None
    prefix: str = ""
    given: bool = False


class _Collector:
    """Reads every file, keeping going after problems so all of them can be reported."""

    def __init__(self, config_context: Mapping[str, Any] | None,
                 unsaved: Mapping[Path, str] | None = None) -> None:
        self.context = dict(config_context or {})
        self.problems: list[ConfigProblem] = []
        self.warnings: list[ConfigProblem] = []
        self.secrets: set[str] = set()
        self.unsaved = dict(unsaved or {})  # path -> text not saved yet (read instead of the file)

    def read(self, path: Path) -> tuple[Any, LineMap | None, bool]:
        try:
            text = self.unsaved.get(path)
            data, lines = (read_config_file(path) if text is None
                           else parse_yaml_text(text, file=str(path)))
            return data, lines, True
        except ConfigError as exc:
            self.problems += exc.problems
            return None, None, False


def _find(folder: Path | None, *names: str) -> Path | None:
    if folder is None:
        return None
    for name in names:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None


def _unsaved_path(folder: Path, kind: str) -> Path:
    """The file an unsaved text of ``kind`` stands for (``pipeline``: the single file)."""
    if kind != "pipeline":
        return folder / f"{kind}.yaml"
    if folder.is_file():
        return folder
    return pipeline_file(folder) or folder / "pipeline.yaml"


def _check_keys(data: Mapping[str, Any], allowed: tuple[str, ...], file: str,
                lines: LineMap | None, problems: list[ConfigProblem]) -> None:
    for key in data:
        if key not in allowed:
            problems.append(unknown_key_problem(str(key), None, file, str(key),
                                                line_for(lines, str(key)),
                                                extra_candidates=list(allowed)))


def collect(contract_dir: PathArg | None, given: Mapping[str, tuple[Any, PathArg | None]],
            contract_file: PathArg | None = None, contract_dict: Mapping[str, Any] | None = None,
            config_context: Mapping[str, Any] | None = None, texts: Mapping[str, str] | None = None,
            ) -> tuple[PipelineConfig, list[ConfigProblem], list[ConfigProblem]]:
    """Build the pipeline config; return it with every problem and warning found.

    ``given`` maps extract/transform/load to the caller's (config dict, file path), either
    None (as ``load_pipeline_config`` takes them): a dict beats a file beats the folder's file.
    ``texts`` (kind -> YAML) are unsaved versions of the folder's ``<kind>.yaml`` files, read
    in their place with their own line numbers; relative paths still resolve in the folder.
    ``texts["pipeline"]`` is the unsaved text of the single pipeline file (pipeline.yaml, or a
    steps / v2 pipeline in extract.yaml).
    """
    folder = Path(contract_dir).expanduser().resolve() if contract_dir else None
    unsaved = {_unsaved_path(folder, kind): text for kind, text in (texts or {}).items()
               if folder is not None and text is not None}
    col = _Collector(config_context, unsaved)
    if folder is not None and folder.is_file():
        contract_file, folder = contract_file or folder, None
    pipeline_doc: _Source | None = None
    contract: dict[str, Any] | None = dict(contract_dict) if contract_dict else None
    files: dict[str, Path | None] = {}
    if contract_file is not None:
        cpath = Path(contract_file).expanduser().resolve()
        data, lines, _ok = col.read(cpath)
        if is_pipeline_document(data):
            pipeline_doc = _Source(data, cpath, lines)
            files["pipeline"] = cpath
            folder = folder or cpath.parent
        elif data is not None:
            files["contract"] = cpath
            folder = folder or cpath.parent
            contract = contract or (dict(data) if isinstance(data, Mapping) and "schema" in data
                                    else {"schema": data})
    extract_file = given.get("extract", (None, None))[1]
    if folder is None and extract_file is not None:
        folder = Path(extract_file).expanduser().resolve().parent
    if folder is not None and not folder.is_dir():
        col.problems.append(ConfigProblem(file=str(folder), key="", message="pipeline folder "
                                          "does not exist"))
    if pipeline_doc is None and folder is not None:
        single = pipeline_file(folder)  # pipeline.yaml, or a steps pipeline in extract.yaml
        if single is not None:
            data, lines, _ok = col.read(single)
            if isinstance(data, Mapping):
                pipeline_doc = _Source(data, single, lines)
                files["pipeline"] = single
    adapted = None
    if pipeline_doc is not None:  # any pycharter single-file format -> the sections shape
        adapted = adapt(pipeline_doc.data, pipeline_doc.lines, str(pipeline_doc.path))
        col.problems += adapted.problems
        col.warnings += adapted.warnings
        pipeline_doc = _Source(adapted.doc, pipeline_doc.path, adapted.lines)
    col.context, var_secrets, var_problems = variable_context(
        folder, adapted, str(pipeline_doc.path) if pipeline_doc else None, col.context)
    col.problems += var_problems
    col.secrets |= var_secrets

    sources: dict[str, _Source] = {}
    for kind in _KINDS:
        as_dict, as_file = given.get(kind, (None, None))
        if as_dict is not None:
            sources[kind] = _Source(as_dict, None, None, given=True)
        elif as_file is not None:
            path = Path(as_file).expanduser().resolve()
            data, lines, ok = col.read(path)
            sources[kind] = _Source(data, path, lines, given=ok)
        elif pipeline_doc is not None:
            sources[kind] = _pipeline_section(pipeline_doc, kind)
        else:
            path = _find(folder, f"{kind}.yaml", f"{kind}.yml", f"{kind}.json")
            if folder is not None and folder / f"{kind}.yaml" in col.unsaved:
                path = folder / f"{kind}.yaml"
            if path is None:
                sources[kind] = _Source()
                if kind != "transform" and folder is not None:
                    col.problems.append(ConfigProblem(
                        file=str(folder / f"{kind}.yaml"), key="", message="file not found",
                        hint=f"every pipeline needs {kind}.yaml"))
                elif kind != "transform":
                    col.problems.append(ConfigProblem(
                        file=f"{kind}.yaml", key="", message=f"no {kind} config given"))
            else:
                data, lines, ok = col.read(path)
                sources[kind] = _Source(data, path, lines, given=ok)
        files[kind] = sources[kind].path

    settings = _settings(col, folder, pipeline_doc, files)
    if contract is None and folder is not None:
        contract = _contract_beside(col, folder, files)
    base = folder
    ctxs = {kind: Context(file=str(src.path) if src.path else f"{kind}.yaml", base_dir=base,
                          lines=src.lines, prefix=src.prefix) for kind, src in sources.items()}
    ex = sources["extract"]
    extract = build_extract(ex.data, ctxs["extract"], col.context) if ex.given else {}
    transform = build_transform(sources["transform"].data, ctxs["transform"], col.context)
    lo = sources["load"]
    load = build_load(lo.data, ctxs["load"], col.context, settings_dlq=settings.get("dlq"),
                      extract_dlq=(extract.get("validation") or {}).get("dlq")
                      ) if lo.given else {}
    settings_ctx = Context(file=str(files.get("pipeline") or files.get("settings")
                                    or "settings.yaml"), base_dir=base)
    attach_contracts({"extract": extract, "load": load}, ctxs, settings, settings_ctx, contract)
    ctxs["settings"] = settings_ctx
    if extract:
        _input_warnings(extract, ctxs["extract"])
        warn_unknown_fields(extract, transform, ctxs["transform"])
    for ctx in ctxs.values():
        col.problems += ctx.problems
        col.warnings += ctx.warnings
        col.secrets |= ctx.secrets
    for section in (extract, load):
        col.secrets |= collect_secrets(section)
    remember(col.secrets)  # masked in every output of this process from now on
    name = base.name if base is not None else (
        str(pipeline_doc.data.get("name")) if pipeline_doc and pipeline_doc.data.get("name")
        else "pipeline")
    config = PipelineConfig(name=name, base_dir=base, extract=extract, transform=transform,
                            load=load, contract=contract, files=files, secrets=col.secrets,
                            settings=settings, warnings=col.warnings)
    return config, col.problems, col.warnings


def _pipeline_section(doc: _Source, kind: str) -> _Source:
    data = doc.data
    if kind != "transform":
        return _Source(data.get(kind), doc.path, doc.lines, kind, given=kind in data)
    section: dict[str, Any] = {}
    for key in ("transform", "jsonata", "custom_function"):
        if data.get(key) is not None:
            section[key] = data[key]
    return _Source(section, doc.path, doc.lines, "", given=True)


def _settings(col: _Collector, folder: Path | None, doc: _Source | None,
              files: dict[str, Path | None]) -> dict[str, Any]:
    if doc is not None:
        _check_keys(doc.data, PIPELINE_KEYS, str(doc.path), doc.lines, col.problems)
        raw = {k: doc.data[k] for k in ("dlq", "metadata_store", "contract", "lineage")
               if k in doc.data}
        file = str(doc.path)
    else:
        path = _find(folder, "settings.yaml", "settings.yml")
        files["settings"] = path
        if path is None:
            return {}
        data, lines, _ok = col.read(path)
        if not isinstance(data, Mapping):
            if data not in (None, {}):
                col.problems.append(ConfigProblem(file=str(path), key="",
                                                  message="must be a mapping of keys"))
            return {}
        _check_keys(data, SETTINGS_KEYS, str(path), lines, col.problems)
        raw, file = {k: v for k, v in data.items() if k in SETTINGS_KEYS}, str(path)
    result, secrets, problems = substitute_tree(raw, col.context, file=file)
    col.problems += problems
    col.secrets |= secrets
    return result


def _contract_beside(col: _Collector, folder: Path, files: dict[str, Path | None]
                     ) -> dict[str, Any] | None:
    contract: dict[str, Any] = {}
    for key, names in (("schema", ("schema.yaml", "schema.yml", "schema.json")),
                       ("coercion_rules", ("coercion_rules.yaml", "coercion_rules.json")),
                       ("validation_rules", ("validation_rules.yaml", "validation_rules.json"))):
        path = _find(folder, *names)
        files[key] = path
        if path is not None:
            data, _lines, ok = col.read(path)
            if ok:
                contract[key] = data
    return contract or None


def _input_warnings(extract: dict[str, Any], ctx: Context) -> None:
    """Warn about inputs that do not exist yet (a pipeline may create them later); a
    ``${__watermark__}`` that no incremental block fills in is an error."""
    if (trouble := watermark_problem(extract)) is not None:
        ctx.add("incremental", *trouble)
    path = extract.get("path") if extract.get("type") == "file" else None
    url = extract.get("url") if extract.get("type") == "database" else None
    if url and url.lower().startswith("sqlite") and ":///" in url:
        db_file = url.split(":///", 1)[1].split("?", 1)[0]
        if db_file and db_file != ":memory:" and not os.path.exists(db_file):
            ctx.add("database.url", f"database file {db_file} does not exist yet",
                    severity="warning")
    if path:
        if any(ch in path for ch in "*?["):
            if not glob.glob(path, recursive=True):
                ctx.add("path", f"no file matches {path} yet", severity="warning")
        elif not os.path.exists(path):
            ctx.add("path", f"input file {path} does not exist yet", severity="warning")


def load_pipeline_config(
    contract_dir: str | os.PathLike[str] | None = None,
    extract_config: Mapping[str, Any] | None = None,
    transform_config: Any = None,
    load_config: Mapping[str, Any] | None = None,
    extract_file: str | os.PathLike[str] | None = None,
    transform_file: str | os.PathLike[str] | None = None,
    load_file: str | os.PathLike[str] | None = None,
    contract_file: str | os.PathLike[str] | None = None,
    contract_dict: Mapping[str, Any] | None = None,
    config_context: Mapping[str, Any] | None = None,
    texts: Mapping[str, str] | None = None,
) -> PipelineConfig:
    """Load and normalise a pipeline; dicts beat file paths beat files in ``contract_dir``.

    ``texts``: unsaved file texts read in place of the files, as in ``collect``. Raises
    ``ConfigError`` listing every problem of every file (file, dotted key, line, hint).
    """
    given = {"extract": (extract_config, extract_file),
             "transform": (transform_config, transform_file), "load": (load_config, load_file)}
    config, problems, _warnings = collect(contract_dir, given, contract_file, contract_dict,
                                          config_context, texts)
    if problems:
        raise ConfigError([_masked(p, config.secrets) for p in problems], pipeline=config.name)
    return config


def _masked(problem: ConfigProblem, secrets: set[str]) -> ConfigProblem:
    from dataclasses import replace

    if not secrets:
        return problem
    return replace(problem, message=mask_secrets(problem.message, secrets),
                   hint=mask_secrets(problem.hint, secrets) if problem.hint else None)


def validate_pipeline(
    path: str | os.PathLike[str], config_context: Mapping[str, Any] | None = None,
    texts: Mapping[str, str] | None = None,
) -> list[ConfigProblem]:
    """Every problem (errors, then warnings) of the pipeline folder or pipeline.yaml at ``path``.

    ``texts`` (kind -> YAML) are unsaved versions of the folder's files (``pipeline``: of its
    single pipeline file), checked in their place (the designer's live checks). Never stops
    at the first problem; an empty list means the pipeline is valid.
    """
    _config, problems, warnings = collect(path, {}, config_context=config_context, texts=texts)
    return [_masked(p, _config.secrets) for p in [*problems, *warnings]]
