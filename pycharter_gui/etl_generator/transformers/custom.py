"""Custom function stage (config-format §4.6): import once, call per batch or per record.

Code runs only from the pipeline's folder (``base_dir``) or an installed package: a ``.py``
file path must lie inside the folder, a dotted module name is imported from the folder first
(whatever the working directory), then from installed packages, and the function must be
defined in such a module, so ``callable: subprocess.run`` or a module re-exporting it is
refused. ``callable: "pkg.mod.func"`` is accepted. Without a ``base_dir`` (a config built in
code) the caller is trusted and nothing is confined.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import importlib.util
import inspect
import sys
import threading
import traceback as tb
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config.resolve import is_inside
from ..errors import ConfigError, ConfigProblem
from .results import TRANSFORMATION_ERROR, RejectedRecord, TransformResult, count_reshape

STEP = "custom_function"
_IMPORT_LOCK = threading.Lock()
_ORIGIN_HINT = ("put the module in the pipeline folder, or install it as a package, and name "
                "a function it defines")


def _config_error(key: str, message: str, hint: str | None = None) -> ConfigError:
    return ConfigError([ConfigProblem(file=None, key=f"custom_function.{key}", message=message,
                                      hint=hint)])


def _module_file(mod: Any) -> str | None:
    """Where a module was loaded from (a namespace package: its first folder), or None."""
    return getattr(mod, "__file__", None) or next(iter(getattr(mod, "__path__", None) or ()),
                                                  None)


def _origin_problem(module_name: str | None, base_dir: str) -> str | None:
    """Why code of ``module_name`` may not run: it is neither in the pipeline folder nor in an
    installed package (the standard library, a built-in, the working directory...)."""
    file = _module_file(sys.modules.get(module_name or ""))
    if file and is_inside(file, base_dir):
        return None
    top = (module_name or "").split(".")[0]
    if top and top in importlib.metadata.packages_distributions():
        return None
    where = ("Python's standard library" if top in sys.stdlib_module_names or top == "builtins"
             else file or "no file")
    return (f"module {module_name!r} comes from {where}: custom code must come from the "
            f"pipeline folder ({base_dir}) or an installed package")


def _prefer_pipeline_folder(module: str, base_dir: str) -> None:
    """Forget a cached module of the same name loaded from elsewhere when the pipeline folder
    has its own (two pipelines may each have a ``helpers.py``)."""
    top = module.split(".")[0]
    base = Path(base_dir)
    if not ((base / f"{top}.py").is_file() or (base / top).is_dir()):
        return
    file = _module_file(sys.modules.get(top))
    if file is not None and not is_inside(file, base_dir):
        for name in [n for n in sys.modules if n == top or n.startswith(f"{top}.")]:
            del sys.modules[name]


def _import_file(path: Path, base_dir: str | None) -> Any:
    """Import a ``.py`` file given by path (relative to ``base_dir``), inside the folder."""
    if not path.is_absolute() and base_dir:
        path = Path(base_dir) / path
    if base_dir and not is_inside(path, base_dir):
        raise _config_error("module", f"custom function file {path} is outside the pipeline "
                            f"folder {base_dir}", hint="put the module in the pipeline folder")
    if not path.is_file():
        raise _config_error("module", f"custom function file not found: {path}")
    name = f"_pycharter_custom_{path.stem}_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise _config_error("module", f"cannot import {path}")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    try:
        spec.loader.exec_module(mod)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return mod


def _import_module(module: str, base_dir: str | None) -> Any:
    """Import ``module`` (dotted name or ``.py`` path) with ``base_dir`` first on sys.path."""
    with _IMPORT_LOCK:
        added = False
        if base_dir and (not sys.path or sys.path[0] != base_dir):
            sys.path.insert(0, base_dir)
            added = True
        try:
            if module.endswith(".py") or "/" in module or "\\" in module:
                return _import_file(Path(module), base_dir)
            if base_dir:
                _prefer_pipeline_folder(module, base_dir)
            importlib.invalidate_caches()
            mod = importlib.import_module(module)
            problem = _origin_problem(mod.__name__, base_dir) if base_dir else None
            if problem:
                raise _config_error("module", problem, hint=_ORIGIN_HINT)
            return mod
        finally:
            if added:
                with contextlib.suppress(ValueError):
                    sys.path.remove(base_dir)


def load_custom_function(cfg: dict[str, Any], base_dir: str | None = None) -> Callable[..., Any]:
    """Resolve the configured callable once; a missing module or function, or code from
    outside the pipeline folder and installed packages, is a ConfigError."""
    module = cfg.get("module")
    function = cfg.get("function")
    if callable(cfg.get("callable")):
        return cfg["callable"]
    if cfg.get("callable"):
        target = str(cfg["callable"])
        if "." not in target and ":" not in target:
            raise _config_error("callable", f"{target!r} is not of the form 'package.module.func'")
        module, function = target.rsplit(":", 1) if ":" in target else target.rsplit(".", 1)
    if not module or not function:
        raise _config_error("module", "custom_function needs 'module' and 'function' "
                            "(or 'callable: package.module.function')")
    where = f"module {module!r}, function {function!r}"
    try:
        mod = _import_module(str(module), base_dir)
    except ConfigError:
        raise
    except ModuleNotFoundError as exc:
        raise _config_error(
            "module", f"cannot import {where}: {exc}",
            hint=f"put {str(module).split('.')[0]}.py in the pipeline folder ({base_dir}) "
                 "or install it") from exc
    except Exception as exc:
        raise _config_error("module", f"importing {where} failed: {type(exc).__name__}: {exc}"
                            ) from exc
    try:
        target = getattr(mod, str(function))
    except AttributeError as exc:
        raise _config_error("function", f"{where}: the module has no attribute {function!r}"
                            ) from exc
    defined_in = getattr(target, "__module__", None)
    if base_dir and defined_in != mod.__name__:
        problem = _origin_problem(defined_in, base_dir)
        if problem:
            raise _config_error("function", f"{where} is defined in another module: {problem}",
                                hint=_ORIGIN_HINT)
    if inspect.isclass(target):
        try:
            instance = target()
        except Exception as exc:
            raise _config_error("function", f"{where}: cannot instantiate class: {exc}") from exc
        for attr in ("optimize", "run"):
            method = getattr(instance, attr, None)
            if callable(method):
                return method
        if callable(instance):
            return instance
        raise _config_error("function", f"{where}: class has no optimize, run or __call__")
    if not callable(target):
        raise _config_error("function", f"{where} is not callable")
    return target


class CustomFunctionStage:
    """The compiled custom-function step: ``apply(records, indices, result, kwargs)``."""

    def __init__(self, cfg: dict[str, Any], base_dir: str | None) -> None:
        self.func = load_custom_function(cfg, base_dir)
        self.mode = str(cfg.get("mode") or "batch").lower()
        if self.mode not in ("batch", "record"):
            raise _config_error("mode", f"unknown mode {self.mode!r}", hint="use batch or record")
        self.kwargs = dict(cfg.get("kwargs") or {})
        target = cfg.get("callable")
        self.name = (getattr(target, "__qualname__", None) or str(target) if target
                     else f"{cfg.get('module')}.{cfg.get('function')}")

    def _reject(self, index: int | None, record: Any, exc: BaseException) -> RejectedRecord:
        return RejectedRecord(
            index=index, record=record, step=STEP, reason=TRANSFORMATION_ERROR,
            message=f"Custom function error in {self.name}: {type(exc).__name__}: {exc}",
            error_type=type(exc).__name__, traceback="".join(tb.format_exception(exc)),
        )

    def apply(self, records: list[dict[str, Any]], indices: list[int | None],
              result: TransformResult, runtime_kwargs: dict[str, Any]
              ) -> tuple[list[dict[str, Any]], list[int | None]]:
        kwargs = {**self.kwargs, **runtime_kwargs}
        if self.mode == "record":
            return self._apply_record(records, indices, result, kwargs)
        return self._apply_batch(records, indices, result, kwargs)

    def _emit(self, value: Any, index: int | None, source: Any, result: TransformResult,
              out: list, out_idx: list) -> int:
        """Append dict items of a result; non-dicts are rejected. Returns items produced."""
        items = [] if value is None else value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                out.append(item)
                out_idx.append(index)
            else:
                result.rejected.append(RejectedRecord(
                    index, source if index is not None else item, STEP, TRANSFORMATION_ERROR,
                    f"{self.name} returned a {type(item).__name__}, not a record: {item!r:.200}",
                    "TypeError"))
        return len(items)

    def _apply_record(self, records, indices, result, kwargs):
        out: list[dict[str, Any]] = []
        out_idx: list[int | None] = []
        for record, index in zip(records, indices, strict=True):
            try:
                value = self.func(record, **kwargs)
            except Exception as exc:
                result.rejected.append(self._reject(index, record, exc))
                continue
            produced = self._emit(value, index, record, result, out, out_idx)
            count_reshape(1, produced, result)
        return out, out_idx

    def _apply_batch(self, records, indices, result, kwargs):
        """Call ``func(records, **kwargs)`` once.

        If it raises, it is called on each record alone (as a one-element list) to find the
        failing records, which are dead-lettered with their traceback; it is then called once
        more over the remaining records so batch-wide logic (aggregates, dedup) sees the whole
        surviving batch. If no record fails alone, or the retry fails again, the whole batch is
        dead-lettered with the error. A function with side effects is thus called again:
        functions should be idempotent.
        """
        try:
            value = self.func(list(records), **kwargs)
        except Exception as exc:
            good, good_idx = [], []
            for record, index in zip(records, indices, strict=True):
                try:
                    self.func([record], **kwargs)
                except Exception as rec_exc:
                    result.rejected.append(self._reject(index, record, rec_exc))
                else:
                    good.append(record)
                    good_idx.append(index)
            if len(good) == len(records):
                return self._reject_all(records, indices, result, exc)
            try:
                value = self.func(list(good), **kwargs) if good else None
            except Exception as retry_exc:
                return self._reject_all(good, good_idx, result, retry_exc)
            records = good
        out: list[dict[str, Any]] = []
        out_idx: list[int | None] = []
        produced = self._emit(value, None, None, result, out, out_idx)
        count_reshape(len(records), produced, result)
        return out, out_idx

    def _reject_all(self, records, indices, result, exc):
        for record, index in zip(records, indices, strict=True):
            rejected = self._reject(index, record, exc)
            rejected.message += " (whole batch: no single record fails alone)"
            result.rejected.append(rejected)
        return [], []
