"""``normalize_load``: any accepted load spelling -> the canonical load dict (with its DLQ)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..formats import EXTENSIONS, WRITE_FORMATS
from .extract import cloud_storage, database_url, substituted
from .models_common import DlqConfig
from .models_load import (
    LOAD_MODELS,
    CloudStorageLoadConfig,
    DatabaseLoadConfig,
    FileLoadConfig,
    LoadBase,
    detect_destination_type,
)
from .resolve import (
    Context,
    Normalizer,
    dump,
    merge_options,
)
from .validation import validation_block
from .yaml_io import LineMap

NEEDS_PRIMARY_KEY = ("upsert", "update", "delete", "replace")
DLQ_FILE = "dead_letters.jsonl"


def build_load(raw: Any, ctx: Context, config_context: Mapping[str, Any] | None,
               lines: LineMap | None = None, settings_dlq: Any = None,
               extract_dlq: Any = None) -> dict[str, Any]:
    """Normalise into ``ctx``; ``settings_dlq`` is the ``dlq`` of settings.yaml/pipeline.yaml,
    ``extract_dlq`` extract.yaml's ``validation.dlq`` (used when load.yaml names none)."""
    data = substituted(raw, ctx, config_context, lines)
    if data is None:
        return {}
    if not data:
        ctx.add("", "the load config is empty", "set type: file with a path, or a database")
        return {}
    raw_type = str(data.get("type") or data.get("destination_type") or "").strip().lower()
    dest = detect_destination_type(data)
    model = LOAD_MODELS.get(dest or "")
    if model is None:
        ctx.add("type", f"unknown destination type '{dest}'",
                "use file, database (sqlite, postgres, postgresql) or cloud_storage")
        return {}
    data = {k: v for k, v in data.items() if k not in ("type", "destination_type")}
    parsed = ctx.validate(model, data)
    if parsed is None:
        return {}
    cfg: dict[str, Any] = {
        "__canonical__": True,
        "type": dest,
        "batch_size": parsed.batch_size,
        "base_dir": str(ctx.base_dir) if ctx.base_dir else None,
        "validation": validation_block(parsed.validation, ctx),
        "executor": parsed.executor,
        "scheduler_address": parsed.scheduler_address,
        "partitions": parsed.partitions,
    }
    if isinstance(parsed, FileLoadConfig):
        cfg.update(_file(parsed, ctx))
    elif isinstance(parsed, DatabaseLoadConfig):
        cfg.update(_database(parsed, ctx, raw_type))
    elif isinstance(parsed, CloudStorageLoadConfig):
        cfg.update(_cloud(parsed, ctx))
    cfg["dead_letter_queue"] = _dlq(parsed, ctx, settings_dlq, cfg, extract_dlq)
    return cfg


normalize_load = Normalizer(
    build_load, "load.yaml",
    "Return the canonical load dict for ``raw``; ``ConfigError`` lists every problem.")


def _format_for(fmt: str | None, path: str | None) -> str:
    if fmt:
        return fmt
    by_suffix = EXTENSIONS.get(Path(path or "").suffix.lower())
    return by_suffix if by_suffix in WRITE_FORMATS else "json"


def _write_options(m: FileLoadConfig | CloudStorageLoadConfig) -> dict[str, Any]:
    csv_given = dump(m.csv_options) or {}
    csv_options = merge_options({"delimiter": ",", "include_header": True, "encoding": "utf-8",
                                 "quote_char": '"'}, {
        "delimiter": csv_given.get("delimiter"), "encoding": csv_given.get("encoding"),
        "quote_char": csv_given.get("quote_char"),
        "include_header": csv_given.get("include_header", csv_given.get("has_header")),
    })
    json_given = dump(m.json_options) or {}
    json_options = merge_options({"indent": 2, "ensure_ascii": True, "encoding": "utf-8"},
                                 {k: json_given.get(k) for k in ("indent", "ensure_ascii",
                                                                 "encoding")})
    return {"csv_options": csv_options, "json_options": json_options}


def _file(m: FileLoadConfig, ctx: Context) -> dict[str, Any]:
    path = ctx.data_path("path", m.path)
    return {"path": path, "format": _format_for(m.format, path), "write_mode": m.write_mode,
            **_write_options(m)}


