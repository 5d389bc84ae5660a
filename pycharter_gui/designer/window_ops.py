"""File and pipeline commands of the main window: save, revert, drafts, new, rename, delete,
convert to the folder format."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.views import dialogs, diff_view
from pycharter_gui.designer.views.convert_dialog import review_conversion
from pycharter_gui.designer.workers.blocking import BlockingJob
from pycharter_gui.designer.workspace import WorkspaceError
from pycharter_gui.etl_generator import ConfigError, folder_files

if TYPE_CHECKING:
    from pycharter_gui.designer.documents import PipelineDocument
    from pycharter_gui.designer.settings import AppSettings
    from pycharter_gui.designer.workspace import Workspace, WorkspaceJob

log = logging.getLogger("pycharter_gui.designer")
Button = dialogs.Button
_EXC_NAME = re.compile(r"^\w+(?:Error|Exception): ")


class WindowOpsMixin:
    """Commands that act on the workspace; mixed into ``MainWindow``."""

    workspace: Workspace | None
    current: PipelineDocument | None
    settings: AppSettings
    _ws_job: BlockingJob | None = None  # the pipeline change running on a worker
    _ws_pending: tuple[Any, ...] = ()  # (job, select, message, doing, leaving) of it

    # -- saving ----------------------------------------------------------------------------
    def save_current(self) -> bool:
        if self.current is None:
            return False
        return self._save(self.current)

    def _save(self, doc: PipelineDocument, reviewed: bool = False) -> bool:
        """Save ``doc`` (first shown for review when that is on and it was not just now)."""
        if not self._confirm_save_with_errors(doc):
            return False
        if (self.settings.review_before_save and not reviewed and doc.dirty_kinds()
                and not diff_view.review_changes(self, doc, saving=True)):
            self.statusBar().showMessage(f"Not saved: {doc.name}", 5000)
            return False
        try:
            written = doc.save()
        except OSError as exc:
            dialogs.warn(self, "Could not save", f"Saving {doc.name} failed: {exc}")
            log.error("Saving %s failed: %s", doc.name, exc)
            return False
        if self.workspace is not None:
            self.workspace.clear_draft(doc.name)
        for path in written:
            log.info("Saved %s", path)
        self.statusBar().showMessage(f"Saved {doc.name}", 4000)
        self._after_change(doc)
        return True

    def _confirm_save_with_errors(self, doc: PipelineDocument) -> bool:
        """A file that does not parse is saved only when the user says so (Save / Cancel)."""
        doc.finish_parsing()  # typing handed on just now may still be parsing on a worker
        broken = [(kind, err) for kind in doc.dirty_kinds()
                  if (err := doc.parse_error(kind)) is not None]
        if not broken:
            return True
        where = "; ".join(f"{doc.file_path(kind)}, line {err.line or '?'}: {err.message}"
                          for kind, err in broken)
        answer = dialogs.ask(
            self, "Save a file with a YAML error?",
            f"{where}.\n\nThe file is saved exactly as typed, but {doc.name} cannot run (and "
            "the forms stay on the last valid version) until the error is fixed. "
            "Save anyway?", Button.Save | Button.Cancel, Button.Cancel)
        if answer != Button.Save:
            self.statusBar().showMessage(f"Not saved: {doc.name} has a YAML error", 5000)
            return False
        return True

    def review_current(self) -> None:
        """File ▸ Review changes…: what saving the selected pipeline writes; Save saves it."""
        doc = self.current
        if doc is None or not doc.is_dirty():
            return
        if diff_view.review_changes(self, doc, saving=False):
            self._save(doc, reviewed=True)

    def set_review_before_save(self, on: bool) -> None:
        """File ▸ Review changes before saving (remembered)."""
        self.settings.review_before_save = on

    def save_all(self) -> bool:
        if self.workspace is None:
            return True
        return all([self._save(doc) for doc in self.workspace.dirty_documents()])

    def revert_current(self) -> None:
        doc = self.current
        if doc is None or not doc.is_dirty():
            return
        answer = dialogs.ask(self, "Revert", f"Drop the unsaved changes of {doc.name}?",
                             Button.Yes | Button.No, Button.No)
        if answer != Button.Yes:
            return
        doc.revert()
        if self.workspace is not None:
            self.workspace.clear_draft(doc.name)
        log.info("Reverted %s", doc.name)
        self._after_change(doc)

    def confirm_discard(self) -> bool:
        """Ask about unsaved changes; True when it is fine to go on (saved or discarded)."""
        if self.workspace is None:
            return True
        dirty = self.workspace.dirty_documents()
        if not dirty:
            return True
        names = ", ".join(d.name for d in dirty)
        answer = dialogs.ask(self, "Unsaved changes",
                             f"Save the changes to {names} before closing?",
                             Button.Save | Button.Discard | Button.Cancel, Button.Save)
        if answer == Button.Save:
            return self.save_all()
        if answer == Button.Discard:
            for doc in dirty:
                self.workspace.clear_draft(doc.name)
            return True
        return False

    # -- undo ------------------------------------------------------------------------------
    def _on_document_history_applied(self, kind: str, undone: bool) -> None:
        """An undo/redo step changed ``kind``: when another file is on screen, show this one
        (its form, or its YAML tab while the YAML is shown) and say so."""
        doc, editor = self.sender(), self.editor
        if doc is not self.current:
            return
        page = editor.tabs.currentWidget()
        if page is editor.yaml_tabs:
            if editor.yaml_tabs.currentIndex() == KINDS.index(kind):
                return
            editor.yaml_tabs.setCurrentIndex(KINDS.index(kind))
        elif page is not editor.forms[kind]:
            editor.tabs.setCurrentWidget(editor.forms[kind])
        else:
            return
        self.statusBar().showMessage(
            f"{'Undo' if undone else 'Redo'} changed {kind}.yaml of {doc.name}; showing it",
            6000)

    # -- drafts ----------------------------------------------------------------------------
    def write_drafts(self) -> None:
        """Autosave unsaved texts aside (``.pycharter/drafts``); never touches the YAML files."""
        if self.workspace is None:
            return
        for doc in self.workspace.open_documents():
            try:
                self.workspace.write_draft(doc)
            except OSError as exc:
                log.warning("Could not write the draft of %s: %s", doc.name, exc)

    def offer_draft_restore(self) -> list[str]:
        if self.workspace is None:
            return []
        names = self.workspace.pending_drafts()
        if not names:
            return []
        answer = dialogs.ask(
            self, "Restore unsaved changes?",
            "The designer closed with unsaved changes in: " + ", ".join(names)
            + ".\nRestore them? (They stay unsaved until you save.)",
            Button.Yes | Button.No, Button.Yes)
        if answer != Button.Yes:
            for name in names:
                self.workspace.clear_draft(name)
            return []
        for name in names:
            doc = self._attach(self.workspace.restore_draft(name))
            log.info("Restored unsaved changes of %s", name)
            self._after_change(doc)
        return names

    # -- pipelines -------------------------------------------------------------------------
    def validate_current(self) -> None:
        if self.current is not None:
            self.validation.request(self.current, immediate=True)

    def new_pipeline(self) -> None:
        if self.workspace is None:
            dialogs.inform(self, "New pipeline", "Open a workspace first.")
            return
        chosen = dialogs.new_pipeline(self)
        if chosen is not None and chosen[1]:
            template, name = chosen
            self._run_ws(lambda ws: ws.new_from_template_job(template, name), name,
                         f"Created {name} from template {template}", f"create {name}")

    def duplicate_current(self) -> None:
        doc = self.current
        if doc is None or self.workspace is None:
            return
        name = dialogs.ask_text(self, "Duplicate pipeline", "Name of the copy:",
                                f"{doc.name}_copy")
        if name:
            self._run_ws(lambda ws: ws.duplicate_job(doc.name, name), name,
                         f"Duplicated {doc.name} as {name}", f"duplicate {doc.name}")

    def rename_current(self) -> None:
        doc = self.current
        if doc is None or self.workspace is None:
            return
        name = dialogs.ask_text(self, "Rename pipeline", "New name:", doc.name)
        if name and name != doc.name:
            old = doc.name
            self._run_ws(lambda ws: ws.rename_job(old, name), name, f"Renamed {old} to {name}",
                         f"rename {old}", doc)

    def delete_current(self) -> None:
        doc = self.current
        if doc is None or self.workspace is None:
            return
        answer = dialogs.ask(self, "Delete pipeline",
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
        doc = self.current
        if doc is None or self.workspace is None or doc.single is None:
            return
        if doc.is_dirty():
            dialogs.inform(self, "Convert to folder format", f"Save or revert {doc.name} first.")
            return
        try:
            files = folder_files(doc.path)
        except ConfigError as exc:
            dialogs.warn(self, f"Could not convert {doc.name}", str(exc))
            return
        original = doc.single
        if review_conversion(self, doc.path, original, files):
            self._run_ws(lambda ws: ws.convert_job(doc.name, files), doc.name,
                         f"Converted {doc.name} to the folder format ({original.name} is in the "
                         "trash)", f"convert {doc.name}", doc)

    def _run_ws(self, prepare: Callable[[Workspace], WorkspaceJob], select: str | None,
                message: str, doing: str, leaving: PipelineDocument | None = None) -> None:
        """Check on the GUI thread, copy/move folders on a worker, then update the list.

        ``leaving``: the shown pipeline the change moves away (hidden while it runs, shown
        again when it fails)."""
        if self._ws_job is not None:
            dialogs.inform(self, "Please wait", "Another pipeline change is still running.")
            return
        try:
            job = prepare(self.workspace)
        except (WorkspaceError, OSError) as exc:
            dialogs.warn(self, f"Could not {doing}", str(exc))
            return
        if leaving is not None:
            self.undo_group.removeStack(leaving.undo_stack)
            self._show_document(None)
        self._ws_pending = (job, select, message, doing, leaving)
        self.statusBar().showMessage(f"Working: {doing}…")
        worker = BlockingJob(job.work)
        worker.signals.succeeded.connect(self._on_ws_job_succeeded)
        worker.signals.failed.connect(self._on_ws_job_failed)
        self._ws_job = worker.start()

    def _on_ws_job_failed(self, error: str) -> None:
        self._ws_job = None
        _job, _select, _message, doing, leaving = self._ws_pending
        self.statusBar().clearMessage()
        dialogs.warn(self, f"Could not {doing}", _EXC_NAME.sub("", error))  # words only
        log.error("Could not %s: %s", doing, error)
        if leaving is not None and self.workspace is not None:
            self.undo_group.addStack(leaving.undo_stack)
            self.select_pipeline(leaving.name)
            self._show_document(leaving)

    def _on_ws_job_succeeded(self, _target: object) -> None:
        self._ws_job = None
        job, select, message, _doing, _leaving = self._ws_pending
        job.done()
        log.info(message)
        self.statusBar().showMessage(message, 5000)
        if select:
            self.select_pipeline(select)
            if self.workspace is not None and self.workspace.info(select) is not None:
                self.validation.request(self.workspace.document(select))
        elif self.workspace is not None and self.workspace.pipelines:
            self.select_pipeline(self.workspace.pipelines[0].name)
        self._update_actions()

    def _after_change(self, doc: PipelineDocument) -> None:
        if self.list_model is not None:
            self.list_model.refresh_row(doc.name)
        self.validation.request(doc)
        self._update_title()
        self._update_actions()
