"""Debounced live validation: engine config checks run on a worker thread, never the GUI's.

Each request snapshots the pipeline's texts; the engine checks unsaved texts in place of their
files, in the pipeline's own folder (so relative paths resolve, and are confined, as in a
run). Results for an outdated snapshot are dropped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.documents import PIPELINE, PipelineDocument
from pycharter_gui.etl_generator import ConfigProblem, validate_pipeline

DEBOUNCE_MS = 350
log = logging.getLogger(__name__)


def validate_snapshot(path: Path, texts: dict[str, str] | None) -> list[Any]:
    """Validate ``path``, or ``texts`` laid over it; never raises (errors become problems)."""
    try:
        texts = {k: t for k, t in (texts or {}).items() if k in (*KINDS, PIPELINE)} or None
        return [_relocate(p) for p in validate_pipeline(str(path), texts=texts)]
    except Exception as exc:  # worker boundary: report, never crash the app
        log.exception("validation of %s failed", path)
        return [ConfigProblem(None, "", f"Validation could not run: {exc}",
                              hint="please report this", severity="error")]


def _relocate(problem: Any) -> Any:
    """Problems name the file by its base name (the pipeline is the one selected)."""
    f = getattr(problem, "file", None)
    if not f:
        return problem
    name = Path(str(f)).name
    if name == f:
        return problem
    try:
        from dataclasses import replace

        return replace(problem, file=name)
    except TypeError:
        return problem


class _JobSignals(QObject):
    finished = Signal(object)


class _ValidationJob(QRunnable):
    def __init__(self, name: str, generation: int, path: Path,
                 texts: dict[str, str] | None) -> None:
        super().__init__()
        self.name, self.generation, self.path, self.texts = name, generation, path, texts
        self.signals = _JobSignals()

    def run(self) -> None:
        problems = validate_snapshot(self.path, self.texts)
        self.signals.finished.emit((self, problems))


class ValidationController(QObject):
    """Debounces requests per pipeline and emits ``validated(name, problems)`` on the GUI thread."""

    validated = Signal(str, list)

    def __init__(self, parent: QObject | None = None, debounce_ms: int = DEBOUNCE_MS) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pending: dict[str, PipelineDocument | Path] = {}
        self._generation: dict[str, int] = {}
        self._jobs: set[_ValidationJob] = set()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self._on_timer_timeout)

    def request(self, doc: PipelineDocument, *, immediate: bool = False) -> None:
        self._generation[doc.name] = self._generation.get(doc.name, 0) + 1
        self._pending[doc.name] = doc
        if immediate:
            self._timer.stop()
            self._on_timer_timeout()
        else:
            self._timer.start()

    def request_path(self, name: str, path: Path) -> None:
        """Validate a pipeline's files on disk without opening (parsing) its document."""
        self._generation[name] = self._generation.get(name, 0) + 1
        self._pending[name] = Path(path)
        self._timer.start()

    def is_busy(self) -> bool:
        return bool(self._pending or self._jobs or self._timer.isActive())

    @Slot()
    def _on_timer_timeout(self) -> None:
        pending, self._pending = self._pending, {}
        for name, doc in pending.items():
            if isinstance(doc, Path):
                path, texts = doc, None
            else:
                path, texts = doc.path, (doc.texts() if doc.is_dirty() else None)
            job = _ValidationJob(name, self._generation[name], path, texts)
            job.setAutoDelete(False)
            job.signals.finished.connect(self._on_job_finished)
            self._jobs.add(job)
            self._pool.start(job)

    @Slot(object)
    def _on_job_finished(self, payload: tuple[_ValidationJob, list[Any]]) -> None:
        job, problems = payload
        self._jobs.discard(job)
        if self._generation.get(job.name) != job.generation:
            return  # a newer snapshot is on its way
        self.validated.emit(job.name, problems)

    def shutdown(self, timeout_ms: int = 2000) -> None:
        self._timer.stop()
        self._pending.clear()
        self._pool.clear()
        self._pool.waitForDone(timeout_ms)
