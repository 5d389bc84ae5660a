"""Picking a field name of the sample or schema.yaml: combos, completers and table-cell
editors that list each field beside its type, and the warning that names unknown fields.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from pycharter_gui.designer import theme
from pycharter_gui.designer.views.forms.fields import Catalog, unknown_names_message


def unknown_brush() -> QBrush:
    """Text of a name the sample or schema does not have (the theme's error colour)."""
    return QBrush(theme.qcolor("error"))


def warning_label(name: str) -> QLabel:
    """The line under a field that names unknown fields and the closest real ones."""
    label = QLabel(wordWrap=True)
    theme.set_style(label, "color: $warning; font-size: 11px;")
    label.setAccessibleName(f"{name} warning")
    label.hide()
    return label


class FieldPicker(QComboBox):
    """Editable combo of field names; its popup lists each field beside its type."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setAccessibleName("Field")
        self.setView(_typed_popup(self))
        self.set_fields({})

    def set_fields(self, fields: Catalog) -> None:
        """Offer ``fields`` (name -> type); the typed text is kept."""
        text = self.currentText()
        model = field_model(fields, self)
        self.setModel(model)
        self.setModelColumn(0)
        view = self.view()
        if isinstance(view, QTableView):
            view.resizeColumnsToContents()
            view.setMinimumWidth(view.horizontalHeader().length() + 24)
        self.setEditText(text)


def field_model(fields: Catalog, parent: QWidget) -> QStandardItemModel:
    """Two columns: the field name and its type (grey)."""
    model = QStandardItemModel(0, 2, parent)
    for name, typ in fields.items():
        kind = QStandardItem(typ)
        kind.setForeground(QBrush(theme.qcolor("muted")))
        model.appendRow([QStandardItem(name), kind])
    return model


def _typed_popup(parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.horizontalHeader().setVisible(False)
    view.verticalHeader().setVisible(False)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setShowGrid(False)
    return view


class FieldCompleter(QCompleter):
    """Completes field names in a line edit; the popup shows each field's type too."""

    def __init__(self, edit: QLineEdit) -> None:
        super().__init__(edit)
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setFilterMode(Qt.MatchFlag.MatchContains)
        self.setCompletionColumn(0)
        self.setPopup(_typed_popup(edit))
        edit.setCompleter(self)
        self.set_fields({})

    def set_fields(self, fields: Catalog) -> None:
        self.setModel(field_model(fields, self))
        popup = self.popup()
        if isinstance(popup, QTableView):
            popup.resizeColumnsToContents()

    def show_all(self) -> None:
        """Open the popup with every field (the user picks instead of typing)."""
        self.setCompletionPrefix("")
        self.complete()


def show_unknown(warning: QLabel, names: list[str], fields: Catalog, check: bool = True) -> None:
    """Name in ``warning`` each of ``names`` that is not one of ``fields`` with the closest real
    one; hidden when all are fields or ``check`` is off."""
    message = unknown_names_message(names, fields) if check else ""
    warning.setText(message)
    warning.setVisible(bool(message))


class FieldPicking:
    """What a one-name line edit gets to pick a field like the other pickers: completion with
    each field's type, a "Fields ▾" button listing them all (shown once there are fields) and
    a warning line. For a Qt class beside it; it writes ``_on_completer_activated(name)``."""

    completer: FieldCompleter
    pick_button: QPushButton
    warning: QLabel
    _fields: Catalog
    _pick_edit: QLineEdit

    def _init_picking(self, edit: QLineEdit, warning_name: str) -> None:
        self._pick_edit = edit
        self.completer = FieldCompleter(edit)
        self.completer.activated[str].connect(self._on_completer_activated)
        self.pick_button = QPushButton("Fields ▾")
        self.pick_button.setToolTip("Pick a field of the sample or schema.yaml")
        self.pick_button.clicked.connect(self._on_pick_button_clicked)
        self.pick_button.hide()
        self.warning = warning_label(warning_name)
        self._fields = {}

    def _offer_fields(self, fields: Catalog) -> None:
        """Complete and list ``fields`` (name -> type)."""
        if fields != self._fields:
            self.completer.set_fields(fields)
        self._fields = dict(fields)
        self.pick_button.setVisible(bool(fields))

    def _on_completer_activated(self, name: str) -> None:
        raise NotImplementedError

    def _on_pick_button_clicked(self) -> None:
        self._pick_edit.setFocus()
        self.completer.show_all()


class FieldDelegate(QStyledItemDelegate):
    """Edits the cells of one column with a ``FieldPicker`` over the current fields."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields: Catalog = {}

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem,
                     index: QModelIndex | QPersistentModelIndex) -> QWidget:
        if not self.fields:
            return super().createEditor(parent, option, index)
        picker = FieldPicker(parent)
        picker.set_fields(self.fields)
        picker.activated.connect(lambda _i: self.commitData.emit(picker))
        return picker

    def setEditorData(self, editor: QWidget, index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, FieldPicker):
            editor.setEditText(str(index.data() or ""))
        else:
            super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel,
                     index: QModelIndex | QPersistentModelIndex) -> None:
        if isinstance(editor, FieldPicker):
            model.setData(index, editor.currentText().strip())
        else:
            super().setModelData(editor, model, index)
