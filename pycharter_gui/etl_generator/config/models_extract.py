"""Pydantic models of ``extract.yaml``, one per source type (chosen by ``type``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Tag, field_validator

from ..formats import READ_FORMATS
from .models_common import (
    DEFAULT_BATCH_SIZE,
    ConfigModel,
    CsvOptions,
    DatabaseRef,
    InputParam,
    JsonOptions,
    SshTunnel,
    StorageKeys,
    ValidationConfig,
    before,
    canonical,
    choice,
    file_format,
    fld,
)
from .registry import SOURCES, SourceType, detect_source_type

_READ_LIST = ", ".join(READ_FORMATS)


def normalize_format(value: Any) -> Any:
    """Lower-case a file format name and map its synonyms; reject formats no reader reads."""
    return file_format(value, READ_FORMATS)


class ExtractBase(ConfigModel):
    """Keys every source accepts."""

    type: str | None = fld(None, "Source type: file, database, http or cloud_storage "
                           "(guessed from the other keys when omitted).", "source_type",
                           name="type")
    batch_size: int = fld(DEFAULT_BATCH_SIZE, "Records per batch (the unit of transform and load).", ge=1)
    max_records: int | None = fld(None, "Stop after this many records.", ge=0)
    params: dict[str, Any] = fld({}, "HTTP query parameters, or SQL bind values.")
    input_params: list[str] | dict[str, InputParam | None] | None = fld(
        None, "Run parameters this pipeline accepts: a list of names or a mapping "
        "name -> {type, required, default, description}.")
    param_mapping: dict[str, str] = fld({}, "Run parameter name -> API/SQL parameter name.")
    validation: ValidationConfig | None = fld(None, "Validate extracted records against a "
                                              "schema.")


class FileExtractConfig(ExtractBase):
    """Read local files (CSV, TSV, JSON, JSON Lines, Parquet), or a glob of them."""

    path: str = fld(..., "File or glob (*, ?, **), relative to the pipeline folder.",
                    "file_path", name="path")
    format: str | None = fld(None, f"{_READ_LIST} (default: from the file extension).")
    csv_options: CsvOptions | None = fld(None, "CSV reading options.")
    json_options: JsonOptions | None = fld(None, "JSON reading options.")
    delimiter: str | None = fld(None, "Same as csv_options.delimiter.")
    encoding: str | None = fld(None, "Same as csv_options.encoding / json_options.encoding.")
    skip_rows: int | None = fld(None, "Same as csv_options.skip_rows.", ge=0)
    response_path: str | None = fld(None, "Dotted path to the record list inside a JSON file.")
    columns: list[str] | None = fld(None, "Read only these columns.")
    source_file_column: str | None = fld(None, "Add a column holding each record's file name.")
    sort_files: bool = fld(True, "Read glob matches in sorted order.")
    fail_on_empty: bool = fld(True, "A glob that matches no file is an error.")

    _check_format = before(normalize_format, "format")


class IncrementalConfig(ConfigModel):
    """Read only rows newer than the last successful run, by a watermark column."""

    enabled: bool = fld(True, "false: read everything, as if the block were absent.",
                        exclude=True)
    column: str = fld(..., "Watermark column, e.g. updated_at: rows with a larger value than "
                      "the last run's largest are read, in the column's order. "
                      "${__watermark__} in the query, URL or params becomes the value the run "
                      "starts from.", "watermark_field", name="column")
    initial: Any = fld(None, "Watermark for the first run (none: read every row).",
                       "initial_value", name="initial")


def _enabled_incremental(value: Any) -> Any:
    """``incremental: {enabled: false, ...}`` (pycharter 0.0.54) means no incremental block."""
    return None if isinstance(value, dict) and value.get("enabled") is False else value


class PartitionBy(ConfigModel):
    """How a distributed run (executor: dask) splits a table or query into key ranges."""

    column: str = fld(..., "Numeric or date/time column whose value ranges become partitions.")
    ranges: int | list[list[Any]] = fld(
        4, "Number of equal-width ranges between the column's MIN and MAX, or explicit "
        "[low, high) pairs, e.g. [[0, 1000], [1000, null]] (null: open end).")


class DatabaseExtractConfig(ExtractBase):
    """Run a SQL query (or read a table) through SQLAlchemy."""

    database: DatabaseRef | str | None = fld(None, "Connection: {url: ...} or a URL string.")
    connection_string: str | None = fld(None, "SQLAlchemy URL (same as database.url).")
    url: str | None = fld(None, "SQLAlchemy URL (same as database.url).")
    query: str | None = fld(None, "SQL text; :name marks a bind parameter.")
    table: str | None = fld(None, "Read the whole table instead of a query.")
    schema_name: str | None = fld(None, "Database schema of the table.", "schema",
                                  name="schema_name")
    query_params: dict[str, Any] = fld({}, "SQL bind values (same as params).")
    ssh_tunnel: SshTunnel | None = fld(None, "SSH tunnel settings.")
    incremental: IncrementalConfig | None = fld(
        None, "Incremental extraction: {column, initial}; the watermark is kept between runs.")
    partition_by: PartitionBy | None = fld(
        None, "Distributed runs only: split the source into key ranges {column, ranges}.")

    _incremental = before(_enabled_incremental, "incremental")


class PageOptions(ConfigModel):
    """Page-number pagination."""

    param_name: str = fld("page", "Query parameter holding the page number.")
    start: int = fld(0, "First page number.")
    increment: int = fld(1, "Added to the page number for each request.")


class OffsetOptions(ConfigModel):
    """Offset pagination."""

    param_name: str = fld("offset", "Query parameter holding the offset.")
    start: int = fld(0, "First offset.")
    increment_by: int | str = fld("limit", "Added per page: a number, or 'limit' = params.limit.")


class CursorOptions(ConfigModel):
    """Cursor (token) pagination."""

    param_name: str = fld("cursor", "Query parameter holding the cursor.")
    response_path: str = fld("next_cursor", "Dotted path of the next cursor in the response.",
                             "field", name="response_path")


class NextUrlOptions(ConfigModel):
    """Next-URL pagination."""

    response_path: str = fld("next_url", "Dotted path of the next page's URL in the response.")


class StopCondition(ConfigModel):
    """One condition that ends pagination."""

    type: Literal["fewer_records", "max_pages", "max_records", "empty_response", "custom",
                  "has_more"] = fld(
        ..., "fewer_records, max_pages, max_records, empty_response, custom or has_more.")
    value: Any = fld(None, "Limit for max_pages/max_records; expected value for custom.")
    response_path: str | None = fld(None, "custom: dotted path into the response.")


class PaginationConfig(ConfigModel):
    """Follow pages of an API (nested form, or the flat keys of pycharter 0.0.35)."""

    enabled: bool | None = fld(None, "Turn pagination on (default: on when other keys are set).")
    strategy: Literal["page", "offset", "cursor", "next_url", "link_header", "link"] | None = fld(
        None, "page, offset, cursor, next_url or link_header.")
    page: PageOptions | None = fld(None, "Page-number options.")
    offset: OffsetOptions | None = fld(None, "Offset options.")
    cursor: CursorOptions | None = fld(None, "Cursor options.")
    next_url: NextUrlOptions | None = fld(None, "Next-URL options.")
    link_header: dict[str, Any] | None = fld(None, "Follow the Link: rel=\"next\" header.")
    stop_conditions: list[StopCondition] | None = fld(None, "Any one true stops paging.")
    page_delay: float = fld(0.0, "Seconds to wait between page requests.", ge=0)
    page_param: str | None = fld(None, "Flat form: page.param_name.")
    offset_param: str | None = fld(None, "Flat form: offset.param_name.")
    limit_param: str | None = fld(None, "Query parameter holding the page size (default limit).")
    cursor_param: str | None = fld(None, "Flat form: cursor.param_name.")
    cursor_path: str | None = fld(None, "Flat form: cursor.response_path.")
    next_link_path: str | None = fld(None, "Flat form: next_url.response_path.")
    page_size: int | None = fld(None, "Records per page (sent as limit_param).", ge=1)
    max_pages: int | None = fld(None, "Stop after this many pages.", ge=1)

    _lower_strategy = before(canonical, "strategy",
                             aliases={"page_number": "page", "next": "next_url"})


class TimeoutConfig(ConfigModel):
    """Timeouts in seconds: per network step, per request, and for the whole extraction."""

    connect: float = fld(10.0, "Seconds to establish a connection.", gt=0)
    read: float = fld(30.0, "Seconds to wait for the next piece of response data.", gt=0)
    write: float = fld(10.0, "Seconds to send the request.", gt=0)
    pool: float = fld(10.0, "Seconds to wait for a free connection.", gt=0)
    request: float | None = fld(
        300.0, "Seconds one request may take in all, body included (ends a server that "
        "trickles its answer; a retry follows). null: no limit.", gt=0)
    total: float | None = fld(
        None, "Seconds the whole extraction may take from its first request, pages, retries "
        "and loading included; reaching it fails the run. null: no limit.", gt=0)


class RetryConfig(ConfigModel):
    """Retrying failed requests."""

    max_attempts: int = fld(3, "Total attempts per request.", "max_retries",
                            name="max_attempts", ge=1)
    backoff_factor: float = fld(2.0, "Wait factor**(attempt-1) seconds before a retry.", ge=0)
    retry_on_status: list[int] = fld([429, 500, 502, 503, 504], "HTTP statuses that are retried.")
    max_backoff: float | None = fld(None, "Longest wait between attempts, in seconds.", gt=0)


AUTH_TYPES = ("bearer", "basic", "api_key", "none")


class AuthConfig(ConfigModel):
    """How to authenticate to the API."""

    type: str = fld(..., "bearer, basic, api_key or none.")
    token: str | None = fld(None, "bearer: the token (use ${API_TOKEN}).")
    username: str | None = fld(None, "basic: user name.")
    password: str | None = fld(None, "basic: password (use ${VAR}).")
    name: str | None = fld(None, "api_key: header or query parameter name, e.g. X-API-Key.",
                           "header", "header_name", "param", "param_name", "key_name",
                           name="name")
    value: str | None = fld(None, "api_key: the key (use ${API_KEY}).", "api_key", "key",
                            name="value")
    in_: Literal["header", "query"] = fld("header", "api_key: send in a header or the query.",
                                          "in", "location", name="in")

    @field_validator("type", mode="before")
    @classmethod
    def _check_type(cls, value: Any) -> Any:
        value = value.replace("-", "_") if isinstance(value, str) else value
        return choice(value, AUTH_TYPES, "auth type",
                      {"apikey": "api_key", "bearer_token": "bearer", "token": "bearer"})

    _lower_in = before(canonical, "in_")


class HttpExtractConfig(ExtractBase):
    """Call an HTTP API (GET/POST/...), optionally across pages."""

    url: str | None = fld(None, "Full endpoint URL (or base_url + api_endpoint).")
    base_url: str | None = fld(None, "Server part, e.g. https://api.example.com.")
    api_endpoint: str | None = fld(None, "Path joined to base_url; {name} takes a run "
                                   "parameter.", "endpoint", name="api_endpoint")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = fld("GET", "HTTP method.")
    headers: dict[str, Any] = fld({}, "Request headers.")
    body: Any = fld(None, "JSON body (POST/PUT/PATCH).")
    form: dict[str, Any] | None = fld(None, "Form fields sent url-encoded (instead of body).")
    response_format: Literal["json", "jsonl", "text"] = fld("json", "json, jsonl or text.")
    response_path: str | None = fld(None, "Dotted path to the record list, e.g. data.items.")
    timeout: float | TimeoutConfig | None = fld(None, "Seconds, or {connect, read, write, pool}.")
    retry: RetryConfig | None = fld(None, "Retry settings.")
    rate_limit_delay: float = fld(0.0, "Seconds to wait after each request.", ge=0)
    rate_limit: float | None = fld(None, "Maximum requests per second.", gt=0)
    pagination: PaginationConfig | None = fld(None, "Pagination settings.")
    auth: AuthConfig | None = fld(None, "Authentication.")
    incremental: IncrementalConfig | None = fld(
        None, "Incremental extraction: {column, initial}; the largest column value read is kept "
        "between runs and fills ${__watermark__} in the URL, params, headers or body.")

    _incremental = before(_enabled_incremental, "incremental")
    _lower_format = before(canonical, "response_format")

    @field_validator("method", mode="before")
    @classmethod
    def _upper_method(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value


class CloudStorageExtractConfig(StorageKeys, ExtractBase):
    """Read objects from S3, Google Cloud Storage or Azure Blob Storage."""

    format: str | None = fld(None, "File format of the objects (default: from the key).")
    csv_options: CsvOptions | None = fld(None, "CSV reading options.")
    json_options: JsonOptions | None = fld(None, "JSON reading options.")
    delimiter: str | None = fld(None, "Same as csv_options.delimiter.")
    encoding: str | None = fld(None, "Same as csv_options.encoding.")
    response_path: str | None = fld(None, "Dotted path to the record list inside a JSON object.")
    columns: list[str] | None = fld(None, "Read only these columns.")
    source_file_column: str | None = fld(None, "Add a column holding each record's object key.")

    _check_format = before(normalize_format, "format")


_EXTRACTORS = "pycharter_gui.etl_generator.extractors"
SOURCES.register("file", SourceType(
    FileExtractConfig, f"{_EXTRACTORS}.file:FileExtractor", frozenset({"path", "file_path"}),
    unless_keys=frozenset({"storage"}), priority=20))
SOURCES.register("database", SourceType(
    DatabaseExtractConfig, f"{_EXTRACTORS}.database:DatabaseExtractor",
    frozenset({"query", "database", "connection_string", "table"}), priority=30),
    aliases=("sql",))
SOURCES.register("http", SourceType(
    HttpExtractConfig, f"{_EXTRACTORS}.http:HTTPExtractor",
    frozenset({"url", "base_url", "api_endpoint", "endpoint"}), priority=10),
    aliases=("api", "rest"))
SOURCES.register("cloud_storage", SourceType(
    CloudStorageExtractConfig, f"{_EXTRACTORS}.cloud_storage:CloudStorageExtractor",
    frozenset({"storage", "bucket", "container"}), priority=40),
    aliases=("cloud", "s3", "gcs", "azure"))

EXTRACT_MODELS: dict[str, type[ExtractBase]] = {
    name: entry.model for name, entry in SOURCES.items() if entry.model is not None}
"""The built-in source types' models, by type name."""


def _extract_tag(value: Any) -> str | None:
    return detect_source_type(value) if isinstance(value, dict) else getattr(value, "type", None)


ExtractConfig = Annotated[
    Union[tuple(Annotated[model, Tag(name)] for name, model in EXTRACT_MODELS.items())],  # noqa: UP007
    Discriminator(_extract_tag),
]
"""Any extract config; the source type picks the model."""
