"""``test_connection``: check that a source or target answers, for the designer's button."""

from __future__ import annotations

import time
from typing import Any

from .config.substitution import collect_secrets, mask_secrets, substitute_tree
from .errors import ConfigError, ConfigProblem, NotAvailableError
from .extractors.factory import detect_source_type


def test_connection(config: dict[str, Any],
                    config_context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Try to reach the source/target described by ``config``; never raises.

    The config is prepared as a run prepares it: ``${VAR}`` references resolve from
    ``config_context``, then the environment; a database given as separate fields (driver,
    host, port, user, password, name) becomes its URL; a ``base_dir`` key (the pipeline folder)
    resolves relative SQLite paths.

    Returns ``{"ok": bool, "message": str, "details": dict}``; messages never contain secrets.
    """
    started = time.monotonic()
    try:
        config, secrets = _resolved(config, config_context)
        config = _with_url_from_fields(_with_absolute_sqlite_paths(config))
    except ConfigError as exc:
        return {"ok": False, "message": "; ".join(str(p) for p in exc.problems),
                "details": {"error_type": "config",
                            "seconds": round(time.monotonic() - started, 3)}}
    kind = detect_source_type(config) or config.get("destination_type")
    try:
        if kind == "database" or "database" in config:
            from .database.connect import test_connection as run_test
        elif kind == "http":
            from .extractors.http import test_connection as run_test
        elif kind == "cloud_storage":
            from .extractors.cloud_storage import test_connection as run_test
        else:
            return {"ok": False, "message": f"Nothing to test for source type '{kind}'.", "details": {}}
    except ImportError as exc:
        raise NotAvailableError(f"Connection tests for '{kind}' are not available ({exc})") from exc
    try:
        result = _through_tunnel(run_test, config) if run_test.__module__.endswith(
            ".database.connect") else run_test(config)
    except Exception as exc:  # the button shows the full error, never crashes
        result = {"ok": False, "message": f"{type(exc).__name__}: {exc}", "details": {}}
    result["message"] = mask_secrets(str(result.get("message", "")), secrets)
    result.setdefault("details", {})["seconds"] = round(time.monotonic() - started, 3)
    return result


def _through_tunnel(run_test: Any, config: dict[str, Any]) -> dict[str, Any]:
    """A database test through the config's ``ssh_tunnel`` (top level or under ``database``,
    as a run finds it), else directly."""
    database = config.get("database") if isinstance(config.get("database"), dict) else {}
    raw = config.get("ssh_tunnel") or database.get("ssh_tunnel")
    if not isinstance(raw, dict):
        return run_test(config)
    from .config.models_common import SshTunnel
    from .database.connect import parse_url, url_from_config
    from .database.ssh_tunnel import ssh_tunnel_sync
    from .errors import PycharterError

    tunnel = SshTunnel.model_validate(raw).model_dump()
    if not tunnel.get("enabled"):
        return run_test(config)
    url = parse_url(url_from_config(config) or "")
    try:
        with ssh_tunnel_sync({"ssh_tunnel": tunnel, "base_dir": config.get("base_dir")}, url,
                             file="the connection", fatal=PycharterError,
                             transient=PycharterError) as reach:
            result = run_test({"url": reach.render_as_string(hide_password=False)})
    except PycharterError as exc:
        return {"ok": False, "message": exc.user_message,
                "details": {"error_type": "unreachable", "ssh_tunnel": tunnel["host"]}}
    result.setdefault("details", {})["ssh_tunnel"] = tunnel["host"]
    return result


def _resolved(config: dict[str, Any], context: dict[str, Any] | None
              ) -> tuple[dict[str, Any], set[str]]:
    """``config`` with ``${VAR}`` substituted (ConfigError naming what is unresolved)."""
    value, secrets, problems = substitute_tree(config, context)
    if problems:
        raise ConfigError(problems)
    return value, secrets | collect_secrets(value)


def _with_url_from_fields(config: dict[str, Any]) -> dict[str, Any]:
    """A ``database:`` block of separate fields gets the URL a run would build from them
    (the config layer's model and builder, so every spelling of the fields is accepted)."""
    db = config.get("database")
    if not isinstance(db, dict) or db.get("url") or not db.get("driver"):
        return config
    from pydantic import ValidationError

    from .config.extract import url_from_fields
    from .config.models_common import DatabaseRef

    try:
        ref = DatabaseRef.model_validate(db)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(["database", *map(str, first.get("loc", ()))])
        raise ConfigError([ConfigProblem(None, key, str(first.get("msg")))]) from None
    return {**config, "database": {**db, "url": url_from_fields(ref)}}


def _with_absolute_sqlite_paths(config: dict[str, Any]) -> dict[str, Any]:
    """Resolve relative SQLite URLs against ``base_dir`` (the pipeline folder), like a run does."""
    from .config.resolve import as_base_dir, resolve_sqlite_url

    config = dict(config)
    base_dir = as_base_dir(config.pop("base_dir", None))
    for key in ("url", "connection_string"):
        if isinstance(config.get(key), str):
            config[key] = resolve_sqlite_url(config[key], base_dir)
    if isinstance(config.get("database"), dict):
        database = dict(config["database"])
        if isinstance(database.get("url"), str):
            database["url"] = resolve_sqlite_url(database["url"], base_dir)
        config["database"] = database
    return config
