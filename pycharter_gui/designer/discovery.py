"""The pipelines of a workspace as the designer lists them: complete ones and incomplete folders."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pycharter_gui.etl_generator import PipelineFactory

KINDS = ("extract", "transform", "load")


@dataclass
class PipelineInfo:
    """One pipeline folder in a workspace; ``missing`` lists required files it lacks."""

    name: str
    path: Path
    missing: list[str] = field(default_factory=list)

    @property
    def is_incomplete(self) -> bool:
        return bool(self.missing)


def discover_pipelines(root: Path) -> list[PipelineInfo]:
    """Pipelines under ``root`` (``PipelineFactory``), incomplete folders listed, not hidden."""
    factory = PipelineFactory(str(root))
    infos = {name: PipelineInfo(name, Path(factory.get_contract_dir(name) or root))
             for name in factory.get_pipeline_names()}
    dirs = factory.incomplete_dirs()
    for name, missing in factory.incomplete_pipelines().items():
        infos.setdefault(name, PipelineInfo(name, dirs[name], missing))
    return [infos[n] for n in sorted(infos)]


__all__ = ["KINDS", "PipelineInfo", "discover_pipelines"]
