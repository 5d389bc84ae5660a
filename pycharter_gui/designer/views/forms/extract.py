"""Extract form: a source-type switch showing only that source's fields, plus input params."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Slot
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QWidget,
)

from pycharter_gui.designer import theme
from pycharter_gui.designer.views.forms.base import FormBase
from pycharter_gui.designer.views.forms.fields import Catalog
from pycharter_gui.designer.views.forms.widgets import (
    FieldPicking,
    append_text_row,
    refill_table,
    scalar_to_text,
    show_unknown,
    table_with_buttons,
)
from pycharter_gui.designer.views.watermark_bar import WatermarkBar
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.yaml_roundtrip import parse_scalar
from pycharter_gui.etl_generator import file_formats, format_of_path, test_connection

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


class LinePicker(QObject, FieldPicking):
    """Makes a one-name line of the form a field picker like the others: completion with each
    field's type, "Fields ▾" listing them all, a name that is not a field marked with the
    closest one. A pick is written as typing would."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.edit = edit
        self._init_picking(edit, edit.placeholderText() or "Field")
        holder_layout = edit.parentWidget().layout()  # add_line's holder: edit, then labels
        holder_layout.removeWidget(edit)
        row = QHBoxLayout()
        row.setSpacing(6)
        row.addWidget(edit, 1)
        row.addWidget(self.pick_button)
        holder_layout.insertLayout(0, row)
        holder_layout.addWidget(self.warning)
        edit.textChanged.connect(self._mark_unknown)

    def set_fields(self, fields: Catalog) -> None:
        """Offer ``fields`` (name -> type) and mark a typed name that is not one of them."""
        self._offer_fields(fields)
        self._mark_unknown()

    def _mark_unknown(self) -> None:
        show_unknown(self.warning, [self.edit.text().strip()], self._fields, bool(self._fields))

    def _on_completer_activated(self, name: str) -> None:
        self.edit.setText(name)
        self.edit.textEdited.emit(name)  # the form writes it as it writes typing
        self.edit.editingFinished.emit()


