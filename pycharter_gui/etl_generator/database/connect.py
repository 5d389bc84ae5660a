"""Connecting to a database: one place that turns a config URL into a SQLAlchemy engine,
masks secrets and explains connection failures in words an analyst can act on."""

from __future__ import annotations

import importlib.util
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import registry
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from .. import secrets
from ..errors import ConfigError, ConfigProblem

CONNECT_TIMEOUT_SECONDS = 10

# Default drivers when a URL names only the database kind (``postgresql://``).
_DEFAULT_DRIVERS = {
    "postgresql": [("psycopg2", "psycopg2"), ("psycopg", "psycopg")],
    "mysql": [("MySQLdb", "mysqldb"), ("pymysql", "pymysql")],
    "mariadb": [("MySQLdb", "mysqldb"), ("pymysql", "pymysql")],
}
_SCHEME_ALIASES = {"postgres": "postgresql", "pg": "postgresql", "sqlserver": "mssql"}
# pycharter configs name async drivers; the engine is sync, so each maps to the default sync
# driver of its database (said once per driver in the log).
_ASYNC_DRIVERS = frozenset({"aiosqlite", "asyncpg", "psycopg_async", "aiomysql", "asyncmy",
                            "aioodbc"})
_async_mapped: set[str] = set()
log = logging.getLogger(__name__)


def parse_url(url: str | URL, *, key: str = "url", file: str | None = None) -> URL:
    """Parse a config URL, normalising scheme aliases and choosing an installed driver."""
    if isinstance(url, URL):
        parsed = url
    else:
        if not isinstance(url, str) or not url.strip():
            raise ConfigError([ConfigProblem(file=file, key=key, message="a database URL is required",
                                             hint="e.g. sqlite:///data.db or "
                                                  "postgresql://user@host:5432/db")])
        try:
            parsed = make_url(url.strip())
        except ArgumentError as exc:
            raise ConfigError([ConfigProblem(
                file=file, key=key, message=f"not a valid database URL ({exc})",
                hint="use dialect[+driver]://user:password@host:port/database")]) from exc
    backend, _, driver = parsed.drivername.partition("+")
    backend = _SCHEME_ALIASES.get(backend, backend)
    if driver in _ASYNC_DRIVERS:
        if parsed.drivername not in _async_mapped:
            _async_mapped.add(parsed.drivername)
            log.info("Database URL scheme '%s' names an async driver; this engine connects "
                     "with the sync driver of %s instead", parsed.drivername, backend)
        driver = "pyodbc" if driver == "aioodbc" else ""
    if not driver:
        for module, name in _DEFAULT_DRIVERS.get(backend, []):
            if importlib.util.find_spec(module) is not None:
                driver = name
                break
    return parsed.set(drivername=f"{backend}+{driver}" if driver else backend)


_USERINFO_RE = re.compile(r"^[^:/?#]+://([^/?#]*)@")


def url_problem(url: str) -> tuple[str, str] | None:
    """Why ``url`` cannot work, as (message, hint), checked without connecting; else None.

    Catches what a run would only find later: an unencoded ``@`` in the user or password, an
    unknown ``dialect+driver``, a driver that is not installed. Never shows the password."""
    userinfo = _USERINFO_RE.match(url.strip())
    if userinfo and "@" in userinfo.group(1):
        return ("the user name or password contains '@', which a URL must encode as %40",
                "encode it, e.g. in Python: urllib.parse.quote(password, safe=''), or give "
                "username and password as separate fields under database:")
    try:
        parsed = parse_url(url)
    except ConfigError as exc:
        problem = exc.problems[0]
        return problem.message, problem.hint or ""
    try:
        dialect = registry.load(parsed.drivername.replace("+", "."))
    except NoSuchModuleError:
        return (f"unknown database driver '{parsed.drivername}'",
                "e.g. sqlite:///data.db, postgresql+psycopg://..., mysql+pymysql://...")
    try:
        dialect.import_dbapi()
    except ImportError as exc:
        return (f"the driver of '{parsed.drivername}' is not installed ({exc.name or exc})",
                f"pip install {exc.name}" if exc.name else "install the database driver")
    return None


