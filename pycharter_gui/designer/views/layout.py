"""Layout pieces more than one panel is made of."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget


def headed_box(head: QWidget, aside: QWidget, body: QWidget, body_stretch: int = 0) -> QWidget:
    """``body`` under a row of ``head`` (taking the width) and ``aside`` at its right, without
    margins: a panel's detail pane with its title and a control for it."""
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    row = QHBoxLayout()
    row.addWidget(head, 1)
    row.addWidget(aside)
    layout.addLayout(row)
    layout.addWidget(body, body_stretch)
    return box
