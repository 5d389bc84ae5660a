"""History panel: a pipeline's revisions (one per save), the YAML diff of any two (side by
side or unified), Restore, and the run that used a revision (Show the run).

Saving records a revision on a worker (git commit of the pipeline's files, or a snapshot; see
``revisions.py``). Restore puts a revision's texts into the open document through its undo
stack, so Undo takes it back and nothing on disk changes until the next save.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from ..documents import FILE_KINDS, PipelineDocument
from ..revisions import Revision, RevisionStore, file_diffs, revision_store, summarize_change
from ..run_history import RunEntry, RunHistory
from ..workers.blocking import BlockingJob
from .diff_view import DiffView
from .message_bar import MessageBar

RevisionRole = Qt.ItemDataRole.UserRole
_HEADERS = ["When", "Message", "What changed", "Revision"]


class HistoryPanel(QWidget):
    """Revisions of the selected pipeline, newest first.

    Signals: ``refreshed(count)`` when the list is shown, ``revision_recorded(Revision)`` after
    a save became a revision, ``restored(revision_id)`` after Restore changed the document,
    ``diff_shown()`` when a selection's diff is on screen, ``show_run_requested(RunEntry)``:
    Show the run, the newest run that used the selected revision.
    """

    refreshed = Signal(int)
    revision_recorded = Signal(object)
    restored = Signal(str)
    diff_shown = Signal()
    show_run_requested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: PipelineDocument | None = None
        self.store: RevisionStore | None = None
        self.workspace: Path | None = None
        self.run: RunEntry | None = None  # the newest run of the selected revision
        self._jobs: set[BlockingJob] = set()
        self._texts: dict[str, dict[str, str]] = {}  # revision id -> texts, read on a worker
        self._diff_request = 0  # the latest diff asked for; older answers are dropped
        self.where_label = QLabel("No pipeline selected.")
        self.message_edit = QLineEdit(placeholderText="Message for the next save (optional: "
                                                      "what changed is filled in)")
        self.message_edit.setAccessibleName("Revision message")
        self.refresh_button = QPushButton("Refresh", clicked=self.refresh)
        self.restore_button = QPushButton("Restore", enabled=False, clicked=self.restore_selected,
                                          toolTip="Put this revision's YAML into the editor "
                                                  "(undoable; saved when you save)")
        self.show_run_button = QPushButton(
            "Show the run", enabled=False, clicked=self._on_show_run_button_clicked,
            toolTip="Select the run that used this revision in the Runs panel")
        self.tree = QTreeWidget(rootIsDecorated=False, alternatingRowColors=True)
        self.tree.setHeaderLabels(_HEADERS)
        self.tree.setAccessibleName("Revisions")
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.itemSelectionChanged.connect(self._on_tree_item_selection_changed)
        self.diff_label = QLabel("Select a revision to see what it changed, or two to compare them.",
                                 wordWrap=True)
        self.diff = DiffView()
        self.diff.setAccessibleName("Revision diff")
        self.diff_view = self.diff.unified  # the unified text, also while side by side shows
        self.message_bar = MessageBar(self)
        bar = QHBoxLayout()
        bar.addWidget(self.where_label, 1)
        bar.addWidget(self.message_edit, 2)
        bar.addWidget(self.restore_button)
        bar.addWidget(self.show_run_button)
        bar.addWidget(self.refresh_button)
        self.diff.bar.insertWidget(0, self.diff_label, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.diff)
        splitter.setStretchFactor(0, 2)  # the list 2/5 of the width, the two diff panes 3/5
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([200, 300])
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(splitter, 1)

    # -- public API ----------------------------------------------------------------------------
    def set_pipeline(self, doc: PipelineDocument | None, workspace: Path | None) -> None:
        """Show ``doc``'s history (the store is git or snapshots, found on a worker)."""
        if doc is self.doc:
            return
        self.doc, self.store, self.workspace, self._texts = doc, None, workspace, {}
        self.tree.clear()
        self.diff.clear()
        if doc is None or workspace is None:
            self.where_label.setText("No pipeline selected.")
            return
        self.where_label.setText(f"{doc.name}: reading history…")
        self._start(lambda: revision_store(doc.path, workspace), self._on_store_job_succeeded)

    def record_save(self, doc: PipelineDocument, workspace: Path) -> None:
        """``doc`` was saved: make its files a revision (on a worker), with the typed message."""
        message = self.message_edit.text().strip() if doc is self.doc else ""
        if doc is self.doc:
            self.message_edit.clear()
        self._start(lambda: revision_store(doc.path, workspace).record(message),
                    self._on_record_job_succeeded)

    @Slot()
    def refresh(self) -> None:
        """Read the revisions again (on a worker)."""
        store = self.store
        if store is not None:
            self._start(lambda: (store, store.revisions()), self._on_list_job_succeeded)

    def revisions(self) -> list[Revision]:
        """The revisions shown, newest first."""
        return [self.tree.topLevelItem(i).data(0, RevisionRole)
                for i in range(self.tree.topLevelItemCount())]

    def select(self, *revision_ids: str) -> None:
        """Select the revisions with these ids (the diff follows)."""
        self.tree.clearSelection()
        for i in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(i)
            item.setSelected(item.data(0, RevisionRole).id in revision_ids)

    @Slot()
    def restore_selected(self) -> None:
        """Put the selected revision's files into the document as one undoable step."""
        selected = self._selected()
        store, doc = self.store, self.doc
        if len(selected) != 1 or store is None or doc is None:
            return
        rev = selected[0]
        self._start(lambda: (doc, rev, store.texts(rev.id)), self._on_restore_job_succeeded)

    # -- workers -------------------------------------------------------------------------------
    def _start(self, fn: object, on_success: object) -> None:
        job = BlockingJob(fn)  # type: ignore[arg-type]
        job.signals.succeeded.connect(on_success)
        job.signals.failed.connect(self._on_job_failed)
        job.signals.succeeded.connect(self._on_job_done)
        job.signals.failed.connect(self._on_job_done)
        self._jobs.add(job)
        job.start()

    @Slot(object)
    def _on_job_done(self, _value: object) -> None:
        self._jobs = {j for j in self._jobs if j.signals is not self.sender()}

    @Slot(str)
    def _on_job_failed(self, error: str) -> None:
        self.message_bar.show_message(f"History: {error}", "error")

    @Slot(object)
    def _on_store_job_succeeded(self, store: object) -> None:
        if not isinstance(store, RevisionStore) or self.doc is None \
                or store.pipeline_dir != self.doc.path:
            return  # another pipeline was selected meanwhile
        self.store = store
        where = ("git repository" if store.kind == "git"
                 else "private snapshots in .pycharter/history")
        self.where_label.setText(f"{self.doc.name}: every save is a revision ({where})")
        self.refresh()

    @Slot(object)
    def _on_record_job_succeeded(self, revision: object) -> None:
        if isinstance(revision, Revision):
            self.revision_recorded.emit(revision)
            self.refresh()

    @Slot(object)
    def _on_list_job_succeeded(self, result: object) -> None:
        store, revisions = result  # type: ignore[misc]
        if store is not self.store:
            return
        self._texts = {}
        self.tree.clear()
        for rev in revisions:
            when = rev.time.astimezone().strftime("%Y-%m-%d %H:%M:%S")
            item = QTreeWidgetItem([when, rev.message, rev.summary, rev.short_id])
            item.setData(0, RevisionRole, rev)
            item.setToolTip(2, rev.summary)
            self.tree.addTopLevelItem(item)
        for col in range(len(_HEADERS)):
            self.tree.resizeColumnToContents(col)
            self.tree.setColumnWidth(col, min(self.tree.columnWidth(col), 220))
        self.refreshed.emit(len(revisions))

    @Slot(object)
    def _on_restore_job_succeeded(self, result: object) -> None:
        doc, rev, texts = result  # type: ignore[misc]
        if doc is not self.doc:
            return
        doc.undo_stack.beginMacro(f"Restore revision {rev.short_id}")  # one Undo takes it back
        for kind in FILE_KINDS:
            if f"{kind}.yaml" in texts:
                doc.set_text(kind, texts[f"{kind}.yaml"], merge=False)
        doc.undo_stack.endMacro()
        self.message_bar.show_message(
            f"Restored revision {rev.short_id} ({rev.message}) into the editor: not saved yet; "
            "Undo takes it back.", "info")
        self.restored.emit(rev.id)

    # -- diff --------------------------------------------------------------------------------
    def _selected(self) -> list[Revision]:
        return [item.data(0, RevisionRole) for item in self.tree.selectedItems()]

    @Slot()
    def _on_tree_item_selection_changed(self) -> None:
        shown = self.revisions()
        order = {rev.id: i for i, rev in enumerate(shown)}
        selected = sorted(self._selected(), key=lambda r: -order[r.id])  # oldest first
        self.restore_button.setEnabled(len(selected) == 1)
        self.run = None
        self.show_run_button.setEnabled(False)
        if len(selected) == 1:  # what this revision changed: against the one before it
            pos = order[selected[0].id]
            older = shown[pos + 1] if pos + 1 < len(shown) else None
            pair = (older, selected[0])
        elif len(selected) >= 2:
            pair = (selected[0], selected[-1])
        else:
            return
        store, folder = self.store, self.doc.path if self.doc is not None else None
        runs = RunHistory(self.workspace) if self.workspace is not None else None
        newest = selected[0].id if len(selected) == 1 else None
        self._diff_request += 1
        request = self._diff_request

        def diff() -> tuple[object, ...]:
            texts = [self._texts_of(store, r) for r in pair]
            used = [e for e in runs.entries(folder=folder) if e.revision == newest] \
                if runs is not None and newest else []
            return request, pair, texts, file_diffs(*texts), used

        if store is not None:
            self._start(diff, self._on_diff_job_succeeded)

    def _texts_of(self, store: RevisionStore, rev: Revision | None) -> dict[str, str]:
        """A revision's texts (worker thread; cached per revision)."""
        if rev is None:
            return {}
        if rev.id not in self._texts:
            self._texts[rev.id] = store.texts(rev.id)
        return self._texts[rev.id]

    @Slot(object)
    def _on_diff_job_succeeded(self, result: object) -> None:
        request, (old, new), (old_texts, new_texts), diffs, used = result  # type: ignore[misc]
        if request != self._diff_request:
            return
        old_label = old.short_id if old is not None else "(nothing)"
        # the revisions' ids head each file in the diff
        self.diff_label.setText(f"What changed: {summarize_change(old_texts, new_texts)}")
        self.diff.set_diffs(diffs, old_label, new.short_id)
        self.run = used[0] if used else None  # entries are newest first
        self.show_run_button.setEnabled(self.run is not None)
        self.show_run_button.setToolTip(
            f"{len(used)} run(s) used revision {new.short_id}; Show the run selects the newest "
            "in the Runs panel" if used else f"No recorded run used revision {new.short_id}")
        self.diff_shown.emit()

    @Slot()
    def _on_show_run_button_clicked(self) -> None:
        if self.run is not None:
            self.show_run_requested.emit(self.run)
