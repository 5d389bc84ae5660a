"""The ``sections`` format: pipeline.yaml with ``extract`` / ``transform`` / ``load`` (0.0.25+)."""

from __future__ import annotations

from collections.abc import Mapping

from .adapter import Adapter

_SECTION_SETTINGS = ("lineage", "contract_store", "state_store", "plugins")



class SectionsAdapter(Adapter):
    """pipeline.yaml sections: settings and load spellings mapped, the rest kept."""

    def convert(self) -> None:
        doc = self.out.doc
        for key, value in self.src.items():
            if key == "settings":
                self.settings(value, "settings")
            elif key in _SECTION_SETTINGS:
                self.settings({key: value}, "")
            elif key == "variables":
                self.variables(value, "variables")
            elif key == "load":
                doc["load"] = self.target(value, "load") if isinstance(value, Mapping) else value
            else:
                doc[key] = value
        ops = doc.get("transform")
        if isinstance(ops, list):
            self.transform_items([(item, f"transform.{i}") for i, item in enumerate(ops)])
