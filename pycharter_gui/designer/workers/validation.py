"""Debounced live validation: engine config checks run in one warm subprocess, never the GUI's.

Each request snapshots the pipeline's texts; the engine checks unsaved texts in place of their
files, in the pipeline's own folder (so relative paths resolve, and are confined, as in a
run). Results for an outdated snapshot are dropped.

The check is ~600 ms of pure Python for a 3,000-line pipeline; on a thread it would hold the
interpreter lock while the GUI thread waits (issue 12), so a worker thread of the controller
hands the snapshot to an ``engine_child.EngineProcess``: one child interpreter per app,
started on the first request, that never imports Qt and answers each ``(path, texts)`` with
the list of ``ConfigProblem``. The thread only waits on a pipe meanwhile (the lock is free). A
child that dies is restarted once and the request sent again; if that fails too the failure is
reported as a problem. When no child can be started (a frozen bundle, no interpreter) the check
runs on the thread as before, and a log line says so. ``shutdown_validation_process`` (the app
calls it on quit; also registered with ``atexit``) ends the child.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.documents import PIPELINE, PipelineDocument
from pycharter_gui.designer.workers.engine_child import (
    EngineProcess,
    ProcessSlot,
    ProcessUnavailable,
)
from pycharter_gui.etl_generator import (
    ConfigProblem,
    load_pipeline_config,
    validate_pipeline,
)

DEBOUNCE_MS = 350
log = logging.getLogger(__name__)
_SLOT = ProcessSlot("validation process")
_USE_THREAD = False  # set when no child could be started: check on the thread from then on


def validation_process() -> EngineProcess:
    """The app's one validation process (created on first use, started on its first call)."""
    return _SLOT.get()


def shutdown_validation_process() -> None:
    """End the validation child (the app calls it on quit); a later check starts a new one."""
    _SLOT.shutdown()


def validate_snapshot(path: Path, texts: dict[str, str] | None) -> list[Any]:
    """Validate ``path``, or ``texts`` laid over it, in the validation process (on this thread
    when none can start); never raises (errors become problems)."""
    global _USE_THREAD
    texts = {k: t for k, t in (texts or {}).items() if k in (*KINDS, PIPELINE)} or None
    if not _USE_THREAD:
        try:
            return validation_process().validate(path, texts)
        except ProcessUnavailable as exc:
            _USE_THREAD = True
            log.warning("live validation runs on a thread of the designer instead of a "
                        "separate process: %s", exc)
        except Exception as exc:  # worker boundary: report, never crash the app
            log.warning("validation of %s failed: %s", path, exc)
            return [ConfigProblem(None, "", f"Validation could not run: {exc}",
                                  hint="the next edit checks again; please report this if it "
                                       "persists", severity="error")]
    return validate_in_thread(path, texts)


def read_load_section(folder: Path) -> tuple[dict[str, Any], str]:
    """``folder``'s load config and pipeline name, read in the validation process: reading the
    whole config is pure Python (~400 ms for a 3,000-line transform.yaml), which on a thread
    here held the interpreter lock while the window waited on the first open of a big pipeline
    (issue 12). On this thread when no child can start. Raises ``ConfigError``."""
    global _USE_THREAD
    if not _USE_THREAD:
        try:
            return validation_process().load_section(folder)
        except ProcessUnavailable as exc:
            _USE_THREAD = True
            log.warning("config reads run on a thread of the designer instead of a separate "
                        "process: %s", exc)
        except RuntimeError as exc:  # the child failed twice or raised: read it here
            log.warning("reading %s in the validation process failed (%s); reading it here",
                        folder, exc)
    config = load_pipeline_config(contract_dir=folder)
    return dict(config.load), config.name


def validate_in_thread(path: Path, texts: dict[str, str] | None) -> list[Any]:
    """The check on the calling thread (the fallback); never raises."""
    try:
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
