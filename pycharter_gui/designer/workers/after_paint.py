"""``AfterPaint``: start a panel's background refresh once the window has painted a change.

Selecting a pipeline must show it at once; the History, Tests and Dead letters panels then
start their jobs on workers, whose Python competes with the GUI thread for the interpreter.
Their start waits two event-loop passes (the switch's repaint runs first), and a refresh still
waiting when the next switch comes is dropped: only the latest pipeline's runs.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class AfterPaint(QObject):
    """Runs the latest callable given to ``call`` after the window painted (see module)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: Callable[[], None] | None = None
        self._generation = 0

    def call(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` two event-loop passes from now, unless another ``call`` comes first."""
        self._generation += 1
        generation, self._pending = self._generation, fn
        QTimer.singleShot(0, self, lambda: QTimer.singleShot(0, self, lambda: self._run(generation)))

    def is_pending(self) -> bool:
        return self._pending is not None

    def flush(self) -> None:
        """Run the waiting callable now (nothing when none waits)."""
        self._run(self._generation)

    def _run(self, generation: int) -> None:
        if generation != self._generation or self._pending is None:
            return  # dropped: a later call replaced it (or it ran already)
        fn, self._pending = self._pending, None
        fn()
