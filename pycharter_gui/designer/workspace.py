"""A workspace folder: its pipelines, open documents, drafts, trash and templates.

Drafts of unsaved edits live in ``<workspace>/.pycharter/drafts/<pipeline>/`` so a crash or a
kill never loses work; deleted pipelines move to ``<workspace>/.pycharter/trash/``.
"""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from pycharter_gui.designer.discovery import KINDS, PipelineInfo, discover_pipelines
from pycharter_gui.designer.documents import PIPELINE, PipelineDocument
from pycharter_gui.etl_generator import atomic_write
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
        folder.mkdir(parents=True, exist_ok=True)
        for kind, text in texts.items():  # the three files, or a single-file pipeline's one
            atomic_write(folder / f"{kind}.yaml", text.encode("utf-8"))
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
            for kind in (*KINDS, PIPELINE):
                draft = folder / f"{kind}.yaml"
                real = info.file if kind == PIPELINE else info.path / f"{kind}.yaml"
                real_text = real.read_text(encoding="utf-8").replace("\r\n", "\n") \
                    if real is not None and real.is_file() else ""
                if draft.is_file() and draft.read_text(encoding="utf-8") != real_text:
                    names.append(folder.name)
                    break
        return names

    def restore_draft(self, name: str) -> PipelineDocument:
        doc = self.document(name)
        folder = self.draft_dir(name)
        texts = {k: (folder / f"{k}.yaml").read_text(encoding="utf-8")
                 for k in (*KINDS, PIPELINE) if (folder / f"{k}.yaml").is_file()}
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
        return self.new_from_template_job(template, name).run()

    def duplicate(self, name: str, new_name: str) -> Path:
        return self.duplicate_job(name, new_name).run()

    def rename(self, name: str, new_name: str) -> Path:
        return self.rename_job(name, new_name).run()

    def delete(self, name: str) -> Path:
        """Move the pipeline folder to the workspace trash; returns where it went."""
        return self.delete_job(name).run()

    # Each ``*_job`` checks (raising ``WorkspaceError``) and snapshots on the GUI thread; its
    # ``work`` only touches the disk, so a worker may run it; ``done`` follows on the GUI thread.
    def new_from_template_job(self, template: str, name: str) -> WorkspaceJob:
        source = templates_dir() / template
        if not (source / "extract.yaml").is_file():
            raise WorkspaceError(f"There is no template named '{template}'")
        target = self._target(name)
        return WorkspaceJob(lambda: Path(shutil.copytree(source, target)), self.refresh)

    def duplicate_job(self, name: str, new_name: str) -> WorkspaceJob:
        info = self._existing(name)
        target = self._target(new_name)
        # the copy gets the unsaved edits too
        doc = self._docs.get(name)
        texts = {doc.file_path(k).name: t for k, t in doc.texts().items()} if doc else {}

        def work() -> Path:
            shutil.copytree(info.path, target, ignore=shutil.ignore_patterns(".pycharter"))
            for file_name, text in texts.items():
                atomic_write(target / file_name, text.encode("utf-8"))
            return target
        return WorkspaceJob(work, self.refresh)

    def rename_job(self, name: str, new_name: str) -> WorkspaceJob:
        info = self._existing(name)
        doc = self._docs.get(name)
        if doc is not None and doc.is_dirty():
            raise WorkspaceError(f"Save or revert '{name}' before renaming it")
        check_name(new_name)
        target = info.path.parent / new_name
        if target.exists() or self.info(new_name) is not None:
            raise WorkspaceError(f"A pipeline or folder named '{new_name}' already exists")
        return WorkspaceJob(lambda: info.path.rename(target), lambda: self._forget(name))

    def delete_job(self, name: str) -> WorkspaceJob:
        info = self._existing(name)
        trash = self.meta_dir / "trash" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        draft = self.draft_dir(name)

        def work() -> Path:
            trash.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(info.path), str(trash))
            shutil.rmtree(draft, ignore_errors=True)
            return trash
        return WorkspaceJob(work, lambda: self._forget(name))

    def convert_job(self, name: str, files: dict[str, str]) -> WorkspaceJob:
        """Write ``files`` (name -> text, from the engine's ``folder_files``) into a
        single-file pipeline's folder; its file and every file replaced are copied to the
        workspace trash first. extract.yaml is written last: until then the folder still
        reads as its single file, after it as the folder format."""
        info = self._existing(name)
        doc = self._docs.get(name)
        if doc is not None and doc.is_dirty():
            raise WorkspaceError(f"Save or revert '{name}' before converting it")
        original = info.file
        if original is None:
            raise WorkspaceError(f"'{name}' is already in the folder format")
        trash = self.meta_dir / "trash" / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"

        def work() -> Path:
            trash.mkdir(parents=True, exist_ok=True)
            for path in {original, *(info.path / f for f in files)}:
                if path.is_file():
                    shutil.copy2(path, trash / path.name)
            for file_name in sorted(files, key=lambda f: f == "extract.yaml"):
                atomic_write(info.path / file_name, files[file_name].encode("utf-8"))
            if original.name not in files:
                original.unlink()
            return trash
        return WorkspaceJob(work, lambda: self._forget(name))

    def _existing(self, name: str) -> PipelineInfo:
        info = self.info(name)
        if info is None:
            raise WorkspaceError(f"There is no pipeline named '{name}'")
        return info

    def restore_from_trash(self, trashed: Path, name: str) -> Path:
        target = self._target(name)
        shutil.move(str(trashed), str(target))
        self.refresh()
        return target

    def _forget(self, name: str) -> None:
        """Drop the document of a pipeline that moved away, and list the pipelines again."""
        doc = self._docs.pop(name, None)
        if doc is not None:
            doc.deleteLater()
        self.refresh()


@dataclass(frozen=True)
class WorkspaceJob:
    """A checked workspace change: ``work()`` on any thread, then ``done()`` on the GUI one."""

    work: Callable[[], Path]
    done: Callable[[], None]

    def run(self) -> Path:
        """Both at once, on the calling thread."""
        target = self.work()
        self.done()
        return target
