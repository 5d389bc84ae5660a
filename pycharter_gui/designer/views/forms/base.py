"""``FormBase``: binds widgets to dotted keys of one YAML file of a ``PipelineDocument``.

A user edit becomes ``doc.set_value``/``doc.delete_key`` (one undo step per field run); a text
change from anywhere (YAML tab, undo) refreshes the widgets without echoing back. While the
file does not parse, the form shows the error with its line and keeps the last good values.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QFontDatabase, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer import theme
from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.views.forms.fields import Catalog, sample_catalog, schema_catalog
from pycharter_gui.designer.views.forms.widgets import (
    KeyValueTable,
    ListEditor,
    MaskedUrlEdit,
    OtherKeysTable,
    scalar_to_text,
)
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.yaml_roundtrip import parse_scalar
from pycharter_gui.etl_generator import field_descriptions

_VAR = re.compile(r"\$\{([^}:]+)(?::[-?][^}]*)?\}")
INVALID_STYLE = "border: 1px solid $error; border-radius: 3px;"


@dataclass
class Binding:
    """One widget bound to a key; ``aliases`` are other accepted spellings of that key."""

    keys: tuple[str, ...]
    widget: QWidget
    load: Callable[[Any], None]
    current: Callable[[], Any]
    tooltip: str = ""
    var_label: QLabel | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def var_sources(text: Any) -> str:
    """Where each ``${VAR}`` in ``text`` resolves from; never shows the value itself."""
    if not isinstance(text, str):
        return ""
    parts = []
    for m in _VAR.finditer(text):
        name = m.group(1)
        has_default = ":-" in m.group(0)
        if name in os.environ:
            parts.append(f"${{{name}}}: from the environment")
        elif has_default:
            parts.append(f"${{{name}}}: not set, the default is used")
        else:
            parts.append(f"${{{name}}}: missing (set it in the environment)")
    return "; ".join(parts)


def unbound(data: dict[str, Any], keys: set[str], prefix: str = "") -> dict[str, Any]:
    """Dotted keys of ``data`` not in ``keys``, looking inside mappings that are partly bound."""
    out: dict[str, Any] = {}
    for k, v in data.items():
        path = prefix + str(k)
        if path in keys:
            continue
        if isinstance(v, dict) and any(x.startswith(path + ".") for x in keys):
            out.update(unbound(v, keys, path + "."))
        else:
            out[path] = v
    return out


class FormBase(QScrollArea):
    """Scrollable form over one file kind; subclasses call the ``add_*`` helpers."""

    kind = "extract"
    title = "Extract"
    known_keys: frozenset[str] = frozenset({"title", "description", "version", "name"})
    fallback_tips: dict[str, str] = {}
    field_kinds: tuple[str, ...] = ("schema",)  # other files the pickers' fields come from

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setAccessibleName(f"{self.title} form")
        self.doc: PipelineDocument | None = None
        self.bindings: list[Binding] = []
        self._sample: Catalog = {}
        self._loading = False
        self._stale = False  # changed while in a hidden tab: refreshed when shown
        # The engine's field descriptions need the pydantic models (~0.6 s to import): load
        # them on a worker so the window shows at once, then refresh the tooltips.
        self._tips = dict(self.fallback_tips)
        self._fallbacks: dict[int, str] = {}
        self._tips_job = BlockingJob(lambda: field_descriptions(self.kind))
        self._tips_job.signals.succeeded.connect(self._on_tips_loaded)
        inner = QWidget()
        self.root_layout = QVBoxLayout(inner)
        self.root_layout.setContentsMargins(16, 12, 16, 12)
        self.root_layout.setSpacing(12)
        self.error_banner = self._add_banner("error", "parse error")
        # a single-file pipeline: edited in the YAML tab
        self.format_banner = self._add_banner("info", "read-only")
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        self.body_layout.setContentsMargins(0, 0, 0, 0)
        self.body_layout.setSpacing(12)
        self.root_layout.addWidget(self.body)
        self.other_box = QGroupBox("Other keys (kept as written)")
        self.other_table = OtherKeysTable()
        QVBoxLayout(self.other_box).addWidget(self.other_table)
        self.build()
        self.root_layout.addWidget(self.other_box)
        self.root_layout.addStretch(1)
        self.setWidget(inner)
        self._tips_job.start()

    @Slot(object)
    def _on_tips_loaded(self, tips: dict[str, str]) -> None:
        self._tips = {**self.fallback_tips, **tips}
        for b in self.bindings:
            b.tooltip = self._tip(b.keys, self._fallbacks.get(id(b), ""))
            b.widget.setToolTip(b.tooltip)

    def _add_banner(self, kind: str, what: str) -> QLabel:
        """A hidden bar at the top of the form in the message colours of ``kind``."""
        banner = QLabel(wordWrap=True)
        banner.setAccessibleName(f"{self.title} {what}")
        theme.set_style(banner, f"background:${kind}_bg; color:${kind}_fg; "
                                f"border:1px solid ${kind}_border; padding:8px;border-radius:4px;")
        banner.hide()
        self.root_layout.addWidget(banner)
        return banner

    # -- building --------------------------------------------------------------------------
    def build(self) -> None:
        """Create groups and bound fields (subclasses)."""

    def add_validation_group(self) -> None:
        """The "Validation (against a schema)" group, the same in extract.yaml and load.yaml."""
        _box, f = self.group("Validation (against a schema)")
        self.add_line(f, "Schema file", "validation.schema_path", "validation.schema",
                      placeholder="schema.yaml")
        self.add_combo(f, "On invalid records", "validation.on_error",
                       items=["fail", "warn", "skip", "quarantine"], default="fail")
        self.add_value(f, "Dead letters", "validation.dlq", placeholder="true")

    def group(self, title: str) -> tuple[QGroupBox, QFormLayout]:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.body_layout.addWidget(box)
        return box, form

    def _tip(self, keys: tuple[str, ...], fallback: str = "") -> str:
        for k in keys:
            if k in self._tips:
                return f"{k}: {self._tips[k]}"
        return f"{keys[0]}: {fallback}" if fallback else keys[0]

    def _register(self, b: Binding, form: QFormLayout | None, label: str,
                  field_widget: QWidget | None = None) -> Binding:
        self._fallbacks[id(b)] = b.tooltip
        b.tooltip = self._tip(b.keys, b.tooltip)
        b.widget.setToolTip(b.tooltip)
        b.widget.setAccessibleName(label)
        b.widget.setObjectName(b.keys[0])
        self.bindings.append(b)
        if form is not None:
            form.addRow(label, field_widget or b.widget)
        return b

    def add_line(self, form: QFormLayout, label: str, *keys: str, typ: type = str,
                 placeholder: str = "", tip: str = "", masked: bool = False,
                 password: bool = False) -> QLineEdit:
        edit: QLineEdit = MaskedUrlEdit() if masked else QLineEdit()
        if password:
            edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setPlaceholderText(placeholder)
        var_label = QLabel()
        theme.set_style(var_label, "color: $mid; font-size: 11px;")
        var_label.hide()
        error_label = QLabel(wordWrap=True)  # the field's problem, in words, under it
        theme.set_style(error_label, "color: $error; font-size: 11px;")
        error_label.setAccessibleName(f"{label} problem")
        error_label.hide()
        holder = QWidget()
        lay = QVBoxLayout(holder)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(edit)
        lay.addWidget(var_label)
        lay.addWidget(error_label)

        def current() -> Any:
            raw = edit.real_text() if isinstance(edit, MaskedUrlEdit) else edit.text()
            if raw.strip() == "":
                return None
            if typ is str:
                return raw
            value = parse_scalar(raw)
            return value if isinstance(value, (int, float)) and not isinstance(value, bool) \
                else raw

        def load(value: Any) -> None:
            text = "" if value is None else str(value)
            if isinstance(edit, MaskedUrlEdit):
                edit.set_real_text(text)
            elif edit.text() != text:
                edit.setText(text)
            sources = var_sources(value)
            var_label.setText(sources)
            var_label.setVisible(bool(sources))

        b = self._register(Binding(keys, edit, load, current, tip, var_label,
                                   extra={"error_label": error_label}), form, label, holder)
        edit.textEdited.connect(lambda _t: self._commit(b))
        edit.editingFinished.connect(self._seal)
        return edit

    def add_combo(self, form: QFormLayout | None, label: str, *keys: str, items: list[str],
                  editable: bool = False, tip: str = "", default: str = "") -> QComboBox:
        combo = QComboBox()
        combo.addItems(items)
        combo.setEditable(editable)

        def current() -> Any:
            text = combo.currentText().strip()
            return text or None

        def load(value: Any) -> None:
            text = default if value is None else str(value)
            if combo.findText(text) < 0 and text:
                combo.addItem(text)
            combo.setCurrentIndex(max(combo.findText(text), 0) if text else 0)

        b = self._register(Binding(keys, combo, load, current, tip), form, label)
        combo.activated.connect(lambda _i: self._commit(b))
        if editable and combo.lineEdit() is not None:
            combo.lineEdit().editingFinished.connect(lambda: self._commit(b))
        return combo

    def add_check(self, form: QFormLayout, label: str, *keys: str, default: bool = False,
                  tip: str = "") -> QCheckBox:
        box = QCheckBox()

        def load(value: Any) -> None:
            box.setChecked(default if value is None else bool(value))

        b = self._register(Binding(keys, box, load, box.isChecked, tip), form, label)
        box.toggled.connect(lambda _c: self._commit(b))
        return box

    def add_text(self, form: QFormLayout, label: str, *keys: str, tip: str = "",
                 placeholder: str = "") -> QPlainTextEdit:
        edit = QPlainTextEdit()
        edit.setPlaceholderText(placeholder)
        edit.setTabChangesFocus(True)
        edit.setMinimumHeight(110)
        edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))

        def current() -> Any:
            text = edit.toPlainText()
            return text if text.strip() else None

        def load(value: Any) -> None:
            text = "" if value is None else str(value)
            if edit.toPlainText().rstrip("\n") != text.rstrip("\n"):
                edit.setPlainText(text)

        b = self._register(Binding(keys, edit, load, current, tip), form, label)
        edit.textChanged.connect(lambda: self._commit(b))
        return edit

    def add_value(self, form: QFormLayout, label: str, *keys: str, tip: str = "",
                  placeholder: str = "") -> QLineEdit:
        """A line for a value of any YAML type: ``30``, ``true``, ``[a, b]``, ``{k: v}``."""
        edit = self.add_line(form, label, *keys, tip=tip, placeholder=placeholder)
        b = self.bindings[-1]
        plain_load = b.load

        def current() -> Any:
            return parse_scalar(edit.text()) if edit.text().strip() else None

        b.load = lambda value: plain_load(None if value is None else scalar_to_text(value))
        b.current = current
        return edit

    def add_table(self, form: QFormLayout, label: str, *keys: str, headers: tuple[str, str] = (
            "Key", "Value"), tip: str = "", fields: str = "", check: bool = False
                  ) -> KeyValueTable:
        """A mapping as rows; ``fields``: the step whose fields the key column offers."""
        table = KeyValueTable(*headers)
        b = self._register(Binding(keys, table, table.set_mapping, table.mapping, tip,
                                   extra={"fields": fields, "check": check}), form, label)
        table.edited.connect(lambda _m: self._commit_step(b))
        return table

    def add_list(self, form: QFormLayout, label: str, *keys: str, tip: str = "",
                 fields: str = "", check: bool = True) -> ListEditor:
        """Names as an ordered list; ``fields``: the step whose fields it offers."""
        editor = ListEditor()
        b = self._register(Binding(keys, editor, editor.set_items, editor.items, tip,
                                   extra={"fields": fields, "check": check}), form, label)
        editor.edited.connect(lambda _items: self._commit_step(b))
        return editor

    def bind(self, form: QFormLayout | None, label: str, widget: QWidget, keys: tuple[str, ...],
             load: Callable[[Any], None], current: Callable[[], Any], tip: str = "",
             **extra: Any) -> Binding:
        """Bind a widget of its own kind; the caller commits with ``commit_step``."""
        return self._register(Binding(keys, widget, load, current, tip, extra=extra), form,
                              label)

    # -- field pickers ---------------------------------------------------------------------
    def set_sample(self, records: list[dict[str, Any]] | None) -> None:
        """The Preview sample of this pipeline: its fields feed the pickers."""
        self._sample = sample_catalog(records)
        self.update_fields()

    def source_fields(self) -> Catalog:
        """Fields of the sample, else of schema.yaml."""
        if self._sample or self.doc is None:
            return self._sample
        return schema_catalog(self.doc.data("schema"))

    def step_fields(self) -> dict[str, Catalog]:
        """Fields by step name (``fields=`` of the bindings); subclasses add theirs."""
        return {"source": self.source_fields()}

    def update_fields(self) -> None:
        """Give every picker the fields of its step."""
        steps = self.step_fields()
        for b in self.bindings:
            step = b.extra.get("fields")
            if step and hasattr(b.widget, "set_fields"):
                b.widget.set_fields(steps.get(step, {}), bool(b.extra.get("check")))

    # -- syncing ---------------------------------------------------------------------------
    def key_prefix(self) -> str:
        return ""

    def _full(self, key: str) -> str:
        return self.key_prefix() + key

    def _present_key(self, b: Binding) -> str:
        for k in b.keys:
            if self.doc is not None and self.doc.value(self.kind, self._full(k)) is not None:
                return k
        return b.keys[0]

    def _seal(self) -> None:
        if self.doc is not None:
            self.doc.seal()

    def _commit(self, b: Binding) -> None:
        if self._loading or self.doc is None:
            return
        key = self._full(self._present_key(b))
        value = b.current()
        old = self.doc.value(self.kind, key)
        if isinstance(value, list) and isinstance(old, list) and len(value) == len(old) \
                and all(isinstance(v, dict) for v in value + old):
            for i, (before, after) in enumerate(zip(old, value, strict=True)):
                if before != after:  # only the entry that changed is rewritten
                    self.doc.set_value(self.kind, f"{key}.{i}", after)
            return
        if value is None or value == {} or value == []:
            if old is not None:
                self.doc.delete_key(self.kind, key)
            return
        if isinstance(value, list) and len(value) == 1 and old is not None \
                and not isinstance(old, list):
            value = value[0]  # ``primary_key: id`` stays a scalar while it names one column
        if value != old or type(value) is not type(old):
            # Tables and lists too: the document rewrites only the rows that changed.
            self.doc.set_value(self.kind, key, value)

    def commit_step(self, b: Binding) -> None:
        """Commit ``b`` as an undo step of its own (for widgets bound with ``bind``)."""
        self._commit_step(b)

    def _commit_step(self, b: Binding) -> None:
        """Commit a row added, removed, moved or edited as an undo step of its own."""
        self._commit(b)
        self._seal()

    def set_document(self, doc: PipelineDocument | None) -> None:
        if self.doc is not None:
            self.doc.text_changed.disconnect(self._on_doc_text_changed)
        if doc is not self.doc:
            self._sample = {}  # another pipeline: its sample comes with the next preview
        self.doc = doc
        if doc is not None:
            doc.text_changed.connect(self._on_doc_text_changed)
        self._refresh_when_shown()

    def _on_doc_text_changed(self, kind: str) -> None:
        if kind == self.kind:
            self._refresh_when_shown()
        elif kind in self.field_kinds:
            self.update_fields()

    def _refresh_when_shown(self) -> None:
        """Refresh now, or (in a hidden tab of a shown window) when the form is shown."""
        self._stale = not self.isVisible() and self.window().isVisible()
        if not self._stale:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self.refresh()

    def refresh(self) -> None:
        """Load widget values from the document (last good data while the YAML is broken)."""
        doc = self.doc
        self._loading = True
        try:
            error = doc.parse_error(self.kind) if doc else None
            self.error_banner.setVisible(error is not None)
            if error is not None:
                self.error_banner.setText(
                    f"{self.kind}.yaml does not parse at line {error.line}: {error.message}. "
                    "The form shows the last valid version; fix the YAML tab to continue.")
            locked = doc.read_only_reason() if doc and doc.is_read_only(self.kind) else None
            self.format_banner.setText(locked or "")
            self.format_banner.setVisible(locked is not None)
            self.body.setVisible(locked is None)
            self.body.setEnabled(doc is not None and error is None and locked is None
                                 and self.is_editable())
            for b in self.bindings:
                value = doc.value(self.kind, self._full(self._present_key(b))) if doc else None
                b.load(value)
            data = doc.data(self.kind) if doc else {}
            self.update_visibility(data)
            self.other_table.set_items(self.other_keys(data))
            self.other_box.setVisible(self.other_table.rowCount() > 0)
            self.update_fields()
        finally:
            self._loading = False

    def is_editable(self) -> bool:
        return True

    def update_visibility(self, data: dict[str, Any]) -> None:
        """Show only the fields that apply (subclasses)."""

    def bound_keys(self) -> set[str]:
        """Every key a widget edits, as written in the file, and the metadata keys."""
        return {self._full(k) for b in self.bindings for k in b.keys} | set(self.known_keys)

    def other_keys(self, data: dict[str, Any]) -> dict[str, Any]:
        """Keys no widget edits (inside partly edited sections too): shown, kept as written."""
        return unbound(data, self.bound_keys())

    def show_problems(self, problems: list[Any]) -> None:
        """Mark fields named by ``problems`` (file of this kind) with a red border and text."""
        mine = {p.key: p for p in problems
                if (p.file or "").startswith(self.kind) and getattr(p, "key", "")}
        for b in self.bindings:
            hit = next((mine[self._full(k)] for k in b.keys if self._full(k) in mine), None)
            theme.set_style(b.widget, INVALID_STYLE if hit else "")
            b.widget.setToolTip(b.tooltip + (f"\n\nProblem: {hit.message}" if hit else ""))
            b.widget.setProperty("has_problem", bool(hit))
            error_label = b.extra.get("error_label")
            if error_label is not None:
                error_label.setText(hit.message if hit else "")
                error_label.setVisible(bool(hit))
