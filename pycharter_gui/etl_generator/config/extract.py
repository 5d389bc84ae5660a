"""``normalize_extract``: any accepted extract spelling -> the canonical extract dict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .models_common import InputParam
from .models_extract import (
    CloudStorageExtractConfig,
    DatabaseExtractConfig,
    ExtractBase,
    FileExtractConfig,
    HttpExtractConfig,
    PaginationConfig,
)
from .problems import MOVED_KEYS
from .registry import SOURCES, detect_source_type
from .resolve import (
    Context,
    Normalizer,
    csv_defaults,
    dump,
    merge_options,
    sqlite_url_for,
    strip_metadata,
)
from .substitution import substitute_tree
from .validation import validation_block
from .yaml_io import LineMap

# extract.yaml keys that pycharter accepted and silently ignored: accepted with a warning
PYCHARTER_IGNORED = ("processing_mode", "max_memory_mb", "checkpoint")


def build_extract(raw: Any, ctx: Context, config_context: Mapping[str, Any] | None,
                  lines: LineMap | None = None) -> dict[str, Any]:
    """Normalise into ``ctx`` (problems, secrets); the result is only valid without problems."""
    data = substituted(raw, ctx, config_context, lines)
    if data is None:
        return {}
    for key in PYCHARTER_IGNORED:
        if key in data:
            del data[key]
            ctx.add(key, f"'{key}' has no effect here (pycharter ignored it too)",
                    MOVED_KEYS[key], severity="warning")
    source_type = detect_source_type(data)
    if source_type is None:
        ctx.add("type", "cannot tell the source type",
                "set type: file | http | database | cloud_storage")
        return {}
    entry = SOURCES.get(source_type)
    data = {k: v for k, v in data.items() if k not in ("type", "source_type")}
    if entry is None:
        ctx.add("type", f"unknown source type '{source_type}'",
                "use one of: " + ", ".join(SOURCES.names()))
        return {}
    if entry.model is None:
        return _custom_source(source_type, data, ctx)
    parsed = ctx.validate(entry.model, data)
    if parsed is None:
        return {}
    cfg = _common(source_type, parsed, ctx)
    builder = {"file": _file, "database": _database, "http": _http,
               "cloud_storage": _cloud}[source_type]
    cfg.update(builder(parsed, ctx))  # type: ignore[operator]
    return cfg


normalize_extract = Normalizer(
    build_extract, "extract.yaml",
    "Return the canonical extract dict for ``raw``; ``ConfigError`` lists every problem.")


def substituted(raw: Any, ctx: Context, config_context: Mapping[str, Any] | None,
                lines: LineMap | None = None) -> dict[str, Any] | None:
    """A raw extract or load mapping with ``${VAR}`` substituted (its problems and secrets
    go to ``ctx``); None, with a problem, when it is not a mapping."""
    if lines is not None:
        ctx.lines = lines
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        ctx.add("", f"must be a mapping of keys, not {type(raw).__name__}")
        return None
    data, secrets, problems = substitute_tree(
        strip_metadata(dict(raw)), config_context, file=ctx.file, key=ctx.prefix)
    ctx.problems += [locate(p, ctx) for p in problems]
    ctx.secrets |= secrets
    return data


def locate(problem: Any, ctx: Context) -> Any:
    """``problem`` with the line of its key in the file ``ctx`` reads."""
    from dataclasses import replace

    from .yaml_io import line_for

    return replace(problem, line=line_for(ctx.lines, problem.key))


def canonical_input_params(value: Any) -> dict[str, dict[str, Any]]:
    """``input_params`` as {name: {type, required, default, description}}."""
    if not value:
        return {}
    if isinstance(value, list):
        return {str(n): InputParam().model_dump() for n in value}
    out: dict[str, dict[str, Any]] = {}
    for name, spec in value.items():
        spec = spec if isinstance(spec, InputParam) else InputParam.model_validate(spec or {})
        out[str(name)] = spec.model_dump()
    return out


def _common(source_type: str, m: ExtractBase, ctx: Context) -> dict[str, Any]:
    validation = validation_block(m.validation, ctx)
    return {
        "__canonical__": True,
        "type": source_type,
        "batch_size": m.batch_size,
        "max_records": m.max_records,
        "params": dict(m.params),
        "input_params": canonical_input_params(m.input_params),
        "param_mapping": dict(m.param_mapping),
        "validation": validation,
        "base_dir": str(ctx.base_dir) if ctx.base_dir else None,
    }


def _custom_source(source_type: str, data: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """A registered (non built-in) source: common keys checked, the rest passed through."""
    common_keys = set(ExtractBase.model_fields) - {"type"}
    parsed = ctx.validate(ExtractBase, {k: v for k, v in data.items() if k in common_keys})
    if parsed is None:
        return {}
    cfg = {k: v for k, v in data.items() if k not in common_keys}
    cfg.update(_common(source_type, parsed, ctx))
    return cfg


def _file_options(m: FileExtractConfig | CloudStorageExtractConfig, path: str | None
                  ) -> dict[str, Any]:
    fmt = m.format
    top = {"delimiter": m.delimiter, "encoding": m.encoding,
           "skip_rows": getattr(m, "skip_rows", None)}
    csv_options = merge_options(csv_defaults(fmt, path), top, dump(m.csv_options))
    csv_options.pop("include_header", None)
    json_given = dump(m.json_options) or {}
    json_options = {
        "encoding": json_given.get("encoding") or m.encoding or "utf-8",
        "lines": True if fmt == "jsonl" else json_given.get("lines"),
    }
    return {"format": fmt, "csv_options": csv_options, "json_options": json_options}


def _file(m: FileExtractConfig, ctx: Context) -> dict[str, Any]:
    path = ctx.data_path("path", m.path)
    return {"path": path, **_file_options(m, path), "response_path": m.response_path,
            "columns": m.columns, "source_file_column": m.source_file_column,
            "sort_files": m.sort_files, "fail_on_empty": m.fail_on_empty}


def url_from_fields(db: Any) -> str | None:
    """The URL of a ``database:`` block given as separate fields (a ``DatabaseRef``); None
    without a driver."""
    if not db.driver:
        return None
    from ..database.connect import url_from_parts

    return url_from_parts(db.driver, host=db.host, port=db.port, user=db.username,
                          password=db.password, database=db.name)


def database_url(m: Any, ctx: Context, *, sqlite_path: str | None = None) -> str | None:
    """The connection URL from database.url / database / connection_string / url / path."""
    db = m.database
    url = None
    if isinstance(db, str):
        url = db
    elif db is not None:
        url = db.url or (sqlite_url_for(db.path) if db.path else None)
        url = url or url_from_fields(db)
    url = url or m.connection_string or m.url
    if not url and sqlite_path:
        url = sqlite_url_for(sqlite_path)
    if url:
        from ..database.connect import url_problem

        problem = url_problem(url)
        if problem is not None:
            ctx.add("database.url", *problem)
    return ctx.sqlite_url("database.url", url)


def _database(m: DatabaseExtractConfig, ctx: Context) -> dict[str, Any]:
    url = database_url(m, ctx)
    if not url:
        ctx.add("database.url", "no database connection given",
                "set database.url (or connection_string), e.g. sqlite:///data/app.db")
    if not (m.query or m.table):
        ctx.add("query", "give a SQL query (or a table to read)")
    tunnel = m.ssh_tunnel or (m.database.ssh_tunnel if not isinstance(
        m.database, str | None) else None)
    bind = {**m.params, **m.query_params}
    return {"url": url, "query": m.query, "table": m.table, "schema_name": m.schema_name,
            "query_params": bind, "params": dict(bind), "ssh_tunnel": dump(tunnel),
            "database_type": getattr(m.database, "type", None),
            "partition_by": dump(m.partition_by), "incremental": dump(m.incremental)}


def _join(base: str, endpoint: str) -> str:
    return base.rstrip("/") + "/" + endpoint.lstrip("/")


def _http(m: HttpExtractConfig, ctx: Context) -> dict[str, Any]:
    base_url, endpoint, url = m.base_url, m.api_endpoint, m.url
    if url and not url.lower().startswith(("http://", "https://")) and base_url and not endpoint:
        endpoint, url = url, None  # a relative url is the endpoint
    if not url:
        if endpoint and endpoint.lower().startswith(("http://", "https://")):
            url = endpoint
        elif base_url and endpoint:
            url = _join(base_url, endpoint)
        elif base_url:
            url = base_url
        else:
            ctx.add("url", "no endpoint given", "set url, or base_url and api_endpoint")
    timeout = m.timeout
    if timeout is None or isinstance(timeout, int | float):
        seconds = {} if timeout is None else dict.fromkeys(("connect", "read", "write",
                                                             "pool"), float(timeout))
        timeout_cfg = merge_options({"connect": 10.0, "read": 30.0, "write": 10.0,
                                     "pool": 10.0}, seconds)
    else:
        timeout_cfg = timeout.model_dump()
    retry = dump(m.retry) or {"max_attempts": 3, "backoff_factor": 2.0,
                              "retry_on_status": [429, 500, 502, 503, 504],
                              "max_backoff": None}
    params = dict(m.params)
    pagination = _pagination(m.pagination, params)
    auth = m.auth.model_dump(by_alias=True) if m.auth is not None else None
    if auth is not None and "in_" in auth:
        auth["in"] = auth.pop("in_")
    return {"url": url, "base_url": base_url, "api_endpoint": endpoint, "method": m.method,
            "params": params, "headers": dict(m.headers), "body": m.body, "form": m.form,
            "response_format": m.response_format, "response_path": m.response_path,
            "timeout": timeout_cfg, "retry": retry, "rate_limit_delay": m.rate_limit_delay,
            "rate_limit": m.rate_limit, "pagination": pagination, "auth": auth,
            "incremental": dump(m.incremental)}


_NESTED_DEFAULTS = {
    "page": {"param_name": "page", "start": 0, "increment": 1},
    "offset": {"param_name": "offset", "start": 0, "increment_by": "limit"},
    "cursor": {"param_name": "cursor", "response_path": "next_cursor"},
    "next_url": {"response_path": "next_url"},
    "link_header": {},
}


def _pagination(p: PaginationConfig | None, params: dict[str, Any]) -> dict[str, Any] | None:
    """Nested pagination form; flat 0.0.35 keys mapped per config-format §3.4."""
    if p is None:
        return None
    given = p.model_dump(exclude_unset=True)
    enabled = p.enabled if p.enabled is not None else bool(set(given) - {"enabled"})
    strategy = {"link": "link_header"}.get(p.strategy or "page", p.strategy or "page")
    limit_param = p.limit_param or "limit"
    out: dict[str, Any] = {"enabled": enabled, "strategy": strategy,
                           "page_delay": p.page_delay, "limit_param": limit_param,
                           "page_size": p.page_size}
    for name, defaults in _NESTED_DEFAULTS.items():
        nested = getattr(p, name, None)
        value = merge_options(defaults, nested.model_dump() if hasattr(nested, "model_dump")
                              else nested)
        out[name] = value
    flat = {("page", "param_name"): p.page_param, ("offset", "param_name"): p.offset_param,
            ("cursor", "param_name"): p.cursor_param,
            ("cursor", "response_path"): p.cursor_path,
            ("next_url", "response_path"): p.next_link_path}
    for (section, key), value in flat.items():
        if value is not None:
            out[section][key] = value
    stops = [c.model_dump() for c in p.stop_conditions or []]
    if p.max_pages is not None and not any(c["type"] == "max_pages" for c in stops):
        stops.append({"type": "max_pages", "value": p.max_pages, "response_path": None})
    out["stop_conditions"] = stops
    if p.page_size is not None:
        params.setdefault(limit_param, p.page_size)
    return out


def _cloud(m: CloudStorageExtractConfig, ctx: Context) -> dict[str, Any]:
    storage = cloud_storage(m, ctx)
    return {"storage": storage, **_file_options(m, storage.get("path")),
            "response_path": m.response_path, "columns": m.columns,
            "source_file_column": m.source_file_column}


def cloud_storage(m: Any, ctx: Context) -> dict[str, Any]:
    """Merge ``storage`` with the top-level provider/bucket/path/credentials fallbacks."""
    storage = dump(m.storage) or {}
    for key in ("provider", "bucket", "container", "path", "credentials"):
        if storage.get(key) is None and getattr(m, key, None) is not None:
            storage[key] = getattr(m, key)
    provider = storage.get("provider")
    if isinstance(provider, str):
        provider = provider.lower()
        storage["provider"] = {"aws": "s3", "google": "gcs"}.get(provider, provider)
    if storage.get("provider") not in ("s3", "gcs", "azure"):
        ctx.add("storage.provider", "missing or unknown cloud provider", "use s3, gcs or azure")
    storage["bucket"] = storage.get("bucket") or storage.get("container")
    storage["container"] = storage.get("container") or storage.get("bucket")
    if not storage.get("bucket"):
        ctx.add("storage.bucket", "no bucket (or Azure container) given")
    for key in ("prefix", "pattern", "region", "credentials", "path", "endpoint_url", "profile",
                "addressing_style"):
        storage.setdefault(key, None)
    return storage
