"""Diffs of YAML files: side by side (two aligned panes that scroll together) or unified, and
the review of what saving a pipeline will write. Both the History panel and the review use
``DiffView`` over ``revisions.file_diffs``."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Slot
from PySide6.QtGui import (
    QFont,
    QFontDatabase,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QSplitter,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from .. import theme
from ..documents import PipelineDocument
from ..revisions import FileDiff, Row, file_diffs, side_by_side_rows, summarize_change, unified_text

#: Theme roles of a side-by-side row's (left, right) line, by row kind: a background role, or
#: "filler" where the other side has a line this one lacks; "file" and "skip" rows are styled
#: apart (bold header, muted note).
_ROW_ROLES = {"changed": ("mark_mismatch", "mark_added"), "removed": ("mark_mismatch", "filler"),
              "added": ("filler", "mark_added")}


class _UnifiedHighlighter(QSyntaxHighlighter):
    """Added lines green, removed lines red, hunk headers in the accent colour, file headers
    bold; colours are read as each line is drawn (``rehighlight`` after a theme switch)."""

    _ROLES = {"+": "ok", "-": "error", "@": "accent"}

    def highlightBlock(self, text: str) -> None:
        fmt = QTextCharFormat()
        if text.startswith(("+++", "---")):
            fmt.setFontWeight(QFont.Weight.Bold)
        elif text[:1] in self._ROLES:
            fmt.setForeground(theme.qcolor(self._ROLES[text[:1]]))
        else:
            return
        self.setFormat(0, len(text), fmt)


def _pane(name: str) -> QPlainTextEdit:
    pane = QPlainTextEdit(readOnly=True)
    pane.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
    pane.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    pane.setAccessibleName(name)
    return pane


def _line(number: int, text: str, width: int) -> str:
    return f"{number:>{width}}  {text}" if number else ""


class DiffView(QWidget):
    """``set_diffs`` shows file diffs side by side (changed lines highlighted, the panes
    aligned and scrolling together) or, with "Side by side" unchecked, as a unified diff."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Row] = []
        self.side_by_side_box = QCheckBox("Side by side", checked=True)
        self.side_by_side_box.setToolTip("Before and after in two aligned panes; unchecked: "
                                         "one unified diff")
        self.side_by_side_box.toggled.connect(self._on_side_by_side_box_toggled)
        self.left, self.right = _pane("Before"), _pane("After")
        self.unified = _pane("Unified diff")
        self._highlighter = _UnifiedHighlighter(self.unified.document())
        for a, b in ((self.left, self.right), (self.right, self.left)):
            # same height on both sides, so a line number scrolls to the same row on each
            a.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
            a.verticalScrollBar().valueChanged.connect(b.verticalScrollBar().setValue)
            a.horizontalScrollBar().valueChanged.connect(b.horizontalScrollBar().setValue)
        panes = QSplitter(Qt.Orientation.Horizontal)
        panes.addWidget(self.left)
        panes.addWidget(self.right)
        self.stack = QStackedWidget()
        self.stack.addWidget(panes)
        self.stack.addWidget(self.unified)
        #: the row above the diff: a caption of the caller's (inserted at 0), the toggle
        self.bar = QHBoxLayout()
        self.bar.addStretch(1)
        self.bar.addWidget(self.side_by_side_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.bar)
        layout.addWidget(self.stack, 1)

    def set_diffs(self, diffs: list[FileDiff], old_label: str, new_label: str,
                  empty: str = "No difference in the YAML files.") -> None:
        """Show ``diffs`` between ``old_label`` and ``new_label`` (``empty`` when none)."""
        self._rows = side_by_side_rows(diffs)
        width = len(str(max((max(r[1], r[3]) for r in self._rows), default=0)))
        lefts, rights = [], []
        for kind, old_no, old, new_no, new in self._rows:
            if kind == "file":  # the header names the side
                old, new = f"{old} ({old_label})", f"{new} ({new_label})"
            plain = kind in ("file", "skip")
            lefts.append(old if plain else _line(old_no, old, width))
            rights.append(new if plain else _line(new_no, new, width))
        self.left.setAccessibleName(f"Before: {old_label}")
        self.right.setAccessibleName(f"After: {new_label}")
        self.left.setPlainText("\n".join(lefts) or empty)
        self.right.setPlainText("\n".join(rights))
        self.unified.setPlainText(unified_text(diffs, old_label, new_label) or empty)
        self._paint()

    def clear(self) -> None:
        """Show nothing."""
        self._rows = []
        for pane in (self.left, self.right, self.unified):
            pane.clear()

    def rows(self) -> list[Row]:
        """The side-by-side rows shown (kind, old line number, old text, new number, new)."""
        return list(self._rows)

    def _paint(self) -> None:
        """Highlight the rows in the theme's colours (again after a theme switch)."""
        for side, pane in enumerate((self.left, self.right)):
            selections = []
            for number, (kind, *_rest) in enumerate(self._rows):
                fmt = QTextCharFormat()
                if kind == "file":
                    fmt.setFontWeight(QFont.Weight.Bold)
                    fmt.setBackground(theme.qcolor("alternate_base"))
                elif kind == "skip":
                    fmt.setForeground(theme.qcolor("muted"))
                elif kind in _ROW_ROLES:
                    role = _ROW_ROLES[kind][side]
                    fmt.setBackground(theme.qcolor("alternate_base" if role == "filler" else role))
                    fmt.setForeground(theme.qcolor("mark_text"))
                else:
                    continue
                fmt.setProperty(QTextFormat.Property.FullWidthSelection, True)
                selection = QTextEdit.ExtraSelection()
                selection.cursor = QTextCursor(pane.document().findBlockByNumber(number))
                selection.format = fmt
                selections.append(selection)
            pane.setExtraSelections(selections)
        self._highlighter.rehighlight()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:  # a theme switch
            self._paint()
        super().changeEvent(event)

    @Slot(bool)
    def _on_side_by_side_box_toggled(self, on: bool) -> None:
        self.stack.setCurrentIndex(0 if on else 1)


