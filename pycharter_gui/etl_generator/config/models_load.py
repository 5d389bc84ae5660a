"""Pydantic models of ``load.yaml``, one per destination type."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Tag

from ..formats import WRITE_FORMATS
from .models_common import (
    DEFAULT_BATCH_SIZE,
    ConfigModel,
    CsvOptions,
    DatabaseRef,
    DlqConfig,
    JsonOptions,
    SshTunnel,
    StorageConfig,
    StorageKeys,
    ValidationConfig,
    as_list,
    before,
    canonical,
    choice,
    file_format,
    fld,
)

WRITE_METHODS = ("insert", "upsert", "truncate_and_load", "replace", "update", "delete")
DATABASE_TYPES = ("database", "sqlite", "postgres", "postgresql", "mysql", "mariadb", "mssql",
                  "sqlserver", "oracle")


class LoadBase(ConfigModel):
    """Keys every destination accepts."""

    type: str | None = fld(None, "Destination: file, database (also sqlite, postgres, "
                           "postgresql) or cloud_storage.", "destination_type", name="type")
    batch_size: int = fld(DEFAULT_BATCH_SIZE, "Records per write/transaction.", ge=1)
    dead_letter_queue: DlqConfig | bool | None = fld(None, "Dead-letter queue for failed records "
                                                     "(default: .pycharter/dead_letters.jsonl).")
    dlq: DlqConfig | bool | None = fld(None, "Same as dead_letter_queue.")
    validation: ValidationConfig | None = fld(None, "Validate records before loading.")
    executor: Literal["local", "dask"] | None = fld(
        None, "local (default) or dask: run partitioned on a Dask cluster.")
    scheduler_address: str | None = fld(
        None, "Dask scheduler address, e.g. tcp://10.0.0.5:8786 (none: a local cluster).")
    partitions: int | None = fld(None, "Dask runs: number of key/page ranges to split into.",
                                 ge=1)

    _lower_executor = before(canonical, "executor")


class FileLoadConfig(LoadBase):
    """Write records to a local file."""

    path: str = fld(..., "Output file, relative to the pipeline folder.", "file_path",
                    name="path")
    format: str | None = fld(None, "json, jsonl, csv or parquet (default: from the extension, "
                             "else json).")
    write_mode: Literal["overwrite", "append"] = fld("overwrite", "overwrite or append.")
    csv_options: CsvOptions | None = fld(None, "CSV writing options.")
    json_options: JsonOptions | None = fld(None, "JSON writing options.")

    _check_format = before(file_format, "format", formats=WRITE_FORMATS)
    _lower_mode = before(canonical, "write_mode")


class DatabaseLoadConfig(LoadBase):
    """Write records to a database table (which must exist unless create_table is true)."""

    table: str = fld(..., "Target table.", "target_table", name="table")
    schema_name: str | None = fld(None, "Database schema (PostgreSQL default public).", "schema",
                                  name="schema_name")
    database: DatabaseRef | str | None = fld(None, "Connection: {url: ...} or a URL string.")
    connection_string: str | None = fld(None, "SQLAlchemy URL (same as database.url).")
    url: str | None = fld(None, "SQLAlchemy URL (same as database.url).")
    path: str | None = fld(None, "SQLite database file, relative to the pipeline folder.")
    write_method: str = fld("insert", "insert, upsert, truncate_and_load, replace, update or "
                            "delete.")
    primary_key: str | list[str] | None = fld(None, "Key column(s); needed by upsert, update, "
                                              "replace and delete.")
    update_columns: list[str] | None = fld(None, "upsert: columns updated on conflict "
                                           "(default: all non-key columns).")
    unique_constraints: list[str] | list[list[str]] | None = fld(
        None, "Alternative conflict target columns.")
    create_table: bool = fld(False, "Create the table from the first batch when missing.")
    ssh_tunnel: SshTunnel | None = fld(None, "SSH tunnel settings.")

    _check_method = before(choice, "write_method", allowed=WRITE_METHODS, what="write_method",
                           aliases={"append": "insert", "truncate": "truncate_and_load"})


class CloudStorageLoadConfig(StorageKeys, LoadBase):
    """Write one object to S3, Google Cloud Storage or Azure Blob Storage."""

    storage: StorageConfig | None = fld(None, "Where to write.")  # first, as in StorageKeys
    format: str | None = fld(None, "json, jsonl, csv or parquet (default: from the key).")
    write_mode: Literal["overwrite", "append"] = fld("overwrite", "overwrite or append.")
    partition_by: list[str] | None = fld(None, "Columns that become Hive-style key prefixes.")
    csv_options: CsvOptions | None = fld(None, "CSV writing options.")
    json_options: JsonOptions | None = fld(None, "JSON writing options.")

    _check_format = before(file_format, "format", formats=WRITE_FORMATS)
    _listify = before(as_list, "partition_by")


LOAD_MODELS: dict[str, type[LoadBase]] = {
    "file": FileLoadConfig,
    "database": DatabaseLoadConfig,
    "cloud_storage": CloudStorageLoadConfig,
}


def detect_destination_type(raw: dict[str, Any]) -> str | None:
    """Destination type named or implied by a load config (config-format §5.1)."""
    for key in ("type", "destination_type"):
        value = raw.get(key)
        if isinstance(value, str) and value.strip():
            name = value.strip().lower()
            if name in DATABASE_TYPES:
                return "database"
            return {"s3": "cloud_storage", "gcs": "cloud_storage", "azure": "cloud_storage",
                    "cloud": "cloud_storage"}.get(name, name)
    keys = set(raw)
    if "mongodb" in keys:
        return "mongodb"
    if keys & {"table", "target_table"} or keys & {"database", "connection_string"}:
        return "database"
    if keys & {"storage", "bucket", "container"}:
        return "cloud_storage"
    if keys & {"path", "file_path"}:
        return "file"
    return "database"  # the seed's default


def _load_tag(value: Any) -> str | None:
    return detect_destination_type(value) if isinstance(value, dict) else getattr(
        value, "type", None)


LoadConfig = Annotated[
    Annotated[FileLoadConfig, Tag("file")]
    | Annotated[DatabaseLoadConfig, Tag("database")]
    | Annotated[CloudStorageLoadConfig, Tag("cloud_storage")],
    Discriminator(_load_tag),
]
"""Any load config; the destination type picks the model."""
