"""Extract form: a source-type switch showing only that source's fields, plus input params."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from pycharter_gui.designer import engine_api
from pycharter_gui.designer.views.forms.base import FormBase
from pycharter_gui.designer.views.forms.widgets import scalar_to_text
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.yaml_roundtrip import parse_scalar

SOURCE_TYPES = ["file", "http", "database", "cloud_storage"]
STRATEGIES = ["page", "offset", "cursor", "next_url", "link_header"]


def detect_source_type(data: dict[str, Any]) -> str:
    """Explicit ``type``/``source_type``, else the engine's auto-detection rules."""
    explicit = data.get("type") or data.get("source_type")
    if explicit:
        return str(explicit).lower()
    if any(k in data for k in ("url", "base_url", "api_endpoint", "endpoint")):
        return "http"
    if "storage" in data or "bucket" in data or "container" in data:
        return "cloud_storage"
    if "path" in data or "file_path" in data:
        return "file"
    if "query" in data or "database" in data:
        return "database"
    return "file"


class InputParamsTable(QWidget):
    """``input_params`` as rows of name, type, default, required."""

    HEADERS = ("Name", "Type", "Default", "Required")

    def __init__(self, on_edit: Any) -> None:
        super().__init__()
        self.table = QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(self.HEADERS)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setMaximumHeight(150)
        self.table.setAccessibleName("Input parameters")
        add, remove = QPushButton("Add"), QPushButton("Remove")
        add.clicked.connect(self._on_add_clicked)
        remove.clicked.connect(self._on_remove_clicked)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.table, 1)
        side = QWidget()
        from PySide6.QtWidgets import QVBoxLayout

        sl = QVBoxLayout(side)
        sl.setContentsMargins(0, 0, 0, 0)
        sl.addWidget(add)
        sl.addWidget(remove)
        sl.addStretch(1)
        lay.addWidget(side)
        self._on_edit = on_edit
        self.table.itemChanged.connect(lambda _i: self._on_edit())

    def set_params(self, value: Any) -> None:
        if isinstance(value, list):
            value = {str(n): {} for n in value}
        value = value if isinstance(value, dict) else {}
        if value == self.params():
            return
        self.table.blockSignals(True)
        self.table.setRowCount(0)
        for name, spec in value.items():
            spec = spec if isinstance(spec, dict) else {}
            cells = [name, spec.get("type", ""), scalar_to_text(spec["default"])
                     if "default" in spec else "", "true" if spec.get("required") else ""]
            row = self.table.rowCount()
            self.table.insertRow(row)
            for c, text in enumerate(cells):
                self.table.setItem(row, c, QTableWidgetItem(str(text)))
        self.table.blockSignals(False)

    def params(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for row in range(self.table.rowCount()):
            cells = [(self.table.item(row, c).text() if self.table.item(row, c) else "").strip()
                     for c in range(4)]
            if not cells[0]:
                continue
            spec: dict[str, Any] = {}
            if cells[1]:
                spec["type"] = cells[1]
            if cells[2]:
                spec["default"] = parse_scalar(cells[2])
            if cells[3]:
                spec["required"] = cells[3].lower() in {"true", "yes", "1", "y"}
            out[cells[0]] = spec
        return out

    def _on_add_clicked(self) -> None:
        self.table.blockSignals(True)
        self.table.insertRow(self.table.rowCount())
        self.table.blockSignals(False)

    def _on_remove_clicked(self) -> None:
        if self.table.currentRow() >= 0:
            self.table.removeRow(self.table.currentRow())
            self._on_edit()


class ExtractForm(FormBase):
    """extract.yaml: where records come from."""

    kind = "extract"
    title = "Extract"
    known_keys = frozenset({"title", "description", "version", "name", "input_params",
                            "param_mapping"})
    fallback_tips = {
        "type": "where the records come from: file, http, database or cloud_storage",
        "path": "file or glob pattern, relative to the pipeline folder",
        "batch_size": "records per batch (the unit of transform and load)",
        "database.url": "SQLAlchemy URL; keep passwords in ${VARIABLES}",
        "query": "SQL text; :name placeholders take values from params",
    }

    def build(self) -> None:
        _box, f = self.group("Source")
        self.type_combo = self.add_combo(f, "Source type", "type", "source_type",
                                         items=SOURCE_TYPES, default="file")
        self.add_line(f, "Batch size", "batch_size", typ=int, placeholder="1000")
        self.add_line(f, "Max records", "max_records", typ=int, placeholder="no limit")
        self.file_box, f = self.group("File")
        self.path_edit = self.add_line(f, "Path", "path", "file_path",
                                       placeholder="data/input.csv")
        browse = QPushButton("Browse…")
        browse.setToolTip("Pick the file to read")
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()  # the button sits beside the path it fills in
        path_row.setSpacing(6)
        holder_layout = self.path_edit.parentWidget().layout()
        holder_layout.removeWidget(self.path_edit)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(browse)
        holder_layout.insertLayout(0, path_row)
        self.add_combo(f, "Format", "format", items=["", "csv", "tsv", "json", "jsonl",
                                                     "parquet", "excel"], editable=True)
        delimiter = self.add_line(f, "CSV delimiter", "csv_options.delimiter", placeholder=",")
        header = self.add_check(f, "CSV has header", "csv_options.has_header", default=True)
        self.add_line(f, "Encoding", "csv_options.encoding", placeholder="utf-8")
        json_path = self.add_line(f, "JSON response path", "response_path", placeholder="data.items")
        # Only the options of the file's format are shown (rows: line edits sit in a holder).
        self._file_form = f
        self._format_rows = {"csv": [delimiter.parentWidget(), header],
                             "json": [json_path.parentWidget()]}
        self.http_box, f = self.group("HTTP")
        self.add_line(f, "Base URL", "base_url", placeholder="https://api.example.com")
        self.add_line(f, "Endpoint", "api_endpoint", "endpoint", "url", placeholder="/v1/items")
        self.add_combo(f, "Method", "method", items=["GET", "POST", "PUT", "PATCH", "DELETE"])
        self.add_table(f, "Query params", "params")
        self.add_table(f, "Headers", "headers")
        self.add_line(f, "Response path", "response_path", placeholder="data.items")
        self.add_line(f, "Read timeout (s)", "timeout.read", typ=float, placeholder="30")
        self.add_line(f, "Retry attempts", "retry.max_attempts", typ=int, placeholder="3")
        self.add_check(f, "Paginate", "pagination.enabled")
        self.strategy_combo = self.add_combo(f, "Pagination", "pagination.strategy",
                                             items=STRATEGIES, default="page")
        self._page_rows = {
            "page": [self.add_line(f, "Page param", "pagination.page.param_name",
                                   placeholder="page"),
                     self.add_line(f, "First page", "pagination.page.start", typ=int,
                                   placeholder="0")],
            "offset": [self.add_line(f, "Offset param", "pagination.offset.param_name",
                                     placeholder="offset"),
                       self.add_line(f, "Offset step", "pagination.offset.increment_by",
                                     typ=int, placeholder="limit")],
            "cursor": [self.add_line(f, "Cursor param", "pagination.cursor.param_name",
                                     placeholder="cursor"),
                       self.add_line(f, "Cursor path", "pagination.cursor.response_path",
                                     placeholder="next_cursor")],
            "next_url": [self.add_line(f, "Next URL path", "pagination.next_url.response_path",
                                       placeholder="next")],
        }
        self._http_form = f
        self.db_box, f = self.group("Database")
        self.add_line(f, "Database URL", "database.url", "connection_string", masked=True,
                      placeholder="postgresql://user:${DB_PASSWORD}@host/db")
        self.add_text(f, "Query", "query", placeholder="SELECT * FROM table WHERE day = :day")
        self.add_table(f, "Query params", "query_params")
        self.cloud_box, f = self.group("Cloud storage")
        self.add_combo(f, "Provider", "storage.provider", items=["s3", "gcs", "azure"])
        self.add_line(f, "Bucket", "storage.bucket", "storage.container")
        self.add_line(f, "Prefix", "storage.prefix", placeholder="exports/2024/")
        self.add_line(f, "Object path", "storage.path")
        self.add_line(f, "Pattern", "storage.pattern", placeholder="*.csv")
        self.add_combo(f, "Format", "format", items=["", "csv", "json", "jsonl", "parquet"],
                       editable=True)
        self.test_box, f = self.group("Connection")
        self.test_button = QPushButton("Test connection")
        self.test_button.setAccessibleName("Test connection")
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        f.addRow(self.test_button, self.test_result)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self._test_job: BlockingJob | None = None
        _params_box, f = self.group("Input parameters")
        self.input_params = InputParamsTable(self._on_input_params_edited)
        f.addRow(self.input_params)

    def _on_browse_clicked(self) -> None:
        start = str(self.doc.path) if self.doc else ""
        path, _ = QFileDialog.getOpenFileName(self, "Choose the file to read", start)
        if path and self.doc is not None:
            try:
                from pathlib import Path

                path = str(Path(path).relative_to(self.doc.path))
            except ValueError:
                pass
            self.doc.set_value(self.kind, "path", path)

    def _on_test_button_clicked(self) -> None:
        if self.doc is None:
            return
        config = self.doc.data(self.kind)
        config.setdefault("base_dir", str(self.doc.path))
        self.test_button.setEnabled(False)
        self.test_result.setText("Testing…")
        job = BlockingJob(lambda: engine_api.test_connection(config))
        job.signals.succeeded.connect(self._on_test_succeeded)
        job.signals.failed.connect(self._on_test_failed)
        self._test_job = job.start()

    @Slot(object)
    def _on_test_succeeded(self, result: dict) -> None:
        self.test_button.setEnabled(True)
        ok = bool(result.get("ok"))
        self.test_result.setText(("✔ " if ok else "✘ ") + str(result.get("message", "")))
        self.test_result.setStyleSheet(f"color: {'#2e9d5b' if ok else '#d0453a'};")

    @Slot(str)
    def _on_test_failed(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText("✘ " + message)
        self.test_result.setStyleSheet("color: #d0453a;")

    def _on_input_params_edited(self) -> None:
        if self._loading or self.doc is None:
            return
        params = self.input_params.params()
        if params:
            self.doc.set_value(self.kind, "input_params", params)
        elif self.doc.value(self.kind, "input_params") is not None:
            self.doc.delete_key(self.kind, "input_params")

    def refresh(self) -> None:
        super().refresh()
        self._loading = True
        self.input_params.set_params(self.doc.value(self.kind, "input_params") if self.doc
                                     else None)
        self._loading = False

    def update_visibility(self, data: dict[str, Any]) -> None:
        source = detect_source_type(data)
        self.file_box.setVisible(source == "file")
        self.http_box.setVisible(source == "http")
        self.db_box.setVisible(source == "database")
        self.cloud_box.setVisible(source == "cloud_storage")
        self.test_box.setVisible(source in {"http", "database", "cloud_storage"})
        fmt = _file_format(data)
        for group, widgets in self._format_rows.items():
            shown = fmt is None or fmt == group or (group == "csv" and fmt == "tsv")
            for w in widgets:
                self._file_form.setRowVisible(w, shown)
        pag = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
        enabled = bool(pag.get("enabled"))
        strategy = str(pag.get("strategy") or "page")
        self._http_form.setRowVisible(self.strategy_combo, enabled)
        for name, widgets in self._page_rows.items():
            for w in widgets:
                self._http_form.setRowVisible(w.parentWidget(), enabled and name == strategy)


def _file_format(data: dict[str, Any]) -> str | None:
    """The file format named or implied by the path's extension; None when unknown."""
    fmt = data.get("format")
    if isinstance(fmt, str) and fmt.strip():
        return fmt.strip().lower()
    path = str(data.get("path") or data.get("file_path") or "").lower().removesuffix(".gz")
    for ext, name in ((".csv", "csv"), (".tsv", "tsv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"),
                      (".json", "json"), (".parquet", "parquet")):
        if path.endswith(ext):
            return name
    return None
