"""Dialogs and the prompt helpers the window uses (tests replace the helpers)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

Button = QMessageBox.StandardButton


def button_labels(text: str, buttons: Button) -> dict[Button, str]:
    """Words for standard buttons where the question asks for them: a question ending in
    "Save anyway?" gets a "Save anyway" button rather than a bare "Save"."""
    if text.rstrip().endswith("Save anyway?") and buttons & Button.Save:
        return {Button.Save: "Save anyway"}
    return {}


def ask(parent: QWidget | None, title: str, text: str,
        buttons: Button = Button.Yes | Button.No, default: Button = Button.Yes,
        labels: dict[Button, str] | None = None) -> Button:
    """Modal question; returns the button pressed. ``labels`` renames standard buttons
    (by default as ``button_labels`` says)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, buttons, parent)
    box.setDefaultButton(default)
    for button, label in (labels if labels is not None else button_labels(text, buttons)).items():
        if box.button(button) is not None:
            box.button(button).setText(label)
    return Button(box.exec())


def ask_text(parent: QWidget | None, title: str, label: str, text: str = "") -> str | None:
    value, ok = QInputDialog.getText(parent, title, label, text=text)
    return value.strip() if ok and value.strip() else None


def choose_item(parent: QWidget | None, title: str, label: str, items: list[str]) -> str | None:
    if not items:
        return None
    value, ok = QInputDialog.getItem(parent, title, label, items, 0, False)
    return value if ok else None


def inform(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.information(parent, title, text)


def warn(parent: QWidget | None, title: str, text: str) -> None:
    QMessageBox.warning(parent, title, text)


class ShortcutsDialog(QDialog):
    """Lists every action that has a keyboard shortcut."""

    def __init__(self, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        rows = [(a.text().replace("&", ""), ", ".join(s.toString() for s in a.shortcuts()))
                for a in actions if a.shortcuts()]
        self.table = QTableWidget(len(rows), 2, self)
        self.table.setAccessibleName("Shortcuts")
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut"])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, (name, keys) in enumerate(rows):
            self.table.setItem(r, 0, QTableWidgetItem(name))
            self.table.setItem(r, 1, QTableWidgetItem(keys))
        box = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        box.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.table)
        lay.addWidget(box)
        self.resize(440, 420)


def template_summary(folder: Path) -> tuple[str, str, list[str]]:
    """A template's title, its one-line description (the first comment of extract.yaml and
    load.yaml) and the files it creates."""
    def first_comment(name: str) -> str:
        path = folder / name
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        text = next((ln.lstrip("# ").strip() for ln in lines if ln.startswith("#")), "")
        return text.split(":", 1)[-1].strip().rstrip(".") if text else ""

    title = folder.name.replace("_", " ")
    path = folder / "extract.yaml"
    for line in path.read_text(encoding="utf-8").splitlines() if path.is_file() else []:
        if line.startswith("title:"):
            title = line.split(":", 1)[1].split(" #")[0].strip().strip("'\"") or title
    steps = [t for t in (first_comment("extract.yaml"), first_comment("load.yaml")) if t]
    description = ", then ".join(steps) + "." if steps else ""
    description = description[:1].upper() + description[1:]
    files = sorted((str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()),
                   key=lambda f: (f.count("/"), ["extract.yaml", "transform.yaml",
                                                 "load.yaml"].index(f)
                                  if f in ("extract.yaml", "transform.yaml", "load.yaml")
                                  else 3, f))
    return title, description, files


class NewPipelineDialog(QDialog):
    """Pick a template (each with its description and the files it creates) and a name."""

    def __init__(self, templates: dict[str, Path], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("New pipeline from template")
        self.setMinimumWidth(620)
        self.list = QListWidget()
        self.list.setAccessibleName("Templates")
        self.list.setWordWrap(True)
        self.list.setSpacing(4)
        for name, folder in templates.items():
            title, description, files = template_summary(folder)
            item = QListWidgetItem(f"{title}\n{description}\nCreates: {', '.join(files)}")
            item.setData(Qt.ItemDataRole.UserRole, name)
            item.setToolTip(str(folder))
            self.list.addItem(item)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName("Pipeline name")
        self.name_edit.setPlaceholderText("letters, digits, '_', '-' or '.'")
        self.list.currentItemChanged.connect(self._on_current_item_changed)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Create")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(self._update_ok)
        form = QFormLayout()
        form.addRow("Name:", self.name_edit)
        lay = QVBoxLayout(self)
        lay.addWidget(QLabel("Template:"))
        lay.addWidget(self.list, 1)
        lay.addLayout(form)
        lay.addWidget(self.buttons)
        self.resize(660, 420)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._update_ok()

    def template(self) -> str | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def name(self) -> str:
        return self.name_edit.text().strip()

    def _on_current_item_changed(self, current: QListWidgetItem | None,
                                 previous: QListWidgetItem | None) -> None:
        # The name follows the template until the user types one of their own.
        if not self.name() or (previous is not None and self.name() == previous.data(Qt.ItemDataRole.UserRole)):
            self.name_edit.setText(current.data(Qt.ItemDataRole.UserRole) if current is not None else "")

    def _update_ok(self) -> None:
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(
            bool(self.name()) and self.template() is not None)


def new_pipeline(parent: QWidget | None) -> tuple[str, str] | None:
    """(template, name) chosen in a ``NewPipelineDialog``, or None when cancelled."""
    from pycharter_gui.designer.workspace import list_templates, templates_dir

    dialog = NewPipelineDialog({t: templates_dir() / t for t in list_templates()}, parent)
    if dialog.exec() != QDialog.DialogCode.Accepted or dialog.template() is None:
        return None
    return dialog.template(), dialog.name()
