"""Load form: destination switch, write method (primary key only when needed), DLQ."""

from __future__ import annotations

from typing import Any

from pycharter_gui.designer.views.forms.base import FormBase
from pycharter_gui.designer.views.forms.fields import Catalog, catalog_by_step
from pycharter_gui.etl_generator import file_formats

DESTINATIONS = ["database", "file", "cloud_storage", "sqlite", "postgresql"]
WRITE_METHODS = ["insert", "upsert", "truncate_and_load", "replace", "update", "delete"]
NEEDS_KEY = {"upsert", "update", "delete", "replace"}


def detect_destination(data: dict[str, Any]) -> str:
    explicit = str(data.get("type") or data.get("destination_type") or "").lower()
    if explicit in {"sqlite", "postgres", "postgresql", "database", "mysql"}:
        return "database"
    if explicit:
        return explicit
    if "storage" in data or "bucket" in data:
        return "cloud_storage"
    if "path" in data or "file_path" in data:
        return "file"
    return "database"


class LoadForm(FormBase):
    """load.yaml: where records go and what happens to records that fail."""

    kind = "load"
    title = "Load"
    field_kinds = ("schema", "transform")  # the pickers offer what the transform emits
    fallback_tips = {
        "type": "where records go: database, file or cloud_storage",
        "table": "target table; it must already exist unless create_table is on",
        "write_method": "insert, upsert, truncate_and_load, replace, update or delete",
        "primary_key": "columns that identify a row (needed by upsert, update, delete)",
        "dead_letter_queue.backend": "where failed records are kept: file, sqlite, memory, "
                                     "database",
    }

    def build(self) -> None:
        _box, f = self.group("Destination")
        self.add_combo(f, "Destination type", "type", "destination_type", items=DESTINATIONS,
                       default="database")
        self.add_line(f, "Batch size", "batch_size", typ=int, placeholder="1000")
        self.db_box, f = self.group("Database")
        self.add_line(f, "Database URL", "database.url", "connection_string", "url",
                      masked=True, placeholder="sqlite:///output.db")
        self.add_line(f, "SQLite file", "path", placeholder="instead of a URL: output.db")
        self.add_line(f, "Table", "table", "target_table", placeholder="my_table")
        self.add_line(f, "Schema", "schema_name", "schema", placeholder="public")
        self.add_check(f, "Create table if missing", "create_table")
        self.write_method = self.add_combo(f, "Write method", "write_method",
                                           items=WRITE_METHODS, default="insert")
        self.primary_key = self.add_list(f, "Primary key", "primary_key", fields="out")
        self.update_columns = self.add_list(f, "Columns updated", "update_columns",
                                            fields="out")
        self.add_value(f, "Unique constraints", "unique_constraints",
                       placeholder="[email] or [[first, last]]")
        self.add_table(f, "SSH tunnel", "ssh_tunnel")
        self._db_form = f
        self.file_box, f = self.group("File")
        self.add_line(f, "Path", "path", "file_path", placeholder="output/result.jsonl")
        self._add_format_rows(f)
        self.cloud_box, f = self.group("Cloud storage")
        self.add_combo(f, "Provider", "storage.provider", "provider",
                       items=["s3", "gcs", "azure"])
        self.add_line(f, "Bucket", "storage.bucket", "storage.container", "bucket", "container")
        self.add_line(f, "Object path", "storage.path", "storage.key", "path")
        self.add_line(f, "Region", "storage.region", placeholder="us-east-1")
        self.add_line(f, "Endpoint URL", "storage.endpoint_url",
                      placeholder="http://127.0.0.1:8333")
        self.add_table(f, "Credentials", "storage.credentials", "credentials")
        self._add_format_rows(f)
        self.add_list(f, "Partition by", "partition_by", fields="out")
        _box, f = self.group("Dead letters (records that fail)")
        self.add_check(f, "Enabled", "dead_letter_queue.enabled", "dlq.enabled", default=True)
        self.add_combo(f, "Backend", "dead_letter_queue.backend", "dlq.backend",
                       items=["file", "sqlite", "memory", "database"], default="file")
        self.add_line(f, "Location", "dead_letter_queue.path", "dead_letter_queue.storage_path",
                      "dlq.path", "dlq.storage_path",
                      placeholder=".pycharter/dead_letters.jsonl")
        self.dlq_table = self.add_line(f, "Table", "dead_letter_queue.table", "dlq.table",
                                       placeholder="dead_letters")
        self.dlq_url = self.add_line(f, "Database URL", "dead_letter_queue.url",
                                     "dead_letter_queue.connection_string", "dlq.url",
                                     "dlq.connection_string", masked=True)
        self.dlq_schema = self.add_line(f, "Schema", "dead_letter_queue.schema_name",
                                        "dead_letter_queue.schema", "dlq.schema_name",
                                        "dlq.schema")
        self._dlq_form = f
        self.add_validation_group()
        _box, f = self.group("Distributed run")
        self.add_combo(f, "Executor", "executor", items=["local", "dask"], default="local")
        self.add_line(f, "Dask scheduler", "scheduler_address",
                      placeholder="tcp://10.0.0.5:8786 (none: a local cluster)")
        self.add_line(f, "Partitions", "partitions", typ=int, placeholder="4")

    def _add_format_rows(self, f: Any) -> None:
        """Format, write mode and the CSV/JSON writing options (file and cloud targets)."""
        self.add_combo(f, "Format", "format", items=list(file_formats("write")), default="json")
        self.add_combo(f, "Write mode", "write_mode", items=["overwrite", "append"],
                       default="overwrite")
        self.add_line(f, "CSV delimiter", "csv_options.delimiter", placeholder=",")
        self.add_check(f, "CSV header row", "csv_options.include_header", default=True)
        self.add_line(f, "JSON indent", "json_options.indent", typ=int, placeholder="2")
        self.add_check(f, "Escape non-ASCII", "json_options.ensure_ascii")

    def step_fields(self) -> dict[str, Catalog]:
        """``out``: the fields the transform emits (unknown after JSONata or a custom
        function, so names are then offered but not checked)."""
        steps = super().step_fields()
        transform = self.doc.data("transform") if self.doc is not None else {}
        ops = transform.get("transform", transform)
        out = catalog_by_step(steps["source"], ops if isinstance(ops, dict) else {})["out"]
        reshaped = bool(transform.get("jsonata") or transform.get("custom_function"))
        for b in self.bindings:
            if b.extra.get("fields") == "out":
                b.extra["check"] = not reshaped
        return {**steps, "out": out}

    def update_visibility(self, data: dict[str, Any]) -> None:
        dest = detect_destination(data)
        self.db_box.setVisible(dest == "database")
        self.file_box.setVisible(dest == "file")
        self.cloud_box.setVisible(dest == "cloud_storage")
        method = str(data.get("write_method") or "insert")
        self._db_form.setRowVisible(self.primary_key, method in NEEDS_KEY)
        dlq = data.get("dead_letter_queue") if isinstance(data.get("dead_letter_queue"), dict) \
            else {}
        self._dlq_form.setRowVisible(self.dlq_table.parentWidget(),
                                     dlq.get("backend") in {"sqlite", "database"})
        for row in (self.dlq_url, self.dlq_schema):
            self._dlq_form.setRowVisible(row.parentWidget(), dlq.get("backend") == "database")
