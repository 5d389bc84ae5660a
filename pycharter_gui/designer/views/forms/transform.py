"""Transform form: simple operations as tables and lists, filter, JSONata, custom function."""

from __future__ import annotations

from typing import Any

from pycharter_gui.designer.views.forms.base import FormBase
from pycharter_gui.designer.views.forms.fields import Catalog, catalog_by_step
from pycharter_gui.designer.views.forms.filter_editor import FilterEditor

SIMPLE_OPS = ("rename", "flatten", "convert", "defaults", "add", "select", "drop", "filter")


class TransformForm(FormBase):
    """transform.yaml: how records are reshaped, in the order rename → … → filter."""

    kind = "transform"
    title = "Transform"
    fallback_tips = {
        "rename": "old name → new name (renamed fields move to the end of the record)",
        "convert": "field → type: int, float, str, bool, datetime, date",
        "defaults": "field → value used when the field is missing or null",
        "add": "new field → expression, e.g. concat(${first}, ' ', ${last})",
        "select": "keep only these fields",
        "drop": "remove these fields",
        "filter": "keep records for which every condition holds",
        "strict": "a failed conversion sends the record to the dead-letter queue",
        "jsonata.expression": "JSONata expression applied after the simple operations",
        "jsonata.mode": "record: once per record; batch: once per batch (an array)",
        "custom_function.module": "Python module beside the YAML or importable",
    }

    def build(self) -> None:
        _box, f = self.group("Simple operations (applied in this order)")
        self.rename = self.add_table(f, "Rename", "rename", headers=("From", "To"),
                                     fields="rename", check=True)
        self.add_value(f, "Flatten", "flatten", placeholder="[address] (0.0.20 dialect)")
        # 0.0.20 spelled convert ``type`` and defaults ``fill_null`` (top level).
        self.convert = self.add_table(f, "Convert", "convert", "type", headers=("Field", "Type"),
                                      fields="convert", check=True)
        self.strict = self.add_check(f, "Strict conversions", "strict", "convert_strict",
                                     "transform.strict")
        self.defaults = self.add_table(f, "Defaults", "defaults", "fill_null",
                                       headers=("Field", "Value"), fields="defaults")
        self.add_ops = self.add_table(f, "Add", "add", headers=("Field", "Expression"),
                                      fields="add")
        self.select = self.add_list(f, "Select", "select", fields="select")
        self.drop = self.add_list(f, "Drop", "drop", fields="drop")
        self.filter = FilterEditor()
        filter_binding = self.bind(f, "Filter", self.filter, ("filter",), self.filter.set_value,
                                   self.filter.value, fields="filter", check=True)
        self.filter.edited.connect(lambda _v: self._commit(filter_binding))
        self.filter.sealed.connect(self._seal)
        _box, f = self.group("JSONata")
        self.add_text(f, "Expression", "jsonata.expression", "jsonata",
                      placeholder='{"id": id, "name": $uppercase(name)}')
        # The engine's default mode is batch; the designer always writes mode explicitly.
        self.add_combo(f, "Mode", "jsonata.mode", items=["record", "batch"], default="batch")
        _box, f = self.group("Custom function")
        self.add_line(f, "Module", "custom_function.module", placeholder="my_transforms")
        self.add_line(f, "Function", "custom_function.function", placeholder="clean")
        self.add_line(f, "Callable", "custom_function.callable",
                      placeholder="package.module.function (instead of module + function)")
        self.add_combo(f, "Mode", "custom_function.mode", items=["batch", "record"],
                       default="batch")
        self.add_table(f, "Keyword arguments", "custom_function.kwargs")

    def _full(self, key: str) -> str:
        top = key.split(".")[0]
        if top in SIMPLE_OPS:
            return self.key_prefix() + key
        return key

    def key_prefix(self) -> str:
        """``transform.`` for the canonical form; top level for the legacy form."""
        if self.doc is None:
            return "transform."
        data = self.doc.raw_data(self.kind)  # no plain copy: called once per field
        data = data if isinstance(data, dict) else {}
        legacy = "transform" not in data and any(op in data for op in SIMPLE_OPS)
        return "" if legacy else "transform."

    def step_fields(self) -> dict[str, Catalog]:
        """The fields each operation sees: the source's, changed by the operations before."""
        ops: Any = {}
        if self.doc is not None:
            prefix = self.key_prefix()
            ops = self.doc.value(self.kind, prefix.rstrip(".")) if prefix else \
                self.doc.data(self.kind)
        return catalog_by_step(self.source_fields(), ops if isinstance(ops, dict) else {})

    def is_editable(self) -> bool:
        return not (self.doc is not None and isinstance(self.doc.value(self.kind, "transform"),
                                                        list))

    def refresh(self) -> None:
        super().refresh()
        if self.doc is not None and not self.is_editable() and not self.error_banner.isVisible():
            self.error_banner.setText(
                "This transform.yaml uses the ordered-list form; edit it in the YAML tab.")
            self.error_banner.show()
