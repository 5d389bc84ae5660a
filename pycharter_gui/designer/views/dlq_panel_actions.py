"""Export, edit, replay and bulk actions of the Dead letters panel (a mixin of the panel).

Split from ``dead_letter_panel`` to keep each module small; it uses the panel's ``queue``,
``model``, ``view``, ``message_bar``, ``detail``, ``replay_bar`` and ``export_progress``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QMessageBox

from pycharter_gui.etl_generator import DLQStatus

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
    @Slot()
    def edit_current(self) -> None:
        """Open the JSON editor on the current record; the edit is used by the next replay."""
        rec = self.detail.current
        if rec is None:
            return
        self.edit_dialog = JsonEditDialog(rec.id, self.edits.get(rec.id, rec.record_data), self,
                                          field=rec.metadata.get("field"))
        self.edit_dialog.record_edited.connect(self._on_record_edited)
        self.edit_dialog.open()

    @Slot(str, object)
    def _on_record_edited(self, record_id: str, data: object) -> None:
        self.edits[record_id] = data  # type: ignore[assignment]
        if self.detail.current is not None and self.detail.current.id == record_id:
            self.detail.show_record(self.detail.current, self.edits[record_id])
        self.message_bar.show_message("Edit kept: replay the record to load it (and store the fix).", "info")

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
        for rid in res["outcomes"]:
            self.edits.pop(rid, None)
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

        def work() -> tuple[str, int]:
            ids = [r.id for r in records_for_rows(snap, rows)]
            return verb, change(queue, ids)

        self._start(work, self._on_bulk_done, "bulk")

    @Slot(object)
    def _on_bulk_done(self, result: object) -> None:
        verb, n = result  # type: ignore[misc]
        self.message_bar.show_message(f"{n:,} dead letter(s) {verb}.", "info")
        self.records_changed.emit()
        self.refresh()