def url_from_parts(driver: str, *, host: str | None = None, port: int | None = None,
                   user: str | None = None, password: str | None = None,
                   database: str | None = None, query: dict[str, str] | None = None) -> str:
    """Build a URL string from separate connection fields (the password is escaped)."""
    url = URL.create(driver, username=user or None, password=password or None, host=host or None,
                     port=int(port) if port else None, database=database or None,
                     query=query or {})
    return url.render_as_string(hide_password=False)


def mask_url(url: str | URL) -> str:
    """The URL with its password hidden, safe for messages and logs: known secret values are
    masked before it is parsed (``secrets.mask_url``), so a password holding ``@`` never
    shows in part."""
    return secrets.mask_url(url.render_as_string(hide_password=False)
                            if isinstance(url, URL) else url)


def backend_name(url: URL) -> str:
    """The database kind of a URL: sqlite, postgresql, mysql (MariaDB included), mssql, ..."""
    name = url.get_backend_name()
    return "mysql" if name == "mariadb" else name


def sqlite_path(url: URL) -> Path | None:
    """The file of a file-based SQLite URL, else None (memory databases, other backends)."""
    if backend_name(url) != "sqlite":
        return None
    db = url.database or ""
    if not db or db == ":memory:" or db.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(db)


def create_engine(url: str | URL, *, connect_timeout: int | None = None,
                  key: str = "url", file: str | None = None, **kwargs: Any) -> Engine:
    """Create a sync engine for ``url`` with a connect timeout where the driver has one."""
    parsed = parse_url(url, key=key, file=file)
    backend = backend_name(parsed)
    connect_args: dict[str, Any] = dict(kwargs.pop("connect_args", {}))
    timeout = connect_timeout or CONNECT_TIMEOUT_SECONDS
    if backend == "postgresql" or (backend == "mysql" and parsed.get_driver_name() in
                                   ("pymysql", "mysqldb")):
        connect_args.setdefault("connect_timeout", timeout)
    elif backend == "sqlite":
        connect_args.setdefault("timeout", timeout)
    try:
        return sa.create_engine(parsed, connect_args=connect_args, **kwargs)
    except (NoSuchModuleError, ImportError) as exc:
        from ..errors import NotAvailableError

        raise NotAvailableError(
            f"No driver for '{parsed.drivername}' is installed ({exc}); install psycopg "
            "(PostgreSQL) or pymysql (MySQL/MariaDB)."
        ) from exc


def engine_of(bind: Any) -> tuple[Engine | None, bool]:
    """``(engine, owned)``: the sync engine behind a caller's Engine, Connection or ORM Session.

    An async engine, connection or session (pycharter 0.0.20 passed an ``AsyncSession``) gets a
    new sync engine on its URL, its async driver mapped to the sync one: ``owned`` is then True
    and the caller disposes it. ``(None, False)`` for anything else.
    """
    get_bind = getattr(bind, "get_bind", None)
    if not isinstance(bind, Engine | sa.Connection) and callable(get_bind):
        bind = get_bind()
    engine = bind if isinstance(bind, Engine) else getattr(bind, "engine", None)
    engine = getattr(engine, "sync_engine", engine)
    if not isinstance(engine, Engine):
        return None, False
    if engine.dialect.is_async:
        return create_engine(engine.url), True
    return engine, False


@dataclass(frozen=True)
class ConnectionProblem:
    """A classified connection or statement failure."""

    kind: str  # unreachable | auth_failed | database_missing | timeout | busy | error
    retriable: bool
    message: str


