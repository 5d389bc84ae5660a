"""Run panel: Dry run / Run on the async loop with progress, live log, Cancel and a summary.

A real run asks for confirmation naming the target. Every run (dry or real, finished, failed
or cancelled) is appended to the workspace's run history (on a worker). The panel keeps one
state per pipeline: switching pipelines shows that pipeline's run, never another's. What the
target, progress and summary lines say is ``run_text``'s.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from pycharter_gui.etl_generator import ETLOrchestrator

from ..pipeline_tasks import build_orchestrator, run_pipeline, without_custom_function
from ..run_history import RunEntry, RunHistory, status_words, summary_counts
from ..trust import skipped_reason, workspace_trust
from ..workers.blocking import BlockingJob
from ..workers.task import TaskHandle
from .message_bar import MessageBar, describe_error
from .run_text import describe_target, duration_text, progress_text, summary_text

MAX_LOG_BLOCKS = 5000
LOG_EVERY_S = 1.0
P = ParamSpec("P")


def _build_or_error(folder: Path, texts: dict[str, str] | None) -> ETLOrchestrator | Exception:
    """The orchestrator, or the exception that prevented it (a config problem is an outcome)."""
    try:
        return build_orchestrator(folder, texts)
    except Exception as exc:  # worker boundary: shown in the message bar, never raised
        return exc


def _of_its_run(
    slot: Callable[Concatenate[RunPanel, _RunState, P], None],
) -> Callable[Concatenate[RunPanel, P], None]:
    """A task handle's slot, given the state of the run that handle is; the signals of a
    superseded run (no state has its handle any more) are dropped."""

    @functools.wraps(slot)
    def for_state(self: RunPanel, *args: P.args, **kwargs: P.kwargs) -> None:
        state = self._state_of(self.sender())
        if state is not None:
            slot(self, state, *args, **kwargs)

    return for_state


@dataclass
class _RunState:
    """One pipeline's run as the panel shows it: the run in progress, or the last one."""

    folder: Path | None
    workspace: Path | None = None
    handle: TaskHandle | None = None
    preparing: bool = False  # the orchestrator is being built on a worker
    dry_run: bool = True
    started_wall: datetime = field(default_factory=lambda: datetime.now(UTC))
    started: float = 0.0
    last_log: float = 0.0
    last_progress: Any = None
    run_params: dict[str, Any] = field(default_factory=dict)
    log_lines: list[str] = field(default_factory=list)
    status: str = ""
    summary: str = ""
    progress: tuple[int, int] = (100, 0)  # maximum (0: busy) and value
    dead_letters: bool = False
    message: tuple[str, str, str | None] | None = None  # text, kind, action
    result: dict[str, Any] | None = None
    cancel_requested: bool = False  # Cancel pressed while the run was being prepared

    def __post_init__(self) -> None:
        name = f" of {self.folder.name}" if self.folder is not None else ""
        self.status = self.status or f"No run{name} yet."

    def is_running(self) -> bool:
        return self.preparing or (self.handle is not None and self.handle.is_running())