def _param_cells(name: str, spec: Any) -> tuple[str, str, str, str]:
    """An input parameter's row: name, type, default, required."""
    spec = spec if isinstance(spec, dict) else {}
    default = scalar_to_text(spec["default"]) if "default" in spec else ""
    return (str(name), str(spec.get("type", "")), default,
            "true" if spec.get("required") else "")


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
        self.setLayout(table_with_buttons(self.table, self._on_add_clicked,
                                          self._on_remove_clicked).layout)
        self._on_edit = on_edit
        self.table.itemChanged.connect(lambda _i: self._on_edit())

    def set_params(self, value: Any) -> None:
        if isinstance(value, list):
            value = {str(n): {} for n in value}
        value = value if isinstance(value, dict) else {}
        if value == self.params():
            return
        refill_table(self.table, (_param_cells(name, spec) for name, spec in value.items()),
                     lambda *cells: append_text_row(self.table, cells))

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
    fallback_tips = {
        "type": "where the records come from: file, http, database or cloud_storage",
        "path": "file or glob pattern, relative to the pipeline folder",
        "batch_size": "records per batch (the unit of transform and load)",
        "database.url": "SQLAlchemy URL; keep passwords in ${VARIABLES}",
        "query": "SQL text; :name placeholders take values from params",
    }

    def build(self) -> None:
        self.watermark_bar = WatermarkBar()  # above the body: Reset works on any format
        self.root_layout.insertWidget(1, self.watermark_bar)
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
        self.add_combo(f, "Format", "format", items=["", *file_formats("read")], editable=True)
        csv_rows = self._add_csv_rows(f)
        self.add_line(f, "Encoding", "csv_options.encoding", "encoding", placeholder="utf-8")
        json_path = self.add_line(f, "JSON response path", "response_path", placeholder="data.items")
        lines = self.add_check(f, "JSON Lines", "json_options.lines")
        json_encoding = self.add_line(f, "JSON encoding", "json_options.encoding",
                                      placeholder="utf-8")
        self.add_list(f, "Read only columns", "columns", fields="source")
        self.add_line(f, "File name column", "source_file_column", placeholder="source_file")
        self.add_check(f, "Sorted glob order", "sort_files", default=True)
        self.add_check(f, "No match is an error", "fail_on_empty", default=True)
        # Only the options of the file's format are shown (rows: line edits sit in a holder).
        self._file_form = f
        self._format_rows = {"csv": csv_rows,
                             "json": [json_path.parentWidget(), lines,
                                      json_encoding.parentWidget()]}
        self.http_box, f = self.group("HTTP")
        self.add_line(f, "Base URL", "base_url", placeholder="https://api.example.com")
        self.add_line(f, "Endpoint", "api_endpoint", "endpoint", "url", placeholder="/v1/items")
        self.add_combo(f, "Method", "method", items=["GET", "POST", "PUT", "PATCH", "DELETE"])
        self.add_table(f, "Query params", "params")
        self.add_table(f, "Headers", "headers")
        self.add_value(f, "Body (JSON)", "body", placeholder='{"query": "…"}')
        self.add_table(f, "Form fields", "form")
        self.add_combo(f, "Response format", "response_format", items=["json", "jsonl", "text"],
                       default="json")
        self.add_line(f, "Response path", "response_path", placeholder="data.items")
        self.add_line(f, "Read timeout (s)", "timeout.read", "timeout", typ=float,
                      placeholder="30")
        self.add_line(f, "Connect timeout (s)", "timeout.connect", typ=float, placeholder="10")
        self.add_line(f, "Retry attempts", "retry.max_attempts", "retry.max_retries", typ=int,
                      placeholder="3")
        self.add_line(f, "Retry backoff factor", "retry.backoff_factor", typ=float,
                      placeholder="2")
        self.add_value(f, "Retry on status", "retry.retry_on_status",
                       placeholder="[429, 500, 502, 503, 504]")
        self.add_line(f, "Delay after request (s)", "rate_limit_delay", typ=float,
                      placeholder="0")
        self.add_line(f, "Max requests / s", "rate_limit", typ=float, placeholder="no limit")
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
        self._paging_rows = [
            self.add_line(f, "Page size", "pagination.page_size", typ=int, placeholder="100"),
            self.add_line(f, "Page size param", "pagination.limit_param", placeholder="limit"),
            self.add_line(f, "Max pages", "pagination.max_pages", typ=int,
                          placeholder="no limit"),
            self.add_line(f, "Delay between pages (s)", "pagination.page_delay", typ=float,
                          placeholder="0"),
            self.add_value(f, "Stop conditions", "pagination.stop_conditions",
                           placeholder="[{type: fewer_records}]")]
        self._http_form = f
        _auth_box, f = self.group("Authentication")
        self.auth_box = _auth_box
        self.add_combo(f, "Auth type", "auth.type", items=["", "bearer", "basic", "api_key",
                                                           "none"])
        self.add_line(f, "Token", "auth.token", password=True, placeholder="${API_TOKEN}")
        self.add_line(f, "User name", "auth.username")
        self.add_line(f, "Password", "auth.password", password=True, placeholder="${PASSWORD}")
        self.add_line(f, "Key name", "auth.name", "auth.header", "auth.header_name",
                      "auth.param", "auth.param_name", "auth.key_name", placeholder="X-API-Key")
        self.add_line(f, "Key", "auth.value", "auth.api_key", "auth.key", password=True,
                      placeholder="${API_KEY}")
        self.add_combo(f, "Send key in", "auth.in", "auth.location", items=["header", "query"],
                       default="header")
        self.db_box, f = self.group("Database")
        self.add_line(f, "Database URL", "database.url", "connection_string", "url",
                      masked=True, placeholder="postgresql://user:${DB_PASSWORD}@host/db")
        self.add_text(f, "Query", "query", placeholder="SELECT * FROM table WHERE day = :day")
        self.add_line(f, "Table", "table", placeholder="instead of a query")
        self.add_line(f, "Schema", "schema_name", "schema", placeholder="public")
        self.add_table(f, "Query params", "query_params")
        self.partition_column = LinePicker(self.add_line(
            f, "Partition column", "partition_by.column", placeholder="Dask runs: id"))
        self.add_value(f, "Partition ranges", "partition_by.ranges", placeholder="4")
        self.add_table(f, "SSH tunnel", "ssh_tunnel")
        # Incremental loads apply to database and HTTP sources alike.
        self.incremental_box, f = self.group("Incremental loads")
        self.incremental_column = LinePicker(self.add_line(
            f, "Incremental column", "incremental.column", "incremental.watermark_field",
            placeholder="updated_at"))
        self.add_value(f, "First watermark", "incremental.initial", "incremental.initial_value",
                       placeholder="none: all rows")
        self.cloud_box, f = self.group("Cloud storage")
        self.add_combo(f, "Provider", "storage.provider", "provider", items=["s3", "gcs",
                                                                             "azure"])
        self.add_line(f, "Bucket", "storage.bucket", "storage.container", "bucket", "container")
        self.add_line(f, "Prefix", "storage.prefix", placeholder="exports/2024/")
        self.add_line(f, "Object path", "storage.path", "storage.key", "path")
        self.add_line(f, "Pattern", "storage.pattern", placeholder="*.csv")
        self.add_line(f, "Region", "storage.region", placeholder="us-east-1")
        self.add_line(f, "Endpoint URL", "storage.endpoint_url",
                      placeholder="http://127.0.0.1:8333")
        self.add_table(f, "Credentials", "storage.credentials", "credentials")
        self.add_combo(f, "Format", "format", items=["", *file_formats("read")], editable=True)
        self._add_csv_rows(f)
        self.add_line(f, "Encoding", "csv_options.encoding", "encoding", placeholder="utf-8")
        self.add_check(f, "JSON Lines", "json_options.lines")
        self.add_line(f, "JSON response path", "response_path", placeholder="data.items")
        self.add_list(f, "Read only columns", "columns", fields="source")
        self.add_line(f, "Object name column", "source_file_column", placeholder="source_file")
        self.test_box, f = self.group("Connection")
        self.test_button = QPushButton("Test connection")
        self.test_button.setAccessibleName("Test connection")
        self.test_result = QLabel("")
        self.test_result.setWordWrap(True)
        f.addRow(self.test_button, self.test_result)
        self.test_button.clicked.connect(self._on_test_button_clicked)
        self._test_job: BlockingJob | None = None
        _params_box, f = self.group("Parameters")
        self.input_params = InputParamsTable(lambda: self.commit_step(params_binding))
        params_binding = self.bind(f, "Input parameters", self.input_params, ("input_params",),
                                   self.input_params.set_params, self.input_params.params)
        self.add_table(f, "Parameter mapping", "param_mapping", headers=("Run parameter",
                                                                         "Sent as"))
        self.bind_values = self.add_table(f, "Bind values", "params")
        self._params_form = f
        self.add_validation_group()

    def _add_csv_rows(self, f: Any) -> list[QWidget]:
        """CSV reading options (file and cloud sources); returns their rows."""
        delimiter = self.add_line(f, "CSV delimiter", "csv_options.delimiter",
                                  "csv_options.sep", "delimiter", placeholder=",")
        header = self.add_check(f, "CSV has header", "csv_options.has_header",
                                "csv_options.header", default=True)
        quote = self.add_line(f, "CSV quote", "csv_options.quote_char", "csv_options.quotechar",
                              placeholder='"')
        escape = self.add_line(f, "CSV escape", "csv_options.escape_char",
                               "csv_options.escapechar")
        skip = self.add_line(f, "Skip lines", "csv_options.skip_rows", "skip_rows", typ=int,
                             placeholder="0")
        return [delimiter.parentWidget(), header, quote.parentWidget(), escape.parentWidget(),
                skip.parentWidget()]

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
        job = BlockingJob(lambda: test_connection(config))
        job.signals.succeeded.connect(self._on_test_succeeded)
        job.signals.failed.connect(self._on_test_failed)
        self._test_job = job.start()

    @Slot(object)
    def _on_test_succeeded(self, result: dict) -> None:
        self.test_button.setEnabled(True)
        ok = bool(result.get("ok"))
        self.test_result.setText(("✔ " if ok else "✘ ") + str(result.get("message", "")))
        theme.set_style(self.test_result, f"color: ${'ok' if ok else 'error'};")

    @Slot(str)
    def _on_test_failed(self, message: str) -> None:
        self.test_button.setEnabled(True)
        self.test_result.setText("✘ " + message)
        theme.set_style(self.test_result, "color: $error;")

    def update_fields(self) -> None:
        """The pickers of the bindings, and the source columns for the single-name lines."""
        super().update_fields()
        for picker in (self.partition_column, self.incremental_column):
            picker.set_fields(self.source_fields())

    def update_visibility(self, data: dict[str, Any]) -> None:
        self.watermark_bar.set_pipeline(self.doc.path if self.doc else None, "incremental" in data)
        source = detect_source_type(data)
        self.file_box.setVisible(source == "file")
        self.http_box.setVisible(source == "http")
        self.db_box.setVisible(source == "database")
        self.cloud_box.setVisible(source == "cloud_storage")
        self.incremental_box.setVisible(source in {"database", "http"})
        self.test_box.setVisible(source in {"http", "database", "cloud_storage"})
        self.auth_box.setVisible(source == "http")
        self._params_form.setRowVisible(self.bind_values, source != "http")
        fmt = _file_format(data)
        for group, widgets in self._format_rows.items():
            shown = fmt is None or fmt == group or (group == "csv" and fmt == "tsv")
            for w in widgets:
                self._file_form.setRowVisible(w, shown)
        pag = data.get("pagination") if isinstance(data.get("pagination"), dict) else {}
        enabled = bool(pag.get("enabled"))
        strategy = str(pag.get("strategy") or "page")
        self._http_form.setRowVisible(self.strategy_combo, enabled)
        for w in self._paging_rows:
            self._http_form.setRowVisible(w.parentWidget(), enabled)
        for name, widgets in self._page_rows.items():
            for w in widgets:
                self._http_form.setRowVisible(w.parentWidget(), enabled and name == strategy)


def _file_format(data: dict[str, Any]) -> str | None:
    """The file format named or implied by the path's extension; None when unknown."""
    fmt = data.get("format")
    if isinstance(fmt, str) and fmt.strip():
        return fmt.strip().lower()
    return format_of_path(str(data.get("path") or data.get("file_path") or ""))
