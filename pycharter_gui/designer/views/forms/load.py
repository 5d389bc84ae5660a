"""Load form: destination switch, write method (primary key only when needed), DLQ."""

from __future__ import annotations

from typing import Any

from pycharter_gui.designer.views.forms.base import FormBase

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
        self.add_line(f, "Database URL", "database.url", "connection_string", masked=True,
                      placeholder="sqlite:///output.db")
        self.add_line(f, "Table", "table", "target_table", placeholder="my_table")
        self.add_line(f, "Schema", "schema_name", "schema", placeholder="public")
        self.write_method = self.add_combo(f, "Write method", "write_method",
                                           items=WRITE_METHODS, default="insert")
        self.primary_key = self.add_list(f, "Primary key", "primary_key")
        self._db_form = f
        self.file_box, f = self.group("File")
        self.add_line(f, "Path", "path", "file_path", placeholder="output/result.jsonl")
        self.add_combo(f, "Format", "format", items=["json", "jsonl", "csv", "parquet"],
                       default="json")
        self.add_combo(f, "Write mode", "write_mode", items=["overwrite", "append"],
                       default="overwrite")
        self.cloud_box, f = self.group("Cloud storage")
        self.add_combo(f, "Provider", "storage.provider", items=["s3", "gcs", "azure"])
        self.add_line(f, "Bucket", "storage.bucket", "storage.container")
        self.add_line(f, "Object path", "storage.path")
        self.add_line(f, "Partition by", "partition_by")
        _box, f = self.group("Dead letters (records that fail)")
        self.add_check(f, "Enabled", "dead_letter_queue.enabled", default=True)
        self.add_combo(f, "Backend", "dead_letter_queue.backend",
                       items=["file", "sqlite", "memory", "database"], default="file")
        self.add_line(f, "Location", "dead_letter_queue.path", "dead_letter_queue.storage_path",
                      placeholder=".pycharter/dead_letters.jsonl")
        self.dlq_table = self.add_line(f, "Table", "dead_letter_queue.table",
                                       placeholder="dead_letters")
        self._dlq_form = f

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