class RunPanel(QWidget):
    """Dry run and run of the selected pipeline; runs of other pipelines go on unseen.

    Signals: ``run_started(dry_run)``, ``run_finished(result dict)``, ``run_failed(message)``,
    ``run_cancelled()`` (outcomes once the run is in the history), ``dead_letters_requested(run_id)``,
    ``history_changed()``, ``status_changed(text)``.
    """

    run_started = Signal(bool)
    run_finished = Signal(object)
    run_failed = Signal(str)
    run_cancelled = Signal()
    dead_letters_requested = Signal(str)
    history_changed = Signal()
    status_changed = Signal(str)
    running_changed = Signal(object, bool)  # folder, running: the workspace list marks it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.workspace: Path | None = None
        self._texts: dict[str, str] | None = None
        self.params: dict[str, Any] = {}  # run parameters (input_params)
        self._states: dict[Path | None, _RunState] = {}
        self._jobs: dict[QObject, tuple[_RunState, Any]] = {}  # worker signals -> their run
        self._build()

    def _build(self) -> None:
        self.dry_run_button = QPushButton("Dry run", toolTip="Run everything except writing: nothing is written")
        self.run_button = QPushButton("Run…", toolTip="Run and write to the target (asks first)")
        self.cancel_button = QPushButton("Cancel", enabled=False)
        self.dry_run_button.clicked.connect(self._on_dry_run_button_clicked)
        self.run_button.clicked.connect(self._on_run_button_clicked)
        self.cancel_button.clicked.connect(self.cancel)
        self.dask_check = QCheckBox("Run on Dask", toolTip="Run partitioned on a Dask cluster "
                                    "(a local cluster when no scheduler address is given)")
        self.dask_address = QLineEdit(placeholderText="scheduler address (empty: local cluster)",
                                      enabled=False)
        self.dask_address.setAccessibleName("Dask scheduler address")
        self.dask_check.toggled.connect(self.dask_address.setEnabled)
        bar = QHBoxLayout()
        for w in (self.dry_run_button, self.run_button, self.cancel_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.dask_check)
        bar.addWidget(self.dask_address)
        self.message_bar = MessageBar(self)
        self.message_bar.action_triggered.connect(self._on_message_bar_action_triggered)
        self.progress_bar = QProgressBar(minimum=0, maximum=100, value=0, textVisible=True)
        self.progress_label = QLabel(self._state.status)
        self.log_view = QPlainTextEdit(readOnly=True, maximumBlockCount=MAX_LOG_BLOCKS)
        self.summary_label = QLabel(wordWrap=True)
        self.dead_letters_button = QPushButton("Show dead letters", visible=False)
        self.dead_letters_button.clicked.connect(self._on_dead_letters_button_clicked)
        summary = QHBoxLayout()
        summary.addWidget(self.summary_label, 1)
        summary.addWidget(self.dead_letters_button)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.message_bar)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_label)
        layout.addLayout(summary)
        layout.addWidget(QLabel("<b>Log</b>"))
        layout.addWidget(self.log_view, 1)

    # -- public API ----------------------------------------------------------------------------
    @property
    def _state(self) -> _RunState:
        """The shown pipeline's run state."""
        if self.folder not in self._states:
            self._states[self.folder] = _RunState(self.folder, self.workspace)
        return self._states[self.folder]

    @property
    def _handle(self) -> TaskHandle | None:
        return self._state.handle

    @property
    def last_result(self) -> dict[str, Any] | None:
        """The result of the shown pipeline's last finished run."""
        return self._state.result

    def set_pipeline(self, folder: Path, texts: dict[str, str] | None = None,
                     workspace: Path | None = None) -> None:
        """The pipeline to run (unsaved ``texts`` laid over its files); history and trust are
        per ``workspace`` (default: the folder's parent). Another folder shows its own run."""
        switched = self.folder != Path(folder)
        self.folder = Path(folder)
        self.workspace = Path(workspace) if workspace else self.folder.parent
        self._texts = dict(texts) if texts else None
        self._state.workspace = self.workspace
        if switched:
            self._render()

    def set_params(self, params: dict[str, Any]) -> None:
        """Run parameters (the pipeline's ``input_params``) for the next run."""
        self.params = dict(params)

    def is_running(self) -> bool:
        """True while the shown pipeline's run is being prepared or runs."""
        return self._state.is_running()

    def confirm_run(self, target: str) -> bool:
        """Ask before a real run, naming the target (tests replace this method)."""
        answer = QMessageBox.question(
            self, "Run the pipeline?", f"This run writes to:\n\n{target}\n\nContinue?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def start_run(self, dry_run: bool = True) -> bool:
        """Prepare a dry or real run; False when it cannot start (no pipeline, or one running).

        The orchestrator is built on a worker (up to a second on first use); then a config
        problem ends in ``run_failed``, a real run asks first, and the run starts.
        """
        state = self._state
        if self.folder is None or state.is_running():
            return False
        state.cancel_requested = False
        self._show_message(state, None)
        job = BlockingJob(functools.partial(_build_or_error, self.folder, self._texts))
        job.signals.succeeded.connect(self._on_prepare_job_succeeded)
        self._jobs[job.signals] = (state, (dry_run, state.status))
        state.preparing = True
        self._set_running(state)
        self._set_status(state, "Preparing the run…")
        job.start()
        return True

    @Slot()
    def cancel(self) -> None:
        """Stop the run at its next batch boundary (the engine cleans up temp files)."""
        state = self._state
        if state.preparing:  # not started yet: it must not start when preparation ends
            state.cancel_requested = True
            self._set_status(state, "Cancelling…")
            self._set_running(state)
        elif state.handle is not None and state.handle.is_running():
            self._append_log(state, "Cancelling…")
            state.handle.cancel()

    # -- shown state -----------------------------------------------------------------------------
    def _render(self) -> None:
        """Show the selected pipeline's run (or that it has none yet)."""
        state = self._state
        self.log_view.setPlainText("\n".join(state.log_lines))
        self.summary_label.setText(state.summary)
        self.dead_letters_button.setVisible(state.dead_letters)
        self.progress_bar.setRange(0, state.progress[0])
        self.progress_bar.setValue(state.progress[1])
        self.progress_label.setText(state.status)
        self._show_message(state, state.message)
        self._set_running(state)

    def _shown(self, state: _RunState) -> bool:
        return self._states.get(self.folder) is state

    def _set_running(self, state: _RunState) -> None:
        running = state.is_running()
        if state.folder is not None:  # for every pipeline, shown or not
            self.running_changed.emit(state.folder, running)
        if not self._shown(state):
            return
        self.dry_run_button.setEnabled(not running)
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running and not state.cancel_requested)

    def _set_status(self, state: _RunState, text: str) -> None:
        state.status = text
        if self._shown(state):
            self.progress_label.setText(text)
            self.status_changed.emit(text)

    def _set_progress(self, state: _RunState, maximum: int, value: int) -> None:
        state.progress = (maximum, value)
        if self._shown(state):
            self.progress_bar.setRange(0, maximum)
            self.progress_bar.setValue(value)

    def _show_message(self, state: _RunState, message: tuple[str, str, str | None] | None) -> None:
        state.message = message
        if not self._shown(state):
            return
        if message is None:
            self.message_bar.clear()
        else:
            self.message_bar.show_message(*message)

    def _append_log(self, state: _RunState, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        state.log_lines.append(f"{stamp} {line}")
        if self._shown(state):
            self.log_view.appendPlainText(f"{stamp} {line}")

    def _state_of(self, handle: QObject | None) -> _RunState | None:
        """The state whose run ``handle`` is (None for a superseded one)."""
        return next((s for s in self._states.values() if s.handle is handle and handle), None)

    # -- running -------------------------------------------------------------------------------
    @Slot(object)
    def _on_prepare_job_succeeded(self, built: Any) -> None:
        state, (dry_run, prior_status) = self._jobs.pop(self.sender())
        state.preparing = False
        if state.cancel_requested:
            state.cancel_requested = False
            self._set_status(state, "Cancelled before it started.")
            self._set_running(state)
            self.run_cancelled.emit()
            return
        if isinstance(built, Exception):
            text = describe_error(built)
            self._show_message(state, (text, "error", None))
            self._set_status(state, prior_status)
            self._set_running(state)
            self.run_failed.emit(text)
            return
        if not self._confirm_and_begin(state, built, dry_run):
            self._set_status(state, prior_status)
            self._set_running(state)

    def _confirm_and_begin(self, state: _RunState, orch: ETLOrchestrator, dry_run: bool) -> bool:
        """Trust and confirmation checks of a built run, then start it; False when declined."""
        workspace = state.workspace
        trusted = workspace_trust().is_trusted(workspace)
        _cfg, custom = without_custom_function(orch.config.transform)
        if not dry_run:
            if custom and not trusted and not workspace_trust().ask(self, workspace, custom):
                self._show_message(state, (
                    f"Not run: the pipeline needs custom function {custom}, and this workspace is not "
                    "trusted. A dry run shows the result without it.", "warning", None))
                return False
            trusted = trusted or bool(custom and workspace_trust().is_trusted(workspace))
            if not self.confirm_run(describe_target(orch)):
                return False
        if custom and not trusted:
            self._show_message(state, (skipped_reason(custom), "warning", "Trust this workspace…"))
        self._begin(state, orch, dry_run, trusted)
        return True

    def _begin(self, state: _RunState, orch: ETLOrchestrator, dry_run: bool, trusted: bool) -> None:
        state.dry_run, state.log_lines, state.last_progress = dry_run, [], None
        state.summary, state.dead_letters, state.result = "", False, None
        state.started_wall, state.started, state.last_log = datetime.now(UTC), time.monotonic(), 0.0
        run_kwargs: dict[str, Any] = dict(self.params)
        state.run_params = dict(self.params)  # what the Runs panel records for this run
        if self.dask_check.isChecked():
            run_kwargs.update(executor="dask",
                              scheduler_address=self.dask_address.text().strip() or None)

        async def work(reporter: Any) -> dict[str, Any]:
            return await run_pipeline(orch, dry_run=dry_run, trusted=trusted,
                                      on_progress=reporter.progress, on_log=reporter.batch,
                                      **run_kwargs)

        handle = TaskHandle(work, self, name="dry-run" if dry_run else "run")
        handle.progressed.connect(self._on_task_progressed)
        handle.batch_ready.connect(self._on_task_batch_ready)
        handle.succeeded.connect(self._on_task_succeeded)
        handle.failed.connect(self._on_task_failed)
        handle.cancelled.connect(self._on_task_cancelled)
        handle.finished.connect(self._on_task_finished)
        state.handle = handle
        handle.start()
        if self._shown(state):
            self.log_view.clear()
            self.summary_label.clear()
            self.dead_letters_button.hide()
        self._set_running(state)
        self._set_progress(state, 0, 0)  # busy until the total is known
        kind = "Dry run" if dry_run else "Run"
        self._append_log(state, f"{kind} of {orch.pipeline_name} started ({describe_target(orch)}"
                                f"{'; nothing is written' if dry_run else ''})")
        self._set_status(state, f"{kind} running…")
        self.run_started.emit(dry_run)

    @Slot(object)
    @_of_its_run
    def _on_task_progressed(self, state: _RunState, p: Any) -> None:
        state.last_progress = p
        text = progress_text(p)
        if p.records_total:
            self._set_progress(state, 100, int(100 * p.records_processed / p.records_total))
        self._set_status(state, text)
        now = time.monotonic()
        if now - state.last_log >= LOG_EVERY_S:
            state.last_log = now
            self._append_log(state, text)

    @Slot(object)
    @_of_its_run
    def _on_task_batch_ready(self, state: _RunState, line: Any) -> None:
        self._append_log(state, str(line))

    @Slot(object)
    @_of_its_run
    def _on_task_succeeded(self, state: _RunState, result: Any) -> None:
        state.result = result
        self._settle(state)
        counts = summary_counts(result)
        for warning in result.get("warnings") or []:
            self._append_log(state, f"Note: {warning}")
        state.summary, state.dead_letters = summary_text(result), counts["dead_lettered"] > 0
        if self._shown(state):
            self.summary_label.setText(state.summary)
            self.dead_letters_button.setVisible(state.dead_letters)
        self._set_progress(state, 100, 100 if result.get("success") else 0)
        took = duration_text(result.get("duration_seconds") or 0)
        self._set_status(state, f"{counts['extracted']:,} records in {took}")
        if not result.get("success"):
            self._show_message(state, (f"The run failed: {result.get('error')}", "error", None))
        status = result.get("status") or ("completed" if result.get("success") else "failed")
        self._append_log(state, f"Finished: {status_words(status, counts['dead_lettered'])}")
        self._record(state, RunEntry.from_result(result, folder=state.folder, started_at=state.started_wall,
                                                 params=state.run_params, log=state.log_lines),
                     functools.partial(self.run_finished.emit, result))

    @Slot(object)
    @_of_its_run
    def _on_task_failed(self, state: _RunState, exc: Any) -> None:
        text = describe_error(exc)
        self._settle(state)
        self._show_message(state, (text, "error", None))
        self._append_log(state, f"Failed: {text}")
        self._record(state, self._partial_entry(state, "failed", text),
                     functools.partial(self.run_failed.emit, text))

    @Slot()
    @_of_its_run
    def _on_task_cancelled(self, state: _RunState) -> None:
        self._settle(state)
        p = state.last_progress
        done = f" after {p.records_processed:,} records" if p is not None else ""
        self._append_log(state, f"Cancelled{done}; the target was left untouched by this run's partial work.")
        self._set_status(state, f"Cancelled{done}.")
        self._record(state, self._partial_entry(state, "cancelled", None), self.run_cancelled.emit)

    @Slot()
    @_of_its_run
    def _on_task_finished(self, state: _RunState) -> None:
        self._settle(state)

    def _settle(self, state: _RunState) -> None:
        """Leave the running state; called before any outcome signal so listeners see idle widgets."""
        self._set_running(state)
        if state.progress[0] == 0:
            self._set_progress(state, 100, 0)

    def _partial_entry(self, state: _RunState, outcome: str, error: str | None) -> RunEntry:
        p = state.last_progress
        folder = state.folder
        return RunEntry(run_id="", pipeline=folder.name if folder else "", folder=str(folder),
                        started_at=state.started_wall.isoformat(timespec="seconds"), dry_run=state.dry_run,
                        outcome=outcome, duration_seconds=time.monotonic() - state.started,
                        params=dict(state.run_params),
                        counts={"extracted": p.records_processed if p else 0,
                                "dead_lettered": p.error_count if p else 0},
                        error=error, log=list(state.log_lines))

    def _record(self, state: _RunState, entry: RunEntry, announce: Any) -> None:
        """Append ``entry`` to the history on a worker, then ``announce()`` the outcome."""
        if state.workspace is None:
            announce()
            return
        job = BlockingJob(functools.partial(RunHistory(state.workspace).append, entry))
        job.signals.succeeded.connect(self._on_record_job_succeeded)
        job.signals.failed.connect(self._on_record_job_failed)
        self._jobs[job.signals] = (state, announce)
        job.start()

    @Slot(object)
    def _on_record_job_succeeded(self, _result: Any) -> None:
        _state, announce = self._jobs.pop(self.sender())
        self.history_changed.emit()
        announce()

    @Slot(str)
    def _on_record_job_failed(self, error: str) -> None:
        state, announce = self._jobs.pop(self.sender())
        # history is a convenience: never fail the run for it
        self._show_message(state, (f"Could not write the run history: {error}", "warning", None))
        announce()

    # -- buttons ---------------------------------------------------------------------------------
    @Slot()
    def _on_dry_run_button_clicked(self) -> None:
        self.start_run(dry_run=True)

    @Slot()
    def _on_run_button_clicked(self) -> None:
        self.start_run(dry_run=False)

    @Slot()
    def _on_dead_letters_button_clicked(self) -> None:
        if self.last_result:
            self.dead_letters_requested.emit(str(self.last_result.get("run_id") or ""))

    @Slot()
    def _on_message_bar_action_triggered(self) -> None:
        if self.workspace is not None:
            workspace_trust().ask(self, self.workspace, again=True)