def unsaved_texts(doc: PipelineDocument) -> tuple[dict[str, str], dict[str, str]]:
    """(saved, to be written) texts of ``doc``'s changed files, by file name."""
    kinds = doc.dirty_kinds()
    return ({doc.file_path(k).name: doc.saved_text(k) for k in kinds},
            {doc.file_path(k).name: doc.text(k) for k in kinds})


class ReviewChangesDialog(QDialog):
    """What saving ``doc`` will write, file by file; Save accepts. ``saving``: it was asked
    for by Save (Save / Cancel), else by File ▸ Review changes… (Save / Close)."""

    def __init__(self, doc: PipelineDocument, saving: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Review changes to {doc.name}")
        saved, unsaved = unsaved_texts(doc)
        diffs = file_diffs(saved, unsaved)
        names = ", ".join(d.name for d in diffs) or "nothing"
        self.summary = QLabel(f"Saving {doc.name} writes {names}: "
                              f"{summarize_change(saved, unsaved)}.", wordWrap=True)
        self.diff = DiffView()
        self.diff.set_diffs(diffs, "saved", "to be written", "No change to write.")
        std = QDialogButtonBox.StandardButton
        self.buttons = QDialogButtonBox(std.Save | (std.Cancel if saving else std.Close))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.save_button = self.buttons.button(std.Save)
        self.diff.bar.insertWidget(0, self.summary, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.diff, 1)
        layout.addWidget(self.buttons)
        self.resize(980, 600)


def review_changes(parent: QWidget | None, doc: PipelineDocument, saving: bool) -> bool:
    """Show what saving ``doc`` writes; True when the user chose Save."""
    return ReviewChangesDialog(doc, saving, parent).exec() == QDialog.DialogCode.Accepted
