"""Contract tab: schema.yaml, coercion_rules.yaml and validation_rules.yaml as tables beside
their YAML, and inference of the schema from the transformed sample.

- ``form``: ContractForm, the tab that holds the pages and writes through the document.
- ``schema_table``: the schema.yaml page; ``validation_table``: the validation_rules.yaml page
  (coercion_rules.yaml is a ``KeyValueTable`` of forms/widgets.py); ``field_rows``: the table
  both are made of; ``cells``: their shared cells.
- ``infer``: the review dialog of the inferred fields and the transformed sample they come from.
"""

from __future__ import annotations

from pycharter_gui.designer.views.forms.contract.form import ContractForm

__all__ = ["ContractForm"]
