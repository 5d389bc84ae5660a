"""Discover pipeline folders under a root directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_REQUIRED_FILES = ("extract.yaml", "transform.yaml", "load.yaml")
DEFAULT_EXCLUDED_DIRS = ("old", "templates", "__pycache__", ".git")


class PipelineFactory:
    """Finds pipelines in ``config_root``: children and grandchildren holding the required files.

    Folders that hold ``extract.yaml`` but miss another required file are reported by
    ``incomplete_pipelines()`` rather than hidden; same-named folders are reported by
    ``collisions()`` instead of one silently winning.
    """

    def __init__(
        self,
        config_root: str | Path = "configs",
        excluded_dirs: list[str] | None = None,
        required_files: list[str] | None = None,
    ) -> None:
        self.config_root = Path(config_root)
        self.excluded_dirs = set(excluded_dirs) if excluded_dirs else set(DEFAULT_EXCLUDED_DIRS)
        self.required_files = list(required_files) if required_files else list(DEFAULT_REQUIRED_FILES)
        self._pipelines: dict[str, Path] | None = None
        self._incomplete: dict[str, list[str]] = {}
        self._incomplete_dirs: dict[str, Path] = {}
        self._collisions: dict[str, list[Path]] = {}

    def _candidate_dirs(self) -> list[Path]:
        if not self.config_root.is_dir():
            return []
        found: list[Path] = []
        for child in sorted(self.config_root.iterdir()):
            if not self._is_scannable(child):
                continue
            found.append(child)
            found.extend(g for g in sorted(child.iterdir()) if self._is_scannable(g))
        return found

    def _is_scannable(self, path: Path) -> bool:
        return path.is_dir() and not path.name.startswith(".") and path.name not in self.excluded_dirs

    def _scan(self) -> dict[str, Path]:
        pipelines: dict[str, Path] = {}
        self._incomplete = {}
        self._incomplete_dirs = {}
        self._collisions = {}
        for folder in self._candidate_dirs():
            missing = [f for f in self.required_files if not (folder / f).is_file()]
            if missing:
                if (folder / "extract.yaml").is_file() or (folder / "load.yaml").is_file():
                    self._incomplete[folder.name] = missing
                    self._incomplete_dirs.setdefault(folder.name, folder.resolve())
                continue
            name = folder.name
            if name in pipelines:
                self._collisions.setdefault(name, [pipelines[name]]).append(folder.resolve())
                continue
            pipelines[name] = folder.resolve()
        return pipelines

    @property
    def pipelines(self) -> dict[str, Path]:
        if self._pipelines is None:
            self._pipelines = self._scan()
        return self._pipelines

    def refresh(self) -> None:
        """Rescan ``config_root``."""
        self._pipelines = None

    def get_pipeline_names(self) -> list[str]:
        """Sorted names (folder names) of the complete pipelines."""
        return sorted(self.pipelines)

    def get_contract_dir(self, pipeline_name: str) -> str | None:
        """Absolute folder of ``pipeline_name``, or None when unknown."""
        path = self.pipelines.get(pipeline_name)
        return str(path) if path else None

    def incomplete_pipelines(self) -> dict[str, list[str]]:
        """Folders that look like pipelines but miss required files: name -> missing files."""
        _ = self.pipelines
        return dict(self._incomplete)

    def incomplete_dirs(self) -> dict[str, Path]:
        """Folders of ``incomplete_pipelines()``: name -> absolute folder (the first found)."""
        _ = self.pipelines
        return dict(self._incomplete_dirs)

    def collisions(self) -> dict[str, list[Path]]:
        """Pipeline names used by more than one folder: name -> folders (first one is used)."""
        _ = self.pipelines
        return dict(self._collisions)

    def create_orchestrator(
        self,
        pipeline_name: str,
        config_context: dict[str, Any] | None = None,
        verbose: bool = True,
        **orchestrator_kwargs: Any,
    ) -> Any:
        """Build an ``ETLOrchestrator`` for ``pipeline_name``."""
        from .orchestrator import ETLOrchestrator

        contract_dir = self.get_contract_dir(pipeline_name)
        if contract_dir is None:
            available = ", ".join(self.get_pipeline_names()) or "none"
            raise ValueError(
                f"Pipeline '{pipeline_name}' not found under {self.config_root}. "
                f"Available pipelines: {available}"
            )
        return ETLOrchestrator(
            contract_dir=contract_dir,
            config_context=config_context,
            verbose=verbose,
            **orchestrator_kwargs,
        )
