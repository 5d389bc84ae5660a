"""Pydantic building blocks shared by the extract, transform and load config models.

Every field carries a ``description``: the designer shows them as tooltips and the config
reference in the docs is generated from them. Accepted spellings are ``AliasChoices``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator

from ..formats import format_name

METADATA_KEYS = ("title", "description", "version", "name")
DEFAULT_BATCH_SIZE = 1000
"""Records per batch when extract.yaml/load.yaml give none: set once, at normalisation."""


def fld(default: Any, description: str, *aliases: str, name: str | None = None, **kw: Any) -> Any:
    """A ``Field`` with a description and optional alternative spellings."""
    if aliases:
        kw["validation_alias"] = AliasChoices(*(([name] if name else []) + list(aliases)))
    return Field(default, description=description, **kw)


class ConfigModel(BaseModel):
    """Base of all config models: unknown keys are errors, field names always accepted."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, arbitrary_types_allowed=True,
        coerce_numbers_to_str=True,  # `table: 2024` or a numeric password is still text
        defer_build=True,  # built on first use: a run validates a handful of ~35 models
    )


def before(func: Callable[..., Any], *fields: str, **bound: Any) -> Any:
    """``func(value, **bound)`` as a before-validator of ``fields``: one normaliser (``canonical``,
    ``choice``, ...) serves every model and field that needs it. The validator takes the value
    only: pydantic 2.7 reads a second positional parameter (``aliases=None``) as the place for
    its ``ValidationInfo``."""

    def validate(value: Any) -> Any:
        return func(value, **bound)

    return field_validator(*fields, mode="before")(validate)


def canonical(value: Any, aliases: Mapping[str, str] | None = None) -> Any:
    """Text stripped and lower-cased, a synonym in ``aliases`` replaced by its name; anything
    else unchanged (pydantic then reports its type)."""
    value = value.strip().lower() if isinstance(value, str) else value
    return aliases.get(value, value) if aliases else value


def choice(value: Any, allowed: Collection[Any], what: str,
           aliases: Mapping[str, str] | None = None, optional: bool = False) -> Any:
    """``canonical(value, aliases)``, which must be one of ``allowed`` (or None when
    ``optional``); else the ValueError ``unknown <what> '<value>'; use one of <allowed>``."""
    value = canonical(value, aliases)
    if value not in allowed and not (optional and value is None):
        raise ValueError(f"unknown {what} '{value}'; use one of {', '.join(allowed)}")
    return value


def file_format(value: Any, formats: Collection[str]) -> Any:
    """A file format name lower-cased with its synonyms mapped (``format_name``); it must be
    one of ``formats`` (what the readers or the writers handle) or None."""
    return choice(format_name(value) if isinstance(value, str) else value, formats, "format",
                  optional=True)


def as_list(value: Any) -> Any:
    """A lone string as a one-item list (``select: id`` means ``select: [id]``)."""
    return [value] if isinstance(value, str) else value


class CsvOptions(ConfigModel):
    """How CSV/TSV text is split into fields."""

    delimiter: str | None = fld(None, "Field separator; ',' by default, tab for .tsv files.",
                                "sep", name="delimiter")
    quote_char: str | None = fld(None, "Character that quotes fields containing the delimiter "
                                 "(default '\"').", "quotechar", name="quote_char")
    escape_char: str | None = fld(None, "Character that escapes the quote character.",
                                  "escapechar", name="escape_char")
    has_header: bool | None = fld(None, "Whether the first row holds column names (reading; "
                                  "default true).", "header", name="has_header")
    include_header: bool | None = fld(None, "Write a header row (writing; default true).")
    encoding: str | None = fld(None, "Text encoding, e.g. utf-8 (default), latin-1, cp1252.")
    skip_rows: int | None = fld(None, "Number of lines to skip before the header.", ge=0)


class JsonOptions(ConfigModel):
    """How JSON files are read or written."""

    encoding: str | None = fld(None, "Text encoding (default utf-8).")
    lines: bool | None = fld(None, "True: one JSON object per line (JSON Lines).")
    indent: int | None = fld(None, "Indentation when writing JSON (default 2).")
    ensure_ascii: bool | None = fld(None, "Escape non-ASCII characters when writing JSON.")


PARAM_TYPES = {"int": "int", "integer": "int", "float": "float", "number": "float",
               "double": "float", "str": "str", "string": "str", "bool": "bool",
               "boolean": "bool", "date": "date", "datetime": "datetime"}
PARAM_TYPE_NAMES = tuple(sorted(set(PARAM_TYPES.values())))


class InputParam(ConfigModel):
    """A run parameter the pipeline accepts (``run(symbol='AAPL')``)."""

    type: str | None = fld(None, "Value type: str, int, float, bool or date.")
    required: bool = fld(False, "The run fails when this parameter is not given.")
    default: Any = fld(None, "Value used when the parameter is not given.")
    description: str | None = fld(None, "What the parameter means (shown in the run dialog).")

    _check_type = before(choice, "type", allowed=PARAM_TYPE_NAMES, what="parameter type",
                         aliases=PARAM_TYPES, optional=True)


class DlqConfig(ConfigModel):
    """Where records that fail (validation, transform or load) are kept for review."""

    enabled: bool = fld(True, "Keep failed records in the dead-letter queue.")
    backend: Literal["file", "sqlite", "memory", "database"] | None = fld(
        None, "Storage: file (JSON Lines), sqlite, memory, or database.")
    path: str | None = fld(None, "File or SQLite path (relative to the pipeline folder); "
                           "a folder gets dead_letters.jsonl.", "storage_path", name="path")
    url: str | None = fld(None, "Database URL for the database backend.",
                          "connection_string", name="url")
    table: str | None = fld(None, "Table name for the sqlite/database backend.")
    schema_name: str | None = fld(None, "Database schema for the database backend.",
                                  "schema", name="schema_name")

    _lower_backend = before(canonical, "backend")


