"""The pipelines of a workspace as the designer lists them: complete ones and incomplete folders,
in any format pycharter published (the extract/transform/load folder, pipeline.yaml, a steps
list, a v2 ``kind: Pipeline`` file), each with its format."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pycharter_gui.etl_generator import PipelineFactory, detect

KINDS = ("extract", "transform", "load")
#: The engine's format names as the pipeline list shows them.
FORMAT_LABELS = {"folder": "folder", "sections": "pipeline.yaml", "steps": "steps (0.0.60)",
                 "manifest": "v2 Pipeline"}


@dataclass
class PipelineInfo:
    """One pipeline folder in a workspace; ``missing`` lists required files it lacks;
    ``format`` is the engine's name of its format, ``file`` the single file holding it
    (None for the folder format)."""

    name: str
    path: Path
    missing: list[str] = field(default_factory=list)
    format: str = "folder"
    file: Path | None = None

    @property
    def is_incomplete(self) -> bool:
        return bool(self.missing)

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)


def _single_file(info: PipelineInfo) -> PipelineInfo:
    """``info`` with its format; a folder held by one pipeline file misses nothing."""
    info.format, info.file = detect(info.path)
    if info.file is not None:
        info.missing = []
    return info


def _folders(factory: PipelineFactory, root: Path) -> list[Path]:
    """Children and grandchildren of ``root`` the factory would scan."""
    def scannable(p: Path) -> bool:
        return p.is_dir() and not p.name.startswith(".") and p.name not in factory.excluded_dirs

    if not root.is_dir():
        return []
    children = [c for c in sorted(root.iterdir()) if scannable(c)]
    return children + [g for c in children for g in sorted(c.iterdir()) if scannable(g)]


def discover_pipelines(root: Path) -> list[PipelineInfo]:
    """Pipelines under ``root`` (``PipelineFactory``, plus folders held by one pycharter
    pipeline file), incomplete folders listed, not hidden."""
    factory = PipelineFactory(str(root))
    infos = {name: PipelineInfo(name, Path(factory.get_contract_dir(name) or root))
             for name in factory.get_pipeline_names()}
    dirs = factory.incomplete_dirs()
    for name, missing in factory.incomplete_pipelines().items():
        infos.setdefault(name, PipelineInfo(name, dirs[name], missing))
    for folder in _folders(factory, Path(root)):
        if folder.name not in infos and (folder / "pipeline.yaml").is_file():
            infos[folder.name] = PipelineInfo(folder.name, folder.resolve())
    return [_single_file(infos[n]) for n in sorted(infos)]


__all__ = ["FORMAT_LABELS", "KINDS", "PipelineInfo", "discover_pipelines"]