def _database(m: DatabaseLoadConfig, ctx: Context, raw_type: str) -> dict[str, Any]:
    url = database_url(m, ctx, sqlite_path=m.path)
    if not url:
        ctx.add("database.url", "no database connection given",
                "set database.url (or connection_string), or path for a SQLite file")
    elif raw_type == "sqlite" and not url.lower().startswith("sqlite"):
        ctx.add("type", "type is sqlite but the URL is not a sqlite:/// URL")
    primary_key = [m.primary_key] if isinstance(m.primary_key, str) else list(
        m.primary_key or [])
    if m.write_method in NEEDS_PRIMARY_KEY and not primary_key:
        ctx.add("primary_key", f"write_method '{m.write_method}' needs a primary_key",
                "name the key column(s), e.g. primary_key: id")
    tunnel = m.ssh_tunnel or (m.database.ssh_tunnel if not isinstance(
        m.database, str | None) else None)
    return {"url": url, "table": m.table, "schema_name": m.schema_name,
            "write_method": m.write_method, "primary_key": primary_key,
            "update_columns": m.update_columns, "unique_constraints": m.unique_constraints,
            "create_table": m.create_table, "ssh_tunnel": dump(tunnel),
            "database_type": getattr(m.database, "type", None) or (
                raw_type if raw_type not in ("", "database") else None)}


def _cloud(m: CloudStorageLoadConfig, ctx: Context) -> dict[str, Any]:
    storage = cloud_storage(m, ctx)
    if not storage.get("path"):
        ctx.add("storage.path", "no object key given", "set storage.path, e.g. out/data.json")
    return {"storage": storage, "format": _format_for(m.format, storage.get("path")),
            "write_mode": m.write_mode, "partition_by": m.partition_by, **_write_options(m)}


def _dlq(m: LoadBase, ctx: Context, settings_dlq: Any, cfg: dict[str, Any],
         extract_dlq: Any = None) -> dict[str, Any]:
    """Canonical dead_letter_queue from load dead_letter_queue / dlq / validation.dlq /
    extract.yaml validation.dlq / settings; ``validation.dlq: true`` means settings' dlq."""
    candidates: list[tuple[str, Any]] = [
        ("dead_letter_queue", m.dead_letter_queue), ("dlq", m.dlq),
        ("validation.dlq", m.validation.dlq if m.validation is not None else None),
        ("validation.dlq", extract_dlq), ("dlq", settings_dlq),
    ]
    key, value = next(((k, v) for k, v in candidates if v is not None), ("dlq", None))
    if value is True and key == "validation.dlq" and settings_dlq is not None:
        value = settings_dlq
    if isinstance(value, Mapping):
        parsed = ctx.validate(DlqConfig, dict(value))
        value = parsed if parsed is not None else DlqConfig()
    if value is False:
        return {"enabled": False, "backend": "memory", "path": None, "table": None, "url": None,
                "schema_name": None}
    dlq = value if isinstance(value, DlqConfig) else DlqConfig()
    backend = dlq.backend
    path = ctx.data_path(f"{key}.path", dlq.path)
    if backend is None:
        if path and path.lower().endswith((".db", ".sqlite", ".sqlite3")):
            backend = "sqlite"
        elif dlq.url and not path:
            backend = "database"
        else:
            backend = "file"
    url = dlq.url
    if backend == "database" and not url:
        url = cfg.get("url") if cfg.get("type") == "database" else None
        if not url:
            ctx.add(f"{key}.url", "the database dead-letter backend needs a url",
                    "set url (or connection_string), or use backend: file")
    default_dir = os.path.join(ctx.base_dir, ".pycharter") if ctx.base_dir else None
    if backend == "file":
        if path and not Path(path).suffix:
            path = os.path.join(path, DLQ_FILE)  # a folder (0.0.20 storage_path style)
        path = path or (os.path.join(default_dir, DLQ_FILE) if default_dir else None)
    elif backend == "sqlite":
        path = path or (os.path.join(default_dir, "dead_letters.db") if default_dir else None)
    elif backend == "memory":
        path = None
    return {"enabled": dlq.enabled, "backend": backend, "path": path,
            "table": dlq.table, "url": url, "schema_name": dlq.schema_name}