_PATTERNS: list[tuple[str, bool, tuple[str, ...]]] = [
    ("auth_failed", False, ("password authentication failed", "access denied",
                            "authentication failed", "no password supplied",
                            "role \"", "(1045", "(1044", "(1698")),
    ("database_missing", False, ("does not exist\n", "unknown database", "(1049",
                                 "unable to open database file")),
    ("timeout", True, ("timeout expired", "timed out", "lost connection")),
    ("busy", True, ("deadlock", "lock wait timeout", "database is locked")),
    ("unreachable", True, ("connection refused", "could not connect", "can't connect",
                           "could not translate host", "name or service not known",
                           "server closed the connection", "(2003", "(2005", "(2006",
                           "(2013", "connection is bad", "no route to host")),
]


def classify_db_error(exc: BaseException) -> ConnectionProblem:
    """Sort a driver error into unreachable / auth_failed / database_missing / ... ."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    first = text.splitlines()[0] if text else type(orig).__name__
    low = text.lower() + "\n"
    if "database \"" in low and "does not exist" in low:
        return ConnectionProblem("database_missing", False, first)
    for kind, retriable, needles in _PATTERNS:
        if any(n in low for n in needles):
            return ConnectionProblem(kind, retriable, first)
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return ConnectionProblem("unreachable", True, first)
    return ConnectionProblem("error", False, first)


def url_from_config(config: dict[str, Any]) -> str | None:
    """The URL a source or target config gives (``url`` or ``connection_string``, also under
    ``database:``); None when it gives none."""
    for cfg in (config, config.get("database") if isinstance(config.get("database"), dict)
                else {}):
        for key in ("url", "connection_string"):
            if isinstance(cfg.get(key), str) and cfg[key]:
                return cfg[key]
    return None


def test_connection(config: dict[str, Any], *, timeout: int = 5) -> dict[str, Any]:
    """Try to connect with a database config: ``{ok, message, details}`` for the designer.

    Never raises for connection problems: ``details["error_type"]`` says what went wrong
    (unreachable, auth_failed, database_missing, timeout, config, error).
    """
    raw = url_from_config(config)
    try:
        url = parse_url(raw or "")
    except ConfigError as exc:
        return {"ok": False, "message": exc.problems[0].message,
                "details": {"error_type": "config"}}
    masked = mask_url(url)
    details: dict[str, Any] = {"url": masked, "dialect": backend_name(url)}
    path = sqlite_path(url)
    if path is not None and not path.exists():
        details["error_type"] = "database_missing"
        return {"ok": False, "message": f"SQLite database file not found: {path}",
                "details": details}
    try:
        engine = create_engine(url, connect_timeout=timeout, poolclass=sa.pool.NullPool)
    except Exception as exc:  # missing driver
        details["error_type"] = "config"
        return {"ok": False, "message": str(exc), "details": details}
    try:
        with engine.connect() as conn:
            info = conn.dialect.server_version_info or ()
            version = ".".join(str(p) for p in info)
            if details["dialect"] == "sqlite":
                version = conn.exec_driver_sql("select sqlite_version()").scalar() or version
    except DBAPIError as exc:
        problem = classify_db_error(exc)
        details["error_type"] = problem.kind
        return {"ok": False, "details": details,
                "message": f"Cannot connect to {masked}: {_KIND_TEXT.get(problem.kind, '')}"
                           f"{problem.message}"}
    finally:
        engine.dispose()
    details["server_version"] = version
    return {"ok": True, "message": f"Connected to {details['dialect']} {version} at {masked}",
            "details": details}


test_connection.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

_KIND_TEXT = {
    "unreachable": "server unreachable - ",
    "auth_failed": "authentication failed - ",
    "database_missing": "database missing - ",
    "timeout": "timed out - ",
}


__all__ = [
    "ConnectionProblem",
    "backend_name",
    "classify_db_error",
    "create_engine",
    "mask_url",
    "parse_url",
    "sqlite_path",
    "test_connection",
    "url_from_parts",
]
