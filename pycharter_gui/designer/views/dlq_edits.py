"""Editing dead-letter records: the JSON editor on the current record and the drafts it keeps.

An edit is kept as a draft (``dlq_drafts``: in the pipeline's ``.pycharter``, or in memory for
a dry run's dead letters) until the record is replayed and loaded, resolved, deleted or the
edit discarded; the detail pane shows a record's draft with *Discard edit*.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import QWidget

from pycharter_gui.etl_generator import DeadLetterQueue

from ..dlq_drafts import DeadLetterDrafts, draft_of, drafts_path
from .dlq_detail import DeadLetterDetailView
from .json_editor import JsonEditDialog
from .message_bar import MessageBar


class RecordEdits(QObject):
    """The drafts of one open queue and the editor that makes them (a child of the panel,
    holding no reference to it; a draft that cannot be written is said by ``failed``)."""

    failed = Signal(str)

    def __init__(self, owner: QWidget, detail: DeadLetterDetailView, message_bar: MessageBar) -> None:
        super().__init__(owner)
        self._detail, self._bar = detail, message_bar
        self.drafts = DeadLetterDrafts()  # edited records by id
        self.dialog: JsonEditDialog | None = None  # the open editor, if any
        detail.discard_requested.connect(self.discard)

    def open_for(self, queue: DeadLetterQueue, pipeline_dir: Path | None) -> None:
        """Take up the drafts kept for the pipeline (a dry run's dead letters keep theirs in
        memory only) and say when there are some."""
        keep = pipeline_dir is not None and queue.storage_backend != "memory"
        self.drafts = DeadLetterDrafts(drafts_path(pipeline_dir) if keep else None)
        if self.drafts:
            self._bar.show_message(
                f"{len(self.drafts)} edited record(s) kept from before: replay them to load the "
                "fix, or select one and Discard edit.", "info")

    def draft_for(self, rec: Any) -> dict[str, Any] | None:
        """The edit kept for ``rec`` (None: not edited, or no record)."""
        return draft_of(self.drafts, rec) if rec is not None else None

    @Slot()
    def edit_current(self) -> None:
        """Open the JSON editor on the current record; the edit is kept as a draft until the
        record is replayed and loaded, or the edit discarded."""
        rec = self._detail.current
        if rec is None:
            return
        draft = self.draft_for(rec)
        self.dialog = JsonEditDialog(rec.id, rec.record_data if draft is None else draft,
                                     self.parent(), field=rec.metadata.get("field"))
        self.dialog.record_edited.connect(self._on_record_edited)
        self.dialog.open()

    def change(self, change: Callable[[], Any]) -> bool:
        """Apply ``change()`` to the drafts; a failed write goes to the message bar."""
        try:
            change()
        except OSError as exc:
            self.failed.emit(f"Could not keep the edit in {self.drafts.path}: {exc}")
            return False
        return True

    def after_replay(self, outcomes: Any, replay_of: Any) -> None:
        """Drop the drafts of records a real replay loaded (see ``DeadLetterDrafts``)."""
        self.change(lambda: self.drafts.after_replay(outcomes, replay_of))

    def forget(self, ids: list[str]) -> None:
        """Drop the drafts of records resolved or deleted: their edits are moot."""
        self.change(lambda: self.drafts.remove(ids))

    def _show_current(self) -> None:
        rec = self._detail.current
        if rec is not None:
            self._detail.show_record(rec, self.draft_for(rec))

    def _taken_over(self, record_id: str) -> str | None:
        """The record the current one replaced in a replay, when ``record_id`` is current."""
        rec = self._detail.current
        return rec.metadata.get("replay_of") if rec is not None and rec.id == record_id else None

    @Slot(str, object)
    def _on_record_edited(self, record_id: str, data: object) -> None:
        old = self._taken_over(record_id)

        def change() -> None:
            self.drafts.pop(old, None)
            self.drafts[record_id] = data

        if self.change(change):
            self._show_current()
            self._bar.show_message(
                "Edit kept (also after closing the app): replay the record to load it.", "info")

    @Slot(str)
    def discard(self, record_id: str) -> None:
        """Forget the draft of ``record_id`` (and the one it took over from a replay)."""
        old = self._taken_over(record_id)
        if self.change(lambda: self.drafts.remove([record_id, old])):
            self._show_current()
            self._bar.show_message("Edit discarded: the record is as it was stored.", "info")
