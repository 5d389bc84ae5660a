"""Inferring schema.yaml from the transformed preview sample: the review dialog and the merge
with the rules already written."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.pipeline_tasks import normalized_transform, without_custom_function
from pycharter_gui.designer.trust import workspace_trust
from pycharter_gui.designer.views.forms.contract.schema_table import SchemaFieldsTable


class InferDialog(QDialog):
    """The fields inferred from the sample, for review and edits before they are written."""

    def __init__(self, schema: dict[str, Any], parent: QWidget | None = None,
                 source: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Infer a contract from the sample")
        self.fields = SchemaFieldsTable(self)
        self.fields.set_schema(schema)
        self.note = QLabel(f"Types come from {source or 'the preview sample'}; a field present "
                           "in every sampled record is marked required. Tighten the rules here "
                           "or later in the Contract tab.")
        self.note.setWordWrap(True)
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.write_button = box.addButton("Write to schema.yaml",
                                          QDialogButtonBox.ButtonRole.AcceptRole)
        box.accepted.connect(self.accept)
        box.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.note)
        lay.addWidget(self.fields, 1)
        lay.addWidget(box)
        self.resize(820, 420)


def merge_inferred(inferred: dict[str, Any], current: dict[str, Any]) -> dict[str, Any]:
    """``inferred``, keeping the rules already written for a field (and fields not sampled)."""
    props = dict(current.get("properties") or {})
    for name, prop in (inferred.get("properties") or {}).items():
        props[name] = {**prop, **props[name]} if isinstance(props.get(name), dict) else prop
    required = list(dict.fromkeys([*(current.get("required") or []),
                                   *(inferred.get("required") or [])]))
    return {"properties": props, "required": required}


def transformed_sample(doc: PipelineDocument | None,
                       records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], str]:
    """``records`` as the contract sees them (after ``doc``'s unsaved transform, without an
    untrusted custom function), and where they come from in words."""
    from pycharter_gui.etl_generator import transform_batch

    if doc is None:
        return records, ""
    try:
        cfg = normalized_transform(doc.text("transform"), doc.path)
        if not workspace_trust().is_trusted(doc.path):
            cfg, _skipped = without_custom_function(cfg)
        return (transform_batch(records, cfg).records,
                "the preview sample after the transform")
    except Exception as exc:  # a broken transform: say so and infer from the source
        return records, f"the source sample (the transform could not run: {exc})"
