"""Autosave of unsaved edits: every open document's unsaved texts go aside as drafts
(``.pycharter/drafts``), never into the YAML files, so a crash loses no work.

After a pause in editing the texts are taken on the GUI thread and written and fsynced on a
worker, one autosave at a time; ``write_now`` writes them at once (on the calling thread).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer, Slot

from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.workspace import Workspace

log = logging.getLogger("pycharter_gui.designer")  # the window's Log dock shows these


class DraftAutosave(QObject):
    """Writes the drafts of ``workspace()``'s open documents ``delay_ms`` after the last
    ``schedule()`` (each edit calls it)."""

    def __init__(self, workspace: Callable[[], Workspace | None], delay_ms: int,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._timer = QTimer(self, singleShot=True, interval=delay_ms)
        self._timer.timeout.connect(self._write_in_background)
        self._job: BlockingJob | None = None

    def schedule(self) -> None:
        """An edit happened: autosave once editing has paused for the delay."""
        self._timer.start()

    def stop(self) -> None:
        """No further autosave (the window closes; its documents are saved or discarded)."""
        self._timer.stop()

    def write_now(self) -> None:
        """Write every open document's draft now (or clear it when nothing is unsaved)."""
        ws = self._workspace()
        if ws is None:
            return
        for doc in ws.open_documents():
            try:
                ws.write_draft(doc)
            except OSError as exc:
                log.warning("Could not write the draft of %s: %s", doc.name, exc)

    @Slot()
    def _write_in_background(self) -> None:
        """The texts are taken here, written and fsynced on a worker (one at a time)."""
        ws = self._workspace()
        if ws is None:
            return
        if self._job is not None:
            self._timer.start()  # the previous autosave is still writing: try again later
            return
        snapshots = [ws.draft_snapshot(doc) for doc in ws.open_documents()]

        def write() -> list[str]:
            failures = []
            for snapshot in snapshots:
                try:
                    ws.write_draft_texts(*snapshot)
                except OSError as exc:
                    failures.append(f"Could not write the draft of {snapshot[0]}: {exc}")
            return failures

        job = BlockingJob(write)
        job.signals.succeeded.connect(self._on_job_succeeded)
        job.signals.failed.connect(self._on_job_failed)
        self._job = job.start()

    @Slot(object)
    def _on_job_succeeded(self, failures: object) -> None:
        self._job = None
        for failure in failures:  # type: ignore[attr-defined]
            log.warning("%s", failure)

    @Slot(str)
    def _on_job_failed(self, error: str) -> None:
        self._job = None
        log.warning("Could not write the drafts: %s", error)
