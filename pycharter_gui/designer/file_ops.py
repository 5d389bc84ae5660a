"""``PipelineFileOps``: the file and pipeline commands of a main window — save, save all,
revert, review, new, duplicate, rename, delete, convert to the folder format."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Slot

from pycharter_gui.designer.documents import PipelineDocument
from pycharter_gui.designer.views import dialogs, diff_view
from pycharter_gui.designer.views.convert_dialog import review_conversion
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.workspace import WorkspaceError
from pycharter_gui.etl_generator import ConfigError, folder_files

if TYPE_CHECKING:
    from pycharter_gui.designer.main_window import MainWindow
    from pycharter_gui.designer.workspace import Workspace, WorkspaceJob

log = logging.getLogger("pycharter_gui.designer")
Button = dialogs.Button
_EXC_NAME = re.compile(r"^\w+(?:Error|Exception): ")


class PipelineFileOps(QObject):
    """Commands that write a window's pipelines to disk or change its workspace's pipelines
    (folder copies and moves run on a worker, one at a time)."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(window)
        self.window = window
        self._ws_job: BlockingJob | None = None  # the pipeline change running on a worker
        self._ws_pending: tuple[Any, ...] = ()  # (job, select, message, doing, leaving) of it
        self._saving_when_read: set[PipelineDocument] = set()

    def _status(self, message: str, timeout: int = 0) -> None:
        self.window.statusBar().showMessage(message, timeout)

    # -- saving ----------------------------------------------------------------------------
    def save_current(self) -> bool:
        """File ▸ Save."""
        if self.window.current is None:
            return False
        return self._save_when_read(self.window.current)

    def _save_when_read(self, doc: PipelineDocument) -> bool:
        """Save ``doc`` now, or, while a big file of it is still being read in the parse
        process (``is_reading``), as soon as it is: checking it here would parse it on the GUI
        thread (~0.5 s frozen at 3,000 lines). What is saved then is the editor's text at that
        time. True when saved or scheduled."""
        reading = [k for k in doc.dirty_kinds() if doc.is_reading(k)]
        if not reading:
            return self._save(doc)
        if doc not in self._saving_when_read:
            self._saving_when_read.add(doc)
            doc.text_changed.connect(self._on_read_for_save)
        self._status(f"Saving {doc.name} once {', '.join(f'{k}.yaml' for k in reading)} "
                     "is read…")
        return True

    @Slot(str)
    def _on_read_for_save(self, _kind: str) -> None:
        doc = self.sender()
        if not isinstance(doc, PipelineDocument) or doc not in self._saving_when_read:
            return
        if any(doc.is_reading(k) for k in doc.dirty_kinds()):
            return  # another big file of it is still out
        self._saving_when_read.discard(doc)
        doc.text_changed.disconnect(self._on_read_for_save)
        if doc.is_dirty():  # (reverted meanwhile: nothing to save)
            self._save(doc)

    def _save(self, doc: PipelineDocument, reviewed: bool = False) -> bool:
        """Save ``doc`` (first shown for review when that is on and it was not just now)."""
        win = self.window
        if not self._confirm_save_with_errors(doc):
            return False
        if (win.settings.review_before_save and not reviewed and doc.dirty_kinds()
                and not diff_view.review_changes(win, doc, saving=True)):
            self._status(f"Not saved: {doc.name}", 5000)
            return False
        try:
            written = doc.save()
        except OSError as exc:
            dialogs.warn(win, "Could not save", f"Saving {doc.name} failed: {exc}")
            log.error("Saving %s failed: %s", doc.name, exc)
            return False
        if win.workspace is not None:
            win.workspace.clear_draft(doc.name)
        for path in written:
            log.info("Saved %s", path)
        self._status(f"Saved {doc.name}", 4000)
        win.refresh_document(doc)
        return True

    def _confirm_save_with_errors(self, doc: PipelineDocument) -> bool:
        """A file that does not parse is saved only when the user says so (Save / Cancel)."""
        # Typing handed on just now may still be parsing on a worker. A renewal of line marks
        # after a form edit may go on: its text parses by construction (a 3,000-line file's
        # parse on this thread froze the window ~0.5 s on saving right after a form edit).
        doc.finish_parsing(values_only=True)
        broken = [(kind, err) for kind in doc.dirty_kinds()
                  if (err := doc.parse_error(kind)) is not None]
        if not broken:
            return True
        where = "; ".join(f"{doc.file_path(kind)}, line {err.line or '?'}: {err.message}"
                          for kind, err in broken)
        answer = dialogs.ask(
            self.window, "Save a file with a YAML error?",
            f"{where}.\n\nThe file is saved exactly as typed, but {doc.name} cannot run (and "
            "the forms stay on the last valid version) until the error is fixed. "
            "Save anyway?", Button.Save | Button.Cancel, Button.Cancel)
        if answer != Button.Save:
            self._status(f"Not saved: {doc.name} has a YAML error", 5000)
            return False
        return True

    def review_current(self) -> None:
        """File ▸ Review changes…: what saving the selected pipeline writes; Save saves it."""
        doc = self.window.current
        if doc is None or not doc.is_dirty():
            return
        if diff_view.review_changes(self.window, doc, saving=False):
            self._save(doc, reviewed=True)

    def set_review_before_save(self, on: bool) -> None:
        """File ▸ Review changes before saving (remembered)."""
        self.window.settings.review_before_save = on

    def save_all(self) -> bool:
        """File ▸ Save all (a pipeline with a big file still being read saves once it is)."""
        if self.window.workspace is None:
            return True
        return all([self._save_when_read(doc) for doc in self.window.workspace.dirty_documents()])

    def _save_all_now(self) -> bool:
        """Every changed pipeline saved before returning (closing: nothing may wait)."""
        if self.window.workspace is None:
            return True
        return all([self._save(doc) for doc in self.window.workspace.dirty_documents()])

    def revert_current(self) -> None:
        win = self.window
        doc = win.current
        if doc is None or not doc.is_dirty():
            return
        answer = dialogs.ask(win, "Revert", f"Drop the unsaved changes of {doc.name}?",
                             Button.Yes | Button.No, Button.No)
        if answer != Button.Yes:
            return
        doc.revert()
        if win.workspace is not None:
            win.workspace.clear_draft(doc.name)
        log.info("Reverted %s", doc.name)
        win.refresh_document(doc)

    def confirm_discard(self) -> bool:
        """Ask about unsaved changes; True when it is fine to go on (saved or discarded)."""
        workspace = self.window.workspace
        if workspace is None:
            return True
        dirty = workspace.dirty_documents()
        if not dirty:
            return True
        names = ", ".join(d.name for d in dirty)
        answer = dialogs.ask(self.window, "Unsaved changes",
                             f"Save the changes to {names} before closing?",
                             Button.Save | Button.Discard | Button.Cancel, Button.Save)
        if answer == Button.Save:
            return self._save_all_now()
        if answer == Button.Discard:
            for doc in dirty:
                workspace.clear_draft(doc.name)
            return True
        return False

    # -- pipelines -------------------------------------------------------------------------
    def new_pipeline(self) -> None:
        win = self.window
        if win.workspace is None:
            dialogs.inform(win, "New pipeline", "Open a workspace first.")
            return
        chosen = dialogs.new_pipeline(win)
        if chosen is not None and chosen[1]:
            template, name = chosen
            self._run_ws(lambda ws: ws.new_from_template_job(template, name), name,
                         f"Created {name} from template {template}", f"create {name}")

    def duplicate_current(self) -> None:
        doc = self.window.current
        if doc is None or self.window.workspace is None:
            return
        name = dialogs.ask_text(self.window, "Duplicate pipeline", "Name of the copy:",
                                f"{doc.name}_copy")
        if name:
            self._run_ws(lambda ws: ws.duplicate_job(doc.name, name), name,
                         f"Duplicated {doc.name} as {name}", f"duplicate {doc.name}")

    def rename_current(self) -> None:
        doc = self.window.current
        if doc is None or self.window.workspace is None:
            return
        name = dialogs.ask_text(self.window, "Rename pipeline", "New name:", doc.name)
        if name and name != doc.name:
            old = doc.name
            self._run_ws(lambda ws: ws.rename_job(old, name), name, f"Renamed {old} to {name}",
                         f"rename {old}", doc)

    def delete_current(self) -> None:
        doc = self.window.current
        if doc is None or self.window.workspace is None:
            return
        answer = dialogs.ask(self.window, "Delete pipeline",
                             f"Move {doc.name} to the workspace trash "
                             f"(.pycharter/trash)? Unsaved changes are lost.",
                             Button.Yes | Button.No, Button.No)
        if answer != Button.Yes:
            return
        name = doc.name
        self._run_ws(lambda ws: ws.delete_job(name), None, f"Moved {name} to the trash",
                     f"delete {name}", doc)

    def convert_current(self) -> None:
        """Write the selected single-file pipeline as extract/transform/load files, after a
        review of each file; its file goes to the workspace trash."""
        win = self.window
        doc = win.current
        if doc is None or win.workspace is None or doc.single is None:
            return
        if doc.is_dirty():
            dialogs.inform(win, "Convert to folder format", f"Save or revert {doc.name} first.")
            return
        try:
            files = folder_files(doc.path)
        except ConfigError as exc:
            dialogs.warn(win, f"Could not convert {doc.name}", str(exc))
            return
        original = doc.single
        if review_conversion(win, doc.path, original, files):
            self._run_ws(lambda ws: ws.convert_job(doc.name, files), doc.name,
                         f"Converted {doc.name} to the folder format ({original.name} is in the "
                         "trash)", f"convert {doc.name}", doc)

    # -- the worker job of a pipeline change -------------------------------------------------
    def _run_ws(self, prepare: Callable[[Workspace], WorkspaceJob], select: str | None,
                message: str, doing: str, leaving: PipelineDocument | None = None) -> None:
        """Check on the GUI thread, copy/move folders on a worker, then update the list.

        ``leaving``: the shown pipeline the change moves away (hidden while it runs, shown
        again when it fails)."""
        win = self.window
        if self._ws_job is not None:
            dialogs.inform(win, "Please wait", "Another pipeline change is still running.")
            return
        try:
            job = prepare(win.workspace)
        except (WorkspaceError, OSError) as exc:
            dialogs.warn(win, f"Could not {doing}", str(exc))
            return
        if leaving is not None:
            win.undo_group.removeStack(leaving.undo_stack)
            win.show_document(None)
        self._ws_pending = (job, select, message, doing, leaving)
        self._status(f"Working: {doing}…")
        worker = BlockingJob(job.work)
        worker.signals.succeeded.connect(self._on_ws_job_succeeded)
        worker.signals.failed.connect(self._on_ws_job_failed)
        self._ws_job = worker.start()

    @Slot(str)
    def _on_ws_job_failed(self, error: str) -> None:
        win = self.window
        self._ws_job = None
        _job, _select, _message, doing, leaving = self._ws_pending
        win.statusBar().clearMessage()
        dialogs.warn(win, f"Could not {doing}", _EXC_NAME.sub("", error))  # words only
        log.error("Could not %s: %s", doing, error)
        if leaving is not None and win.workspace is not None:
            win.undo_group.addStack(leaving.undo_stack)
            win.select_pipeline(leaving.name)
            win.show_document(leaving)

    @Slot(object)
    def _on_ws_job_succeeded(self, _target: object) -> None:
        win = self.window
        self._ws_job = None
        job, select, message, _doing, _leaving = self._ws_pending
        job.done()
        log.info(message)
        self._status(message, 5000)
        if select:
            win.select_pipeline(select)
            if win.workspace is not None and win.workspace.info(select) is not None:
                win.validation.request(win.workspace.document(select))
        elif win.workspace is not None and win.workspace.pipelines:
            win.select_pipeline(win.workspace.pipelines[0].name)
        win.update_actions()
