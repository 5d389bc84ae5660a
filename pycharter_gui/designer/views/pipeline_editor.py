"""``PipelineEditor``: the centre tabs (Extract, Transform, Load, Contract, YAML) of one pipeline."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent, QTextDocument
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget

from pycharter_gui.designer import theme
from pycharter_gui.designer.discovery import KINDS
from pycharter_gui.designer.documents import CONTRACT_KINDS, PIPELINE, PipelineDocument
from pycharter_gui.designer.views.find_bar import FindBar
from pycharter_gui.designer.views.forms.base import FormBase
from pycharter_gui.designer.views.forms.contract import ContractForm
from pycharter_gui.designer.views.forms.extract import ExtractForm
from pycharter_gui.designer.views.forms.load import LoadForm
from pycharter_gui.designer.views.forms.transform import TransformForm
from pycharter_gui.designer.views.yaml_editor import YamlEditor


class PipelineEditor(QWidget):
    """Forms and YAML editors of the selected pipeline, all kept in sync through the document."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc: PipelineDocument | None = None
        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName("Pipeline editor tabs")
        self.tabs.setDocumentMode(True)
        self.forms: dict[str, FormBase] = {
            "extract": ExtractForm(), "transform": TransformForm(), "load": LoadForm()}
        for form in self.forms.values():
            self.tabs.addTab(form, form.title)
        self.contract = ContractForm()
        self.tabs.addTab(self.contract, "Contract")
        self._sample_source: Any = None
        self.yaml_tabs = QTabWidget()
        self.yaml_tabs.setAccessibleName("YAML files")
        self.yaml_editors: dict[str, YamlEditor] = {}
        self.yaml_status: dict[str, QLabel] = {}
        self.find_bars: dict[str, FindBar] = {}
        for kind in (*KINDS, PIPELINE):  # a single-file pipeline shows only its own file
            page = QWidget()
            lay = QVBoxLayout(page)
            lay.setContentsMargins(0, 0, 0, 0)
            editor = YamlEditor()
            editor.setAccessibleName(f"YAML editor {kind}")
            editor.user_edited.connect(self._make_yaml_slot(kind))
            editor.edit_paused.connect(self._on_yaml_edit_paused)
            status = QLabel()
            theme.set_style(status, "color:$error; padding:4px 8px;")
            status.setAccessibleName(f"YAML status {kind}")
            status.hide()
            lay.addWidget(editor, 1)
            self.find_bars[kind] = FindBar(editor)
            lay.addWidget(self.find_bars[kind])
            lay.addWidget(status)
            self.yaml_editors[kind] = editor
            self.yaml_status[kind] = status
            self.yaml_tabs.addTab(page, f"{kind}.yaml")
        self.tabs.addTab(self.yaml_tabs, "YAML")
        self.loading_label = QLabel()
        self.loading_label.setAccessibleName("Loading pipeline")
        theme.set_style(self.loading_label, "color:$muted; padding:4px 8px;")
        self.loading_label.hide()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.loading_label)
        lay.addWidget(self.tabs)
        self.set_document(None)

    @property
    def yaml_tab_index(self) -> int:
        return self.tabs.indexOf(self.yaml_tabs)

    def _on_yaml_edit_paused(self) -> None:
        if self.doc is not None:
            self.doc.seal()  # typing after a pause (or a new line) is its own undo step

    def _make_yaml_slot(self, kind: str) -> Any:
        def on_edit(text: str) -> None:
            if self.doc is not None:
                self.doc.set_text(kind, text, background=True)  # parsed on a worker
        return on_edit

    def set_document(self, doc: PipelineDocument | None) -> None:
        for editor in self.yaml_editors.values():
            editor.flush_edit()  # typing still waiting for its pause belongs to the old one
        if self.doc is not None:
            self.doc.text_changed.disconnect(self._on_doc_text_changed)
            self.doc.text_edited.disconnect(self._on_doc_text_edited)
        self.doc = doc
        for form in self.forms.values():
            form.set_document(doc)
        if doc is not None:
            doc.text_changed.connect(self._on_doc_text_changed)
            doc.text_edited.connect(self._on_doc_text_edited)
        shown = doc.config_kinds() if doc is not None else KINDS
        for index, kind in enumerate(self.yaml_editors):
            self.yaml_editors[kind].set_text_document(self._text_document(kind))
            self._sync_yaml(kind)
            self.yaml_tabs.setTabVisible(index, kind in shown)
        if doc is not None and doc.single is not None:
            self.yaml_tabs.setTabText(list(self.yaml_editors).index(PIPELINE), doc.single.name)
        self.contract.set_document(doc)
        self.tabs.setEnabled(doc is not None)
        self._show_loading()

    def _show_loading(self) -> None:
        """While a big file's first parse runs on a worker its text is in the YAML tab, and its
        form says "Loading…" and waits (it fills when the parse is applied). After typing in
        a big file its form is disabled until the new text is read (``is_reading``, ~0.6 s at
        3,000 lines): an edit made meanwhile would parse it on the GUI thread. That wait says
        nothing above the tabs: the line coming and going after every typing pause moved the
        editor being typed in up and down."""
        doc = self.doc
        kinds = (*self.forms, *CONTRACT_KINDS)
        loading = [k for k in kinds if doc and doc.is_loading(k)]
        reading = [k for k in kinds if doc and k not in loading and doc.is_reading(k)]
        waiting = loading + reading
        for kind, form in self.forms.items():
            form.setEnabled(kind not in waiting)
        self.contract.setEnabled(not any(k in waiting for k in CONTRACT_KINDS))
        self.loading_label.setVisible(bool(loading))
        if loading:
            self.loading_label.setText(
                f"Loading {', '.join(f'{k}.yaml' for k in loading)}… its text is in the YAML "
                "tab; the forms fill when it is read.")
        for kind, form in self.forms.items():
            form.setToolTip(f"Reading {kind}.yaml… the form follows the YAML tab in a moment."
                            if kind in reading else "")

    def _text_document(self, kind: str) -> QTextDocument:
        """The text of ``kind`` kept with the shown pipeline (one per pipeline and file), so
        selecting a pipeline again swaps documents instead of highlighting its text anew."""
        owner = self.doc if self.doc is not None else self
        name = f"yaml_text_{kind}"
        found = owner.findChild(QTextDocument, name, Qt.FindChildOption.FindDirectChildrenOnly)
        if found is None:
            found = self.yaml_editors[kind].new_document(self.doc.text(kind) if self.doc else "",
                                                         owner)
            found.setObjectName(name)
        return found

    def set_sample(self, records: Any, folder: Any) -> None:
        """The Preview sample of ``folder``: the forms offer its fields, the contract infers."""
        if self.doc is not None and folder == self.doc.path:
            for form in self.forms.values():
                form.set_sample(records)
            self.contract.set_sample(records)

    def showEvent(self, event: QShowEvent) -> None:
        """Follow the window's Preview sample (its panel is built before the editor)."""
        super().showEvent(event)
        from pycharter_gui.designer.views.preview_panel import PreviewPanel

        preview = self.window().findChild(PreviewPanel)
        if preview is not None and preview is not self._sample_source:
            self._sample_source = preview
            preview.sample_changed.connect(lambda r: self.set_sample(r, preview.folder))

    def _on_doc_text_edited(self, kind: str) -> None:
        if kind in self.yaml_editors:  # schema.yaml is edited in the Contract tab
            self.yaml_editors[kind].set_text_preserving_cursor(self.doc.text(kind))
        if self.doc is not None and self.doc.is_reading(kind):
            self._show_loading()

    def _on_doc_text_changed(self, kind: str) -> None:
        if (self.loading_label.isVisibleTo(self) or not self.contract.isEnabled()
                or not all(form.isEnabled() for form in self.forms.values())):
            self._show_loading()
        if kind in self.yaml_editors:
            self._sync_yaml_status(kind)

    def _sync_yaml(self, kind: str) -> None:
        self.yaml_editors[kind].set_text_preserving_cursor(self.doc.text(kind) if self.doc else "")
        self._sync_yaml_status(kind)

    def _sync_yaml_status(self, kind: str) -> None:
        """The error line and message of ``kind``'s last parse."""
        editor = self.yaml_editors[kind]
        err = self.doc.parse_error(kind) if self.doc else None
        editor.set_error_line(err.line if err else None)
        status = self.yaml_status[kind]
        status.setVisible(err is not None)
        status.setText(f"Line {err.line}: {err.message}" if err else "")

    def go_to(self, kind: str, line: int | None) -> None:
        """Show ``kind``'s YAML with the cursor on ``line``."""
        if self.doc is not None and self.doc.single is not None and kind in (*KINDS, PIPELINE):
            kind = PIPELINE  # problems name pipeline.yaml, or extract.yaml holding steps
        if kind not in self.yaml_editors:
            return
        self.tabs.setCurrentIndex(self.yaml_tab_index)
        self.yaml_tabs.setCurrentIndex(list(self.yaml_editors).index(kind))
        if line:
            self.yaml_editors[kind].go_to_line(line)

    def show_problems(self, problems: list[Any]) -> None:
        for form in self.forms.values():
            form.show_problems(problems)