class ValidationConfig(ConfigModel):
    """Validate each batch against a data-contract schema."""

    schema_path: str | None = fld(None, "JSON Schema (or contract) file, relative to the "
                                  "pipeline folder; without it settings.yaml's contract, else "
                                  "the schema.yaml beside the pipeline.", "schema",
                                  name="schema_path")
    on_error: Literal["fail", "warn", "skip", "quarantine"] = fld(
        "fail", "Invalid records: fail (the run stops naming the record), warn (loaded, a "
        "warning each), skip (left out, a warning each) or quarantine (to the dead-letter "
        "queue, reason schema_mismatch).")
    dlq: bool | DlqConfig | None = fld(None, "true/false, or a dead-letter queue mapping.")

    _lower_on_error = before(canonical, "on_error")


class SshTunnel(ConfigModel):
    """Reach a database through an SSH tunnel."""

    enabled: bool = fld(False, "Open the tunnel before connecting.")
    host: str | None = fld(None, "SSH server host.")
    port: int = fld(22, "SSH server port.")
    username: str | None = fld(None, "SSH user name.")
    private_key_path: str | None = fld(None, "Private key file (relative to the pipeline "
                                       "folder); without key and password, the SSH agent and "
                                       "~/.ssh keys.", "key_file", name="private_key_path")
    password: str | None = fld(None, "SSH password, also the private key's passphrase "
                               "(prefer ${VAR}).")
    remote_host: str | None = fld(None, "Database host as seen from the SSH server (default: "
                                  "the URL's host).")
    remote_port: int | None = fld(None, "Database port as seen from the SSH server (default: "
                                  "the URL's port).")
    local_port: int | None = fld(None, "Local port the tunnel listens on (default: a free "
                                 "port); the URL's host:port is rewritten to it.")
    known_hosts: str | None = fld(None, "known_hosts file that must list the SSH server's key; "
                                  "without it the key is not checked.")

    @field_validator("enabled", mode="before")
    @classmethod
    def _truthy(cls, value: Any) -> Any:
        if isinstance(value, str):
            return value.strip().lower() in ("true", "1", "yes", "on")
        return value

    @model_validator(mode="after")
    def _needs_host(self) -> SshTunnel:
        if self.enabled and not self.host:
            raise ValueError("an enabled ssh_tunnel needs 'host' (the SSH server)")
        return self


class StorageConfig(ConfigModel):
    """A location in cloud object storage."""

    provider: Literal["s3", "gcs", "azure"] | None = fld(None, "s3, gcs or azure.")
    bucket: str | None = fld(None, "Bucket name (S3/GCS); 'container' for Azure also works.")
    container: str | None = fld(None, "Azure container (same as bucket).")
    path: str | None = fld(None, "Object key, or a prefix ending in '/' or containing '*'.",
                           "key", name="path")
    prefix: str | None = fld(None, "Listing prefix (read all objects under it).")
    pattern: str | None = fld(None, "Glob filter on object keys, e.g. '*.csv'.")
    region: str | None = fld(None, "Region (S3; default us-east-1).")
    endpoint_url: str | None = fld(None, "S3-compatible endpoint, e.g. http://127.0.0.1:8333 (MinIO, SeaweedFS).")
    profile: str | None = fld(None, "Named credentials profile of the provider's SDK.")
    addressing_style: Literal["path", "virtual", "auto"] | None = fld(
        None, "S3 addressing style; 'path' for most S3-compatible servers.")
    credentials: dict[str, Any] | None = fld(
        None, "Provider credentials, e.g. aws_access_key_id, aws_secret_access_key, region, "
        "endpoint_url; GCS service_account_file; Azure connection_string.")

    _lower_provider = before(canonical, "provider",
                             aliases={"aws": "s3", "google": "gcs", "azure_blob": "azure"})


class StorageKeys(ConfigModel):
    """The ``storage:`` mapping, and its keys written flat, of cloud_storage sources and
    destinations (a mixin: list it before ExtractBase/LoadBase to keep their keys first)."""

    storage: StorageConfig | None = fld(None, "Where the objects are.")
    provider: str | None = fld(None, "Same as storage.provider.")
    bucket: str | None = fld(None, "Same as storage.bucket.")
    container: str | None = fld(None, "Same as storage.container.")
    path: str | None = fld(None, "Same as storage.path.")
    credentials: dict[str, Any] | None = fld(None, "Same as storage.credentials.")


class DatabaseRef(ConfigModel):
    """The ``database:`` mapping of extract/load configs."""

    url: str | None = fld(None, "SQLAlchemy URL, e.g. postgresql://user:${DB_PASSWORD}@host/db "
                          "or sqlite:///data/app.db (relative to the pipeline folder).",
                          "connection_string", name="url")
    type: str | None = fld(None, "Database kind when the URL does not say it.")
    path: str | None = fld(None, "SQLite database file (instead of url).")
    driver: str | None = fld(None, "Instead of url: SQLAlchemy driver, e.g. postgresql+psycopg, "
                             "mysql+pymysql, mssql+pyodbc.")
    host: str | None = fld(None, "Instead of url: server host name or address.")
    port: int | None = fld(None, "Instead of url: server port.")
    username: str | None = fld(None, "Instead of url: user name.", "user", name="username")
    password: str | None = fld(None, "Instead of url: password; write ${DB_PASSWORD} rather than "
                               "the value (never shown in logs or errors).")
    name: str | None = fld(None, "Instead of url: database name.", "dbname", name="name")
    ssh_tunnel: SshTunnel | None = fld(None, "SSH tunnel settings.")
