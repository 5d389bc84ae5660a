"""Run panel: Dry run / Run on the engine loop with progress, live log, Cancel and a summary.

A real run asks for confirmation naming the target. Every run (dry or real, finished, failed
or cancelled) is appended to the workspace's run history.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal, Slot
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

from ..preview_engine import build_orchestrator, run_pipeline, without_custom_function
from ..run_history import RunEntry, RunHistory, summary_counts
from ..trust import skipped_reason, workspace_trust
from ..workers.task import TaskHandle
from .message_bar import MessageBar, describe_error

MAX_LOG_BLOCKS = 5000
LOG_EVERY_S = 1.0


def describe_target(orch: ETLOrchestrator) -> str:
    """Where a real run writes, for the confirmation and the summary (no secrets)."""
    load = orch.config.load
    kind = load.get("type")
    if kind == "file":
        return f"{load.get('format') or 'file'} file {load.get('path')} ({load.get('write_mode', 'overwrite')})"
    if kind == "database":
        url = orch.mask(str(load.get("url") or "")).split("?", 1)[0]
        return f"table {load.get('table')} in {url} ({load.get('write_method', 'insert')})"
    storage = load.get("storage") or {}
    return f"{kind} {storage.get('provider', '')} {storage.get('bucket', '')}/{storage.get('path', '')}".strip()


def _duration(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.2f} s"
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {int(seconds % 60):02d} s"


class RunPanel(QWidget):
    """Dry run and run of one pipeline.

    Signals: ``run_started(dry_run)``, ``run_finished(result dict)``, ``run_failed(message)``,
    ``run_cancelled()``, ``dead_letters_requested(run_id)``, ``history_changed()``,
    ``status_changed(text)``.
    """

    run_started = Signal(bool)
    run_finished = Signal(object)
    run_failed = Signal(str)
    run_cancelled = Signal()
    dead_letters_requested = Signal(str)
    history_changed = Signal()
    status_changed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.folder: Path | None = None
        self.workspace: Path | None = None
        self._texts: dict[str, str] | None = None
        self.params: dict[str, Any] = {}  # run parameters (input_params)
        self._run_params: dict[str, Any] = {}  # the parameters of the run in progress
        self._handle: TaskHandle | None = None
        self._dry_run = True
        self._started_wall = datetime.now(UTC)
        self._started = 0.0
        self._last_log = 0.0
        self._last_progress: Any = None
        self._log_lines: list[str] = []
        self.last_result: dict[str, Any] | None = None
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
        self.progress_label = QLabel("Not run yet.")
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
    def set_pipeline(self, folder: Path, texts: dict[str, str] | None = None,
                     workspace: Path | None = None) -> None:
        """The pipeline to run (unsaved ``texts`` laid over its files); history and trust are
        per ``workspace`` (default: the folder's parent)."""
        self.folder = Path(folder)
        self.workspace = Path(workspace) if workspace else self.folder.parent
        self._texts = dict(texts) if texts else None

    def set_params(self, params: dict[str, Any]) -> None:
        """Run parameters (the pipeline's ``input_params``) for the next run."""
        self.params = dict(params)

    def is_running(self) -> bool:
        return self._handle is not None and self._handle.is_running()

    def confirm_run(self, target: str) -> bool:
        """Ask before a real run, naming the target (tests replace this method)."""
        answer = QMessageBox.question(
            self, "Run the pipeline?", f"This run writes to:\n\n{target}\n\nContinue?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes

    def start_run(self, dry_run: bool = True) -> bool:
        """Start a dry or real run; False when it did not start (error shown, or declined)."""
        if self.folder is None or self.is_running():
            return False
        self.message_bar.clear()
        try:
            orch = build_orchestrator(self.folder, self._texts)
        except Exception as exc:  # config problems are shown in place, never raised
            self.message_bar.show_message(describe_error(exc), "error")
            self.run_failed.emit(describe_error(exc))
            return False
        trusted = workspace_trust().is_trusted(self.workspace)
        _cfg, custom = without_custom_function(orch.config.transform)
        if not dry_run:
            if custom and not trusted and not workspace_trust().ask(self, self.workspace, custom):
                self.message_bar.show_message(
                    f"Not run: the pipeline needs custom function {custom}, and this workspace is not "
                    "trusted. A dry run shows the result without it.", "warning")
                return False
            trusted = trusted or bool(custom and workspace_trust().is_trusted(self.workspace))
            if not self.confirm_run(describe_target(orch)):
                return False
        if custom and not trusted:
            self.message_bar.show_message(skipped_reason(custom), "warning", action="Trust this workspace…")
        self._begin(orch, dry_run, trusted)
        return True

    @Slot()
    def cancel(self) -> None:
        """Stop the run at its next batch boundary (the engine cleans up temp files)."""
        if self.is_running():
            self._append_log("Cancelling…")
            self._handle.cancel()

    # -- running -------------------------------------------------------------------------------
    def _begin(self, orch: ETLOrchestrator, dry_run: bool, trusted: bool) -> None:
        self._dry_run, self._log_lines, self._last_progress = dry_run, [], None
        self.log_view.clear()
        self.summary_label.clear()
        self.dead_letters_button.hide()
        self.last_result = None
        self._started_wall, self._started, self._last_log = datetime.now(UTC), time.monotonic(), 0.0

        run_kwargs: dict[str, Any] = dict(self.params)
        self._run_params = dict(self.params)  # what the Runs panel records for this run
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
        self._handle = handle
        self._set_running(True)
        self.progress_bar.setRange(0, 0)  # busy until the total is known
        kind = "Dry run" if dry_run else "Run"
        self._append_log(f"{kind} of {orch.pipeline_name} started ({describe_target(orch)}"
                         f"{'; nothing is written' if dry_run else ''})")
        self._set_status(f"{kind} running…")
        self.run_started.emit(dry_run)
        handle.start()

    def _set_running(self, running: bool) -> None:
        self.dry_run_button.setEnabled(not running)
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def _set_status(self, text: str) -> None:
        self.progress_label.setText(text)
        self.status_changed.emit(text)

    def _append_log(self, line: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self._log_lines.append(f"{stamp} {line}")
        self.log_view.appendPlainText(f"{stamp} {line}")

    def _is_current(self) -> bool:
        return self.sender() is self._handle and self._handle is not None

    @Slot(object)
    def _on_task_progressed(self, p: Any) -> None:
        if not self._is_current():
            return
        self._last_progress = p
        if getattr(p, "partitions_total", 0):  # a Dask run reports per finished partition
            text = (f"{p.records_processed:,} records · partition {p.partitions_done}/"
                    f"{p.partitions_total} done · {_duration(p.elapsed_seconds)} elapsed")
        else:
            text = (f"{p.records_processed:,} records · {p.batch_num:,} batch{'' if p.batch_num == 1 else 'es'} · "
                    f"{p.rate_per_second:,.0f} rec/s · {_duration(p.elapsed_seconds)} elapsed")
        if p.records_total:
            self.progress_bar.setRange(0, 100)
            self.progress_bar.setValue(int(100 * p.records_processed / p.records_total))
            if p.estimated_remaining_seconds is not None:
                text += f" · about {_duration(p.estimated_remaining_seconds)} left"
        if p.error_count:
            text += f" · {p.error_count:,} dead-lettered"
        self._set_status(text)
        now = time.monotonic()
        if now - self._last_log >= LOG_EVERY_S:
            self._last_log = now
            self._append_log(text)

    @Slot(object)
    def _on_task_batch_ready(self, line: Any) -> None:
        if self._is_current():
            self._append_log(str(line))

    @Slot(object)
    def _on_task_succeeded(self, result: Any) -> None:
        if not self._is_current():
            return
        self.last_result = result
        self._settle()
        counts = summary_counts(result)
        load_word = "would load" if result.get("dry_run") else "loaded"
        by_reason = ", ".join(f"{k}: {v:,}" for k, v in sorted(counts["dlq_by_reason"].items()))
        took = _duration(result.get("duration_seconds") or 0)
        parts = [f"<b>{'Dry run' if result.get('dry_run') else 'Run'} "
                 f"{'finished' if result.get('success') else 'failed'}</b> in {took}",
                 f"extracted {counts['extracted']:,}", f"transformed {counts['transformed']:,}",
                 f"filtered {counts['filtered']:,}", f"{load_word} {counts['loaded']:,}"
                 + (f" ({counts['inserted']:,} inserts, {counts['updated']:,} updates)" if counts["updated"] else ""),
                 f"dead-lettered {counts['dead_lettered']:,}" + (f" ({by_reason})" if by_reason else "")]
        if result.get("partitions"):
            parts.append(f"{len(result['partitions'])} partitions")
        for warning in result.get("warnings") or []:
            self._append_log(f"Note: {warning}")
        if result.get("skipped_custom_function"):
            parts.append(f"custom function {result['skipped_custom_function']} skipped (workspace not trusted)")
        self.summary_label.setText(" · ".join(parts))
        self.dead_letters_button.setVisible(counts["dead_lettered"] > 0)
        self.progress_bar.setRange(0, 100)
        self.progress_bar.setValue(100 if result.get("success") else 0)
        self._set_status(f"{counts['extracted']:,} records in {_duration(result.get('duration_seconds') or 0)}")
        if not result.get("success"):
            self.message_bar.show_message(f"The run failed: {result.get('error')}", "error")
        self._append_log(f"Finished: {'success' if result.get('success') else 'failed'}")
        self._record(RunEntry.from_result(result, folder=self.folder, started_at=self._started_wall,
                                          params=self._run_params, log=self._log_lines))
        self.run_finished.emit(result)

    @Slot(object)
    def _on_task_failed(self, exc: Any) -> None:
        if not self._is_current():
            return
        text = describe_error(exc)
        self._settle()
        self.message_bar.show_message(text, "error")
        self._append_log(f"Failed: {text}")
        self._record(self._partial_entry("failed", text))
        self.run_failed.emit(text)

    @Slot()
    def _on_task_cancelled(self) -> None:
        if not self._is_current():
            return
        self._settle()
        p = self._last_progress
        done = f" after {p.records_processed:,} records" if p is not None else ""
        self._append_log(f"Cancelled{done}; the target was left untouched by this run's partial work.")
        self._set_status(f"Cancelled{done}.")
        self._record(self._partial_entry("cancelled", None))
        self.run_cancelled.emit()

    @Slot()
    def _on_task_finished(self) -> None:
        if self._is_current():
            self._settle()

    def _settle(self) -> None:
        """Leave the running state; called before any outcome signal so listeners see idle widgets."""
        self._set_running(False)
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 100)

    def _partial_entry(self, outcome: str, error: str | None) -> RunEntry:
        p = self._last_progress
        return RunEntry(run_id="", pipeline=self.folder.name if self.folder else "", folder=str(self.folder),
                        started_at=self._started_wall.isoformat(timespec="seconds"), dry_run=self._dry_run,
                        outcome=outcome, duration_seconds=time.monotonic() - self._started,
                        params=dict(self._run_params),
                        counts={"extracted": p.records_processed if p else 0,
                                "dead_lettered": p.error_count if p else 0},
                        error=error, log=list(self._log_lines))

    def _record(self, entry: RunEntry) -> None:
        if self.workspace is None:
            return
        try:
            RunHistory(self.workspace).append(entry)
        except OSError as exc:  # history is a convenience: never fail the run for it
            self.message_bar.show_message(f"Could not write the run history: {exc}", "warning")
            return
        self.history_changed.emit()

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
