"""Export, edit, replay and bulk actions of the Dead letters panel (a mixin of the panel).

Split from ``dead_letter_panel`` to keep each module small; it uses the panel's ``queue``,
``model``, ``view``, ``message_bar``, ``detail``, ``replay_bar``, ``export_progress`` and
``edits`` (the pipeline's dead-letter drafts, see ``dlq_drafts``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from pycharter_gui.etl_generator import DeadLetterQueue, DLQStatus

from ..dlq_drafts import DeadLetterDrafts, draft_of, drafts_path
from ..workers.dlq_jobs import records_for_rows
from .json_editor import JsonEditDialog

EXPORT_FILTER = "CSV (*.csv);;JSON Lines (*.jsonl);;Parquet (*.parquet)"


class DeadLetterActionsMixin:
    """What the user can do with dead letters: export, edit, replay, resolve, delete."""

    # -- export ------------------------------------------------------------------------
    @Slot()
    def _on_export_selection(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export selected dead letters", "", EXPORT_FILTER)
        if name:
            self.export(Path(name), selection=True)

    @Slot()
    def _on_export_filter(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, "Export matching dead letters", "", EXPORT_FILTER)
        if name:
            self.export(Path(name), selection=False)

    def export(self, path: Path, selection: bool = False) -> None:
        """Export the selected rows or every record matching the filter, in a worker."""
        if self.queue is not None:
            rows = self.selected_rows() if selection else None
            self.export_progress.start(self.queue, Path(path), self.model.snapshot(), rows)

    @Slot(str, int)
    def _on_export_finished(self, path: str, count: int) -> None:
        self.message_bar.show_message(f"Exported {count:,} dead letters to {path}", "info")
        self.export_finished.emit(path, count)

    # -- editing -----------------------------------------------------------------------
    def _open_drafts(self, queue: DeadLetterQueue, pipeline_dir: Path | None) -> None:
        """Take up the drafts kept for the pipeline (a dry run's dead letters keep theirs in
        memory only) and say when there are some."""
        keep = pipeline_dir is not None and queue.storage_backend != "memory"
        self.edits = DeadLetterDrafts(drafts_path(pipeline_dir) if keep else None)
        if self.edits:
            self.message_bar.show_message(
                f"{len(self.edits)} edited record(s) kept from before: replay them to load the "
                "fix, or select one and Discard edit.", "info")

    @Slot()
    def edit_current(self) -> None:
        """Open the JSON editor on the current record; the edit is kept as a draft until the
        record is replayed and loaded, or the edit discarded."""
        rec = self.detail.current
        if rec is None:
            return
        draft = draft_of(self.edits, rec)
        self.edit_dialog = JsonEditDialog(rec.id, rec.record_data if draft is None else draft, self,
                                          field=rec.metadata.get("field"))
        self.edit_dialog.record_edited.connect(self._on_record_edited)
        self.edit_dialog.open()

    def _change_drafts(self, change: Any) -> bool:
        """Apply ``change()`` to the drafts; a failed write goes to the message bar."""
        try:
            change()
        except OSError as exc:
            self._show_error(f"Could not keep the edit in {self.edits.path}: {exc}")
            return False
        return True

    def _show_current(self) -> None:
        rec = self.detail.current
        if rec is not None:
            self.detail.show_record(rec, draft_of(self.edits, rec))

    @Slot(str, object)
    def _on_record_edited(self, record_id: str, data: object) -> None:
        rec = self.detail.current
        old = rec.metadata.get("replay_of") if rec is not None and rec.id == record_id else None

        def change() -> None:
            self.edits.pop(old, None)
            self.edits[record_id] = data

        if self._change_drafts(change):
            self._show_current()
            self.message_bar.show_message(
                "Edit kept (also after closing the app): replay the record to load it.", "info")

    @Slot(str)
    def discard_edit(self, record_id: str) -> None:
        """Forget the draft of ``record_id`` (and the one it took over from a replay)."""
        rec = self.detail.current
        old = rec.metadata.get("replay_of") if rec is not None and rec.id == record_id else None
        if self._change_drafts(lambda: self.edits.remove([record_id, old])):
            self._show_current()
            self.message_bar.show_message("Edit discarded: the record is as it was stored.", "info")

    # -- replay ------------------------------------------------------------------------
    @Slot()
    def _on_replay_clicked(self) -> None:
        self.replay_selected()

    def replay_selected(self) -> None:
        """Dry-replay the selected records; the replay bar then offers the real replay."""
        if self.queue is None or self.pipeline_dir is None:
            self._show_error("Replay needs the pipeline: open the dead letters from its folder.")
            return
        self.replay_bar.start_dry(self.queue, self.pipeline_dir, self.model.snapshot(),
                                  self.selected_rows(), dict(self.edits))

    @Slot(object)
    def _on_replay_finished(self, result: object) -> None:
        res: dict = result  # type: ignore[assignment]
        self.replay_finished.emit(res)
        if res["dry_run"]:
            return
        self._change_drafts(lambda: self.edits.after_replay(res["outcomes"], res["replay_of"]))
        self.message_bar.show_message(
            f"Replayed {res['total']} record(s): {res['succeeded']} loaded and marked resolved, "
            f"{res['filtered']} filtered out by the transform (nothing loaded; kept pending), "
            f"{res['failed']} failed again (kept with the new reason).",
            "warning" if res["failed"] or res["filtered"] else "info")
        self.records_changed.emit()
        self.refresh()

    # -- bulk changes ------------------------------------------------------------------
    def _confirm(self, title: str, text: str) -> bool:
        answer = QMessageBox.question(self, title, text)
        return answer == QMessageBox.StandardButton.Yes

    @Slot()
    def _on_resolve_clicked(self) -> None:
        rows = self.selected_rows()
        if rows and self._confirm("Mark resolved", f"Mark {len(rows):,} dead letter(s) as resolved?"):
            self._bulk(rows, lambda q, ids: q.set_status(ids, DLQStatus.RESOLVED), "marked resolved")

    @Slot()
    def _on_delete_clicked(self) -> None:
        rows = self.selected_rows()
        if rows and self._confirm("Delete dead letters",
                                  f"Delete {len(rows):,} dead letter(s) for good? This cannot be undone."):
            self._bulk(rows, lambda q, ids: q.delete(ids), "deleted")

    def _bulk(self, rows: list[int], change: Any, verb: str) -> None:
        queue, snap = self.queue, self.model.snapshot()

        def work() -> tuple[str, int, list[str]]:
            ids = [r.id for r in records_for_rows(snap, rows)]
            return verb, change(queue, ids), ids

        self._start(work, self._on_bulk_done, "bulk")

    @Slot(object)
    def _on_bulk_done(self, result: object) -> None:
        verb, n, ids = result  # type: ignore[misc]
        self._change_drafts(lambda: self.edits.remove(ids))  # resolved or deleted: edits are moot
        self.message_bar.show_message(f"{n:,} dead letter(s) {verb}.", "info")
        self.records_changed.emit()
        self.refresh()
