"""A workspace folder: its pipelines, open documents, drafts, trash and templates.

Drafts of unsaved edits live in ``<workspace>/.pycharter/drafts/<pipeline>/`` so a crash or a
kill never loses work; deleted pipelines move to ``<workspace>/.pycharter/trash/``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from pycharter_gui.designer.discovery import KINDS, PipelineInfo, discover_pipelines
from pycharter_gui.designer.documents import PipelineDocument, atomic_write
from pycharter_gui.paths import resource_path

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class WorkspaceError(ValueError):
    """An action on the workspace cannot be done; the message says why."""


def check_name(name: str) -> str:
    if not _NAME_RE.match(name or ""):
        raise WorkspaceError(
            f"'{name}' is not a usable pipeline name: use letters, digits, '_', '-' or '.'")
    return name


def templates_dir() -> Path:
    return resource_path("templates")


def list_templates() -> list[str]:
    root = templates_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "extract.yaml").is_file())


class Workspace(QObject):
    """Pipelines under ``root`` and their ``PipelineDocument`` objects (opened lazily)."""

    pipelines_changed = Signal()

    def __init__(self, root: str | Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.root = Path(root).resolve()
        self.pipelines: list[PipelineInfo] = []
        self._docs: dict[str, PipelineDocument] = {}
        self.refresh()

    @property
    def meta_dir(self) -> Path:
        return self.root / ".pycharter"

    def refresh(self) -> None:
        self.pipelines = discover_pipelines(self.root)
        self.pipelines_changed.emit()

    def info(self, name: str) -> PipelineInfo | None:
        return next((p for p in self.pipelines if p.name == name), None)

    def document(self, name: str) -> PipelineDocument:
        if name not in self._docs:
            info = self.info(name)
            if info is None:
                raise WorkspaceError(f"There is no pipeline named '{name}' in {self.root}")
            self._docs[name] = PipelineDocument(name, info.path, self)
        return self._docs[name]

    def open_documents(self) -> list[PipelineDocument]:
        return list(self._docs.values())

    def is_open(self, name: str) -> bool:
        return name in self._docs

    def dirty_documents(self) -> list[PipelineDocument]:
        return [d for d in self._docs.values() if d.is_dirty()]

    # -- drafts ----------------------------------------------------------------------------
    def draft_dir(self, name: str) -> Path:
        return self.meta_dir / "drafts" / name

    def write_draft(self, doc: PipelineDocument) -> None:
        """Save unsaved texts aside (or clear the draft when nothing is unsaved)."""
        self.write_draft_texts(*self.draft_snapshot(doc))

    def draft_snapshot(self, doc: PipelineDocument) -> tuple[str, Path, dict[str, str] | None]:
        """What ``write_draft_texts`` needs of ``doc`` (texts None: nothing unsaved)."""
        return doc.name, doc.path, doc.texts() if doc.is_dirty() else None

    def write_draft_texts(self, name: str, path: Path, texts: dict[str, str] | None) -> None:
        """``write_draft`` from a snapshot: no Qt object touched, so a worker thread may call it."""
        folder = self.draft_dir(name)
        if texts is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        for kind in KINDS:
            atomic_write(folder / f"{kind}.yaml", texts[kind].encode("utf-8"))
        meta = {"pipeline": name, "path": str(path), "saved_at": time.time()}
        atomic_write(folder / "draft.json", json.dumps(meta).encode("utf-8"))

    def clear_draft(self, name: str) -> None:
        shutil.rmtree(self.draft_dir(name), ignore_errors=True)

    def pending_drafts(self) -> list[str]:
        """Pipelines with a draft that differs from the files on disk."""
        root = self.meta_dir / "drafts"
        if not root.is_dir():
            return []
        names = []
        for folder in sorted(root.iterdir()):
            info = self.info(folder.name)
            if info is None or not (folder / "draft.json").is_file():
                continue
            for kind in KINDS:
                draft, real = folder / f"{kind}.yaml", info.path / f"{kind}.yaml"
                real_text = real.read_text(encoding="utf-8").replace("\r\n", "\n") \
                    if real.is_file() else ""
                if draft.is_file() and draft.read_text(encoding="utf-8") != real_text:
                    names.append(folder.name)
                    break
        return names

    def restore_draft(self, name: str) -> PipelineDocument:
        doc = self.document(name)
        folder = self.draft_dir(name)
        texts = {k: (folder / f"{k}.yaml").read_text(encoding="utf-8")
                 for k in KINDS if (folder / f"{k}.yaml").is_file()}
        doc.restore_texts(texts)
        return doc

    # -- pipeline management ----------------------------------------------------------------
    def _target(self, name: str) -> Path:
        check_name(name)
        target = self.root / name
        if target.exists() or self.info(name) is not None:
            raise WorkspaceError(f"A pipeline or folder named '{name}' already exists")
        return target

    def new_from_template(self, template: str, name: str) -> Path:
        source = templates_dir() / template
        if not (source / "extract.yaml").is_file():
            raise WorkspaceError(f"There is no template named '{template}'")
        target = self._target(name)
        shutil.copytree(source, target)
        self.refresh()
        return target

    def duplicate(self, name: str, new_name: str) -> Path:
        info = self.info(name)
        if info is None:
            raise WorkspaceError(f"There is no pipeline named '{name}'")
        target = self._target(new_name)
        shutil.copytree(info.path, target, ignore=shutil.ignore_patterns(".pycharter"))
        if name in self._docs:  # the copy gets the unsaved edits too
            for kind, text in self._docs[name].texts().items():
                atomic_write(target / f"{kind}.yaml", text.encode("utf-8"))
        self.refresh()
        return target

    def rename(self, name: str, new_name: str) -> Path:
        info = self.info(name)
        if info is None:
            raise WorkspaceError(f"There is no pipeline named '{name}'")
        doc = self._docs.get(name)
        if doc is not None and doc.is_dirty():
            raise WorkspaceError(f"Save or revert '{name}' before renaming it")
        check_name(new_name)
        target = info.path.parent / new_name
        if target.exists() or self.info(new_name) is not None:
            raise WorkspaceError(f"A pipeline or folder named '{new_name}' already exists")
        info.path.rename(target)
        self._forget(name)
        self.refresh()
        return target

    def delete(self, name: str) -> Path:
        """Move the pipeline folder to the workspace trash; returns where it went."""
        info = self.info(name)
        if info is None:
            raise WorkspaceError(f"There is no pipeline named '{name}'")
        trash = self.meta_dir / "trash" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(info.path), str(trash))
        self._forget(name)
        self.clear_draft(name)
        self.refresh()
        return trash

    def restore_from_trash(self, trashed: Path, name: str) -> Path:
        target = self._target(name)
        shutil.move(str(trashed), str(target))
        self.refresh()
        return target

    def _forget(self, name: str) -> None:
        doc = self._docs.pop(name, None)
        if doc is not None:
            doc.deleteLater()
