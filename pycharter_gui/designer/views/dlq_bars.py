"""Long actions of the dead-letter panel, each a small widget that owns its worker:
``ReplayBar`` (dry replay, then for real) and ``ExportProgress`` (complete exports)."""

from __future__ import annotations

import asyncio
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from pycharter_gui.etl_generator import (
    DeadLetterQueue,
    mark_replay_outcomes,
    replay_dead_letters,
)

from .. import theme
from ..dlq_drafts import draft_of
from ..workers.dlq_jobs import export_dead_letters, records_for_rows
from ..workers.task import TaskHandle


def start_task(owner: QWidget, work: Any, on_success: Any, on_failure: Any, name: str) -> TaskHandle:
    """Run ``await work(reporter)`` on the async loop; results come back to GUI-thread slots."""
    handle = TaskHandle(work, parent=owner, name=name)
    handle.succeeded.connect(on_success)
    handle.failed.connect(on_failure)
    handle.start()
    return handle


class ReplayBar(QWidget):
    """Shows what a dry replay would do and offers the real replay.

    Signals: ``replay_finished(result)`` after the dry and after the real replay (the real
    result has ``marked`` counts and each record's ``replay_of``), ``records_changed()``
    after a real replay, ``failed(exc)``.
    """

    replay_finished = Signal(object)
    records_changed = Signal()
    failed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.confirm_button = QPushButton("Replay for real", self)
        self.dismiss_button = QPushButton("Dismiss", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.confirm_button)
        layout.addWidget(self.dismiss_button)
        theme.set_style(self, "ReplayBar { background: $replay_bg; } QLabel { color: $window_text; }")
        self.confirm_button.clicked.connect(self._on_confirm_clicked)
        self.dismiss_button.clicked.connect(self.dismiss)
        self.pending: tuple[DeadLetterQueue, Path, list, dict] | None = None
        self.is_busy = False
        self.hide()

    def start_dry(self, queue: DeadLetterQueue, folder: Path, snapshot: dict, rows: list[int],
                  edits: dict[str, dict]) -> None:
        """Dry-replay the records at ``rows`` of a model snapshot (with the user's edits; a
        draft a replacement already holds as its data is no edit)."""
        async def work(_reporter: Any) -> tuple:
            records = await asyncio.to_thread(records_for_rows, snapshot, rows)
            edited = {r.id: d for r in records
                      if (d := draft_of(edits, r)) is not None and d != r.record_data}
            result = await replay_dead_letters(folder, records, edited=edited, dry_run=True)
            return queue, folder, records, edited, result

        self.is_busy = True
        start_task(self, work, self._on_dry_done, self._on_task_failed, "dlq-replay-dry")

    @Slot(object)
    def _on_dry_done(self, payload: object) -> None:
        queue, folder, records, edited, result = payload  # type: ignore[misc]
        self.is_busy = False
        self.pending = (queue, folder, records, edited)
        failures = [f"{rid[:8]}: {o['reason'] or o['outcome']} — {html.escape(str(o['message']))}"
                    for rid, o in result["outcomes"].items() if not o["ok"]]
        text = (f"Dry replay of {result['total']} record(s): <b>{result['succeeded']} would load</b>, "
                f"<b>{result['filtered']} filtered out by the transform</b> (would stay pending), "
                f"<b>{result['failed']} would fail again</b>. Nothing was written.")
        if failures:
            text += "<br>" + "<br>".join(failures[:5]) + ("<br>…" if len(failures) > 5 else "")
        for note in result.get("notes", []):
            text += f"<br><i>{html.escape(note)}</i>"
        self.label.setText(text)
        self.confirm_button.setEnabled(result["total"] > 0)
        self.show()
        self.replay_finished.emit(result)

    @Slot()
    def _on_confirm_clicked(self) -> None:
        if self.pending is None or self.is_busy:
            return
        queue, folder, records, edited = self.pending

        async def work(_reporter: Any) -> dict:
            result = await replay_dead_letters(folder, records, edited=edited, dry_run=False)
            counts = await asyncio.to_thread(mark_replay_outcomes, queue, records, result, edited)
            replay_of = {r.id: r.metadata.get("replay_of") for r in records}
            return {**result, "marked": counts, "replay_of": replay_of}

        self.is_busy = True
        self.confirm_button.setEnabled(False)
        start_task(self, work, self._on_real_done, self._on_task_failed, "dlq-replay")

    @Slot(object)
    def _on_real_done(self, result: object) -> None:
        self.is_busy = False
        self.pending = None
        self.hide()
        self.replay_finished.emit(result)
        self.records_changed.emit()

    @Slot(object)
    def _on_task_failed(self, exc: object) -> None:
        self.is_busy = False
        self.confirm_button.setEnabled(self.pending is not None)
        self.failed.emit(exc)

    @Slot()
    def dismiss(self) -> None:
        self.pending = None
        self.hide()


class ExportProgress(QWidget):
    """A progress bar with Cancel for one export at a time; ``export_finished(path, count)``."""

    export_finished = Signal(str, int)
    failed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar(self)
        self.cancel_button = QPushButton("Cancel", self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar, 1)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.task: TaskHandle | None = None
        self.hide()

    def start(self, queue: DeadLetterQueue, path: Path, snapshot: dict,
              rows: list[int] | None) -> None:
        """Export ``rows`` of the snapshot, or (``rows`` None) every record matching its filter."""
        if self.task is not None and self.task.is_running():
            self.task.cancel()  # one export at a time: the newest wins

        async def work(reporter: Any) -> tuple[str, int]:
            def job() -> int:
                records = records_for_rows(snapshot, rows) if rows is not None else None
                return export_dead_letters(queue, path, filters=snapshot["filters"], records=records,
                                           progress=lambda d, t: reporter.progress((d, t)),
                                           is_cancelled=reporter.cancel_requested.is_set)
            return str(path), await asyncio.to_thread(job)

        self.bar.setRange(0, 0)
        self.bar.setFormat(f"Exporting to {path.name}: %v of %m")
        self.show()
        self.task = start_task(self, work, self._on_done, self._on_task_failed, "dlq-export")
        self.task.progressed.connect(self._on_progressed)
        self.task.cancelled.connect(self.hide)

    @Slot(object)
    def _on_progressed(self, value: object) -> None:
        done, total = value  # type: ignore[misc]
        self.bar.setRange(0, total)
        self.bar.setValue(done)

    @Slot(object)
    def _on_done(self, result: object) -> None:
        self.hide()
        path, count = result  # type: ignore[misc]
        self.export_finished.emit(path, count)

    @Slot(object)
    def _on_task_failed(self, exc: object) -> None:
        self.hide()
        self.failed.emit(exc)

    @Slot()
    def _on_cancel_clicked(self) -> None:
        if self.task is not None:
            self.task.cancel()
