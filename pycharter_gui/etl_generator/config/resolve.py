"""Helpers shared by the normalisers: relative paths, SQLite URLs, model validation."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import ConfigProblem
from .models_common import METADATA_KEYS
from .problems import problems_from_validation
from .yaml_io import LineMap, line_for

M = TypeVar("M", bound=BaseModel)


@dataclass
class Context:
    """Where a config came from, and what normalising it found."""

    file: str | None
    base_dir: Path | None
    lines: LineMap | None = None
    prefix: str = ""
    problems: list[ConfigProblem] = field(default_factory=list)
    warnings: list[ConfigProblem] = field(default_factory=list)
    secrets: set[str] = field(default_factory=set)

    def key(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix and key else (self.prefix or key)

    def add(self, key: str, message: str, hint: str | None = None, *,
            severity: str = "error") -> None:
        full = self.key(key)
        problem = ConfigProblem(file=self.file, key=full, message=message,
                                line=line_for(self.lines, full), hint=hint, severity=severity)
        (self.warnings if severity == "warning" else self.problems).append(problem)

    def data_path(self, key: str, value: str | None) -> str | None:
        """``resolve_path`` for a data file or folder. A relative path that resolves outside
        the pipeline folder (``../x``, a symlink) is a problem: an absolute path is the
        explicit way to leave it."""
        path = resolve_path(value, self.base_dir)
        if (path and value and self.base_dir is not None
                and not os.path.isabs(os.path.expanduser(value))
                and not is_inside(path, self.base_dir)):
            self.add(key, f"{value!r} is outside the pipeline folder {self.base_dir} (it "
                     f"resolves to {os.path.realpath(path)})",
                     "relative paths stay inside the pipeline folder; write an absolute path "
                     "to read or write elsewhere")
        return path

    def sqlite_url(self, key: str, url: str | None) -> str | None:
        """``resolve_sqlite_url`` with the database file confined like ``data_path``."""
        parts = _sqlite_file(url)
        if parts is not None:
            self.data_path(key, parts[1])
        return resolve_sqlite_url(url, self.base_dir)

    def validate(self, model: type[M], data: dict[str, Any]) -> M | None:
        """Validate ``data`` with ``model``; record every problem and return None on failure."""
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.problems += problems_from_validation(
                exc, model, data, file=self.file, lines=self.lines, prefix=self.prefix)
            return None


def as_base_dir(base_dir: str | os.PathLike[str] | None) -> Path | None:
    """The pipeline folder as an absolute path (None stays None)."""
    if base_dir is None or base_dir == "":
        return None
    return Path(base_dir).expanduser().resolve()


def pop_base_dir(raw: Any, base_dir: Any) -> tuple[Any, Any]:
    """Take a ``base_dir`` key out of a raw dict (used when ``base_dir`` was not passed)."""
    if isinstance(raw, dict) and "base_dir" in raw:
        raw = dict(raw)
        inner = raw.pop("base_dir")
        base_dir = base_dir if base_dir not in (None, "") else inner
    return base_dir, raw


def strip_metadata(raw: dict[str, Any]) -> dict[str, Any]:
    """Drop the accepted-and-ignored metadata keys (title, description, version, name)."""
    return {k: v for k, v in raw.items() if k not in METADATA_KEYS}


def is_inside(path: str | os.PathLike[str], folder: str | os.PathLike[str]) -> bool:
    """Whether ``path`` lies in ``folder`` once both are resolved (symlinks followed)."""
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def resolve_path(value: str | None, base_dir: Path | None) -> str | None:
    """Absolute path for ``value`` (glob characters kept); relative paths use ``base_dir``."""
    if value is None or value == "":
        return value
    expanded = os.path.expanduser(value)
    if os.path.isabs(expanded) or base_dir is None:
        return expanded
    return os.path.normpath(os.path.join(base_dir, expanded))


def _sqlite_file(url: str | None) -> tuple[str, str, str] | None:
    """(scheme, file path, "?query") of a ``sqlite[+driver]:///file`` URL; None for other URLs,
    in-memory databases and unusual forms."""
    if not url or not url.lower().startswith("sqlite"):
        return None
    scheme, sep, rest = url.partition(":///")
    if not sep:
        return None  # sqlite:// (in memory)
    db_path, qmark, query = rest.partition("?")
    if db_path in ("", ":memory:") or db_path.startswith("file:"):
        return None
    return scheme, db_path, qmark + query


def resolve_sqlite_url(url: str | None, base_dir: Path | None) -> str | None:
    """Make the file of a ``sqlite[+driver]:///relative.db`` URL absolute."""
    parts = _sqlite_file(url)
    if parts is None:
        return url
    scheme, db_path, query = parts
    return f"{scheme}:///{resolve_path(db_path, base_dir)}{query}"


def sqlite_url_for(path: str) -> str:
    """A SQLAlchemy URL for a SQLite file path (a relative one stays relative)."""
    return f"sqlite:///{os.path.expanduser(path)}"


def dump(model: BaseModel | None) -> dict[str, Any] | None:
    """Model -> plain dict by field name (canonical keys), or None."""
    return model.model_dump(by_alias=False) if model is not None else None


def csv_defaults(fmt: str | None, path: str | None) -> dict[str, Any]:
    """Default CSV reading options (tab for TSV files)."""
    tsv = fmt == "tsv" or (path or "").lower().rstrip("*").endswith((".tsv", ".tab"))
    return {"delimiter": "\t" if tsv else ",", "quote_char": '"', "escape_char": None,
            "has_header": True, "encoding": "utf-8", "skip_rows": 0}


def merge_options(defaults: dict[str, Any], *layers: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overridden by each non-None value of the given layers, in order."""
    out = dict(defaults)
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is not None:
                out[key] = value
    return out


class Normalizer:
    """A public ``normalize_<kind>(raw, base_dir=None, config_context=None)``, one definition for
    extract, transform and load: a canonical dict passes through, anything else is built by the
    kind's ``build`` into a fresh ``Context`` and every problem raised at once."""

    def __init__(self, build: Callable[[Any, Context, Mapping[str, Any] | None], dict[str, Any]],
                 file: str, doc: str) -> None:
        self.build = build
        self.file = file  # names the config in problems: extract.yaml, ...
        self.__doc__ = doc

    def __call__(self, raw: Any, base_dir: str | os.PathLike[str] | None = None,
                 config_context: Mapping[str, Any] | None = None) -> dict[str, Any]:
        from ..errors import ConfigError

        if isinstance(raw, dict) and raw.get("__canonical__"):
            return raw
        base_dir, raw = pop_base_dir(raw, base_dir)
        ctx = Context(file=self.file, base_dir=as_base_dir(base_dir))
        cfg = self.build(raw, ctx, config_context)
        if ctx.problems:
            raise ConfigError(ctx.problems)
        return cfg

    def __repr__(self) -> str:
        return f"<normalizer of {self.file}>"
