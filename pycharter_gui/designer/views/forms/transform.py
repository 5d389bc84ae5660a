"""Transform form: simple operations as tables and lists, JSONata, custom function."""

from __future__ import annotations

from typing import Any

from pycharter_gui.designer.views.forms.base import FormBase

SIMPLE_OPS = ("rename", "convert", "defaults", "add", "select", "drop")


class TransformForm(FormBase):
    """transform.yaml: how records are reshaped, in the order rename → … → drop."""

    kind = "transform"
    title = "Transform"
    known_keys = frozenset({"title", "description", "version", "name", "transform",
                            "jsonata", "custom_function"})
    fallback_tips = {
        "rename": "old name → new name (renamed fields move to the end of the record)",
        "convert": "field → type: int, float, str, bool, datetime, date",
        "defaults": "field → value used when the field is missing or null",
        "add": "new field → expression, e.g. concat(${first}, ' ', ${last})",
        "select": "keep only these fields",
        "drop": "remove these fields",
        "jsonata.expression": "JSONata expression applied after the simple operations",
        "jsonata.mode": "record: once per record; batch: once per batch (an array)",
        "custom_function.module": "Python module beside the YAML or importable",
    }

    def build(self) -> None:
        _box, f = self.group("Simple operations (applied in this order)")
        self.rename = self.add_table(f, "Rename", "rename", headers=("From", "To"))
        self.convert = self.add_table(f, "Convert", "convert", headers=("Field", "Type"))
        self.defaults = self.add_table(f, "Defaults", "defaults", headers=("Field", "Value"))
        self.add_ops = self.add_table(f, "Add", "add", headers=("Field", "Expression"))
        self.select = self.add_list(f, "Select", "select")
        self.drop = self.add_list(f, "Drop", "drop")
        _box, f = self.group("JSONata")
        self.add_text(f, "Expression", "jsonata.expression",
                      placeholder='{"id": id, "name": $uppercase(name)}')
        # The engine's default mode is batch; the designer always writes mode explicitly.
        self.add_combo(f, "Mode", "jsonata.mode", items=["record", "batch"], default="batch")
        _box, f = self.group("Custom function")
        self.add_line(f, "Module", "custom_function.module", placeholder="my_transforms")
        self.add_line(f, "Function", "custom_function.function", placeholder="clean")
        self.add_combo(f, "Mode", "custom_function.mode", items=["batch", "record"],
                       default="batch")
        self.add_table(f, "Keyword arguments", "custom_function.kwargs")
        self.list_note = self.error_banner  # reused for the ordered-list notice

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

    def is_editable(self) -> bool:
        return not (self.doc is not None and isinstance(self.doc.value(self.kind, "transform"),
                                                        list))

    def refresh(self) -> None:
        super().refresh()
        if self.doc is not None and not self.is_editable() and not self.error_banner.isVisible():
            self.error_banner.setText(
                "This transform.yaml uses the ordered-list form; edit it in the YAML tab.")
            self.error_banner.show()

    def other_keys(self, data: dict[str, Any]) -> dict[str, Any]:
        known = self.bound_top_keys() | set(SIMPLE_OPS) | {"transform"}
        out = {k: v for k, v in data.items() if k not in known}
        inner = data.get("transform")
        if isinstance(inner, dict):
            out.update({f"transform.{k}": v for k, v in inner.items() if k not in SIMPLE_OPS})
        for section in ("jsonata", "custom_function"):
            sub = data.get(section)
            if isinstance(sub, dict):
                bound = {k.split(".", 1)[1] for b in self.bindings for k in b.keys
                         if k.startswith(section + ".")}
                out.update({f"{section}.{k}": v for k, v in sub.items() if k not in bound})
        return out
