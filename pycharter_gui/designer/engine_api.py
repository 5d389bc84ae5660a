"""Thin, lazy adapter over the engine's public API.

The engine is built in parallel; every call here imports lazily and degrades gracefully when a
name does not exist yet, so the designer still opens, lists and edits pipelines.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

try:
    from pycharter_gui.etl_generator.errors import ConfigProblem
except ImportError:  # the engine package is mid-rewrite: same fields, local stand-in

    @dataclass(frozen=True)
    class ConfigProblem:  # type: ignore[no-redef]
        """One problem in one config file (mirror of the engine's ``ConfigProblem``)."""

        file: str | None
        key: str
        message: str
        line: int | None = None
        hint: str | None = None
        severity: str = "error"

KINDS = ("extract", "transform", "load")
REQUIRED_FILES = ("extract.yaml", "transform.yaml", "load.yaml")
EXCLUDED_DIRS = {"old", "templates", "__pycache__", ".git"}


def _engine_attr(name: str, *modules: str) -> Any | None:
    """Return ``name`` from the first engine module that has it, else None."""
    for mod_name in modules or ("pycharter_gui.etl_generator",):
        try:
            mod = importlib.import_module(mod_name)
        except Exception:  # engine module not written yet or broken: degrade
            continue
        value = getattr(mod, name, None)
        if value is not None:
            return value
    return None


@dataclass
class PipelineInfo:
    """One pipeline folder in a workspace; ``missing`` lists required files it lacks."""

    name: str
    path: Path
    missing: list[str] = field(default_factory=list)

    @property
    def is_incomplete(self) -> bool:
        return bool(self.missing)


def _scan_dirs(root: Path) -> list[Path]:
    found: list[Path] = []
    if not root.is_dir():
        return found

    def ok(p: Path) -> bool:
        return p.is_dir() and not p.name.startswith(".") and p.name not in EXCLUDED_DIRS

    for child in sorted(root.iterdir()):
        if ok(child):
            found.append(child)
            found.extend(g for g in sorted(child.iterdir()) if ok(g))
    return found


def discover_pipelines(root: Path) -> list[PipelineInfo]:
    """Pipelines under ``root`` via ``PipelineFactory``, plus incomplete folders (listed, not hidden)."""
    root = Path(root)
    infos: dict[str, PipelineInfo] = {}
    factory_cls = _engine_attr(
        "PipelineFactory", "pycharter_gui.etl_generator", "pycharter_gui.etl_generator.pipeline_factory"
    )
    if factory_cls is not None:
        try:
            factory = factory_cls(str(root))
            for name in factory.get_pipeline_names():
                infos[name] = PipelineInfo(name, Path(factory.get_contract_dir(name)).resolve())
        except Exception:
            infos = {}
    for folder in _scan_dirs(root):
        has_any = any((folder / f).is_file() for f in ("extract.yaml", "load.yaml"))
        if not has_any:
            continue
        missing = [f for f in REQUIRED_FILES if not (folder / f).is_file()]
        if folder.name in infos:
            continue
        if missing or factory_cls is None:
            infos[folder.name] = PipelineInfo(folder.name, folder.resolve(), missing)
    return [infos[n] for n in sorted(infos)]


def validate_pipeline(path: Path) -> list[ConfigProblem]:
    """Engine validation of the pipeline folder; a YAML-only fallback while it is missing."""
    func = _engine_attr(
        "validate_pipeline", "pycharter_gui.etl_generator", "pycharter_gui.etl_generator.config"
    )
    if func is not None:
        result = func(str(path))
        return list(result or [])
    return _fallback_validate(Path(path))


_WRITE_METHODS = {"insert", "append", "upsert", "truncate_and_load", "replace", "update", "delete"}


def _fallback_validate(path: Path) -> list[ConfigProblem]:
    """Parse the three files and check a few keys; only used until the engine validates."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    problems: list[ConfigProblem] = []
    yaml = YAML(typ="safe", pure=True)
    for kind in KINDS:
        f = path / f"{kind}.yaml"
        if not f.is_file():
            continue
        try:
            data = yaml.load(f.read_text(encoding="utf-8")) or {}
        except MarkedYAMLError as exc:
            line = exc.problem_mark.line + 1 if exc.problem_mark else None
            problems.append(ConfigProblem(f.name, "", f"YAML syntax error: {exc.problem}", line))
            continue
        if not isinstance(data, dict):
            problems.append(ConfigProblem(f.name, "", "the file must hold a mapping of keys"))
            continue
        if kind == "load":
            method = data.get("write_method")
            if method is not None and method not in _WRITE_METHODS:
                problems.append(ConfigProblem(
                    f.name, "write_method", f"unknown write method {method!r}",
                    hint="use one of " + ", ".join(sorted(_WRITE_METHODS))))
            if method in {"upsert", "update", "delete"} and not data.get("primary_key"):
                problems.append(ConfigProblem(f.name, "primary_key",
                                              f"write_method {method} needs a primary_key"))
        bs = data.get("batch_size")
        if bs is not None and (not isinstance(bs, int) or isinstance(bs, bool) or bs < 1):
            problems.append(ConfigProblem(f.name, "batch_size", "must be a whole number of at least 1"))
    return problems


def field_descriptions(kind: str) -> dict[str, str]:
    """Tooltips for ``kind`` from the engine's config models; empty while unavailable."""
    func = _engine_attr("field_descriptions", "pycharter_gui.etl_generator.config")
    if func is None:
        return {}
    try:
        return dict(func(kind))
    except Exception:
        return {}


def test_connection(config: dict[str, Any]) -> dict[str, Any]:
    """Run the engine's connection test (blocking: call from a worker)."""
    func = _engine_attr("test_connection", "pycharter_gui.etl_generator")
    if func is None:
        return {"ok": False, "message": "Connection testing is not available in this build.",
                "details": {}}
    result = func(config)
    if inspect.isawaitable(result):
        import asyncio

        result = asyncio.run(result)  # worker thread only, never the GUI thread
    return dict(result)


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def resource_path(*parts: str) -> Path:
    """``pycharter_gui.paths.resource_path`` or the source checkout's ``resources/``."""
    func = _engine_attr("resource_path", "pycharter_gui.paths")
    if func is not None:
        return Path(func(*parts))
    return Path(__file__).resolve().parents[2].joinpath("resources", *parts)


def run_cli(argv: list[str]) -> int:
    """``pycharter_gui.cli.main(argv)``; 2 with a message when the CLI is missing."""
    main = _engine_attr("main", "pycharter_gui.cli")
    if main is None:
        print("The pycharter-etl command line runner is not available in this build.")
        return 2
    return int(main(argv) or 0)
