"""Start, pause and stop a training run from the window, and feed its reports to the tabs.

The main window composes tabs; this object owns the one live run: it asks the runner
to start it, wires the worker's signals into the Training tab, the Inspector and the
log, and tells the window when the run's state changes.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QMessageBox, QWidget

from nectar_gui.core.config import ConfigError, NectarConfig, parse_config
from nectar_gui.core.evaluation.best import read_best
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.training.reports import (
    CheckpointReport,
    ErrorReport,
    FinishedReport,
    HistoryReport,
    LogReport,
    PausedReport,
    StartedReport,
)
from nectar_gui.ui.shell.actions import RunState
from nectar_gui.ui.shell.run_views import RunViews
from nectar_gui.workers.training import TrainingRunner, TrainingWorker


class LiveRun(QObject):
    """The window's training run: its state and where its reports go.

    Args:
        parent: the window (message boxes are placed over it).
        workspace: new runs go into ``workspace/runs/<name>-<time>``.
    """

    state_changed = Signal(object)  # RunState
    run_started = Signal()  # a run was asked to start (its folder may not exist yet)
    run_folder_ready = Signal(object)  # Path: the run folder exists and is being written
    checkpoint_saved = Signal(int)  # step
    ended = Signal()  # the training thread has finished

    def __init__(self, parent: QWidget, *, workspace: Path, views: RunViews) -> None:
        super().__init__(parent)
        self._parent = parent
        self.workspace = workspace
        self.views = views
        self.training_view = views.training_view
        self.log_panel = views.log_panel
        self.runner = TrainingRunner(self)
        self.state = RunState.IDLE
        self.runner.running_changed.connect(self._on_runner_running_changed)

    # ---- commands ---------------------------------------------------------------------
    def start(self, config: NectarConfig, *, resume_dir: Path | None = None
              ) -> TrainingWorker | None:
        """Start ``config`` in a new run folder, or continue ``resume_dir``."""
        if self.runner.running:
            return None
        run_dir = resume_dir or self._new_run_dir(config)
        self.views.clear()
        worker = self.runner.start(config, run_dir=run_dir, resume=resume_dir is not None)
        self._connect_worker(worker)
        # A new run's folder is made only once its data checked out: name it then.
        self.training_view.set_source(f"Resuming {run_dir}" if resume_dir else
                                      "Starting a new run…")
        self.training_view.progress.set_busy("Setting up (loading data and building networks)…")
        self.run_started.emit()
        self._set_state(RunState.RUNNING)
        return worker

    def config_to_resume(self, run_dir: Path) -> NectarConfig | None:
        """The saved config of ``run_dir`` for resuming, or None (after saying why)."""
        try:
            # A step cap belongs to the session that set it (e.g. `--max-steps`);
            # resuming from the app continues through the run's whole schedule.
            saved = parse_config(RunReader(run_dir).config())
            return saved.with_overrides({"logging.max_steps": None})
        except (ConfigError, ValueError, OSError) as exc:
            QMessageBox.warning(self._parent, "Cannot resume", f"{run_dir}: {exc}")
            return None

    def stop(self) -> None:
        """Stop after the current step; a checkpoint is saved first."""
        if self.runner.running:
            self.runner.stop()
            self.training_view.progress.set_busy("Stopping — saving a checkpoint…")
            self._set_state(RunState.STOPPING)

    def toggle_pause(self) -> None:
        """Pause a running run after this step, or resume a paused one."""
        if self.state is RunState.RUNNING:
            self.runner.pause()
            self.training_view.progress.set_busy("Pausing after this step…")
        elif self.state is RunState.PAUSED:
            self.runner.resume()

    # ---- internals --------------------------------------------------------------------
    def _new_run_dir(self, config: NectarConfig) -> Path:
        base = self.workspace / "runs" / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        return path

    def _set_state(self, state: RunState) -> None:
        self.state = state
        self.state_changed.emit(state)

    def _connect_worker(self, worker: TrainingWorker) -> None:
        view = self.training_view
        worker.losses.connect(view.loss_plot.add_report)
        worker.losses.connect(view.health_plot.add_report)
        worker.sample.connect(view.sample_view.add_sample)
        worker.sample.connect(self.views.inspector.add_sample)
        worker.progress.connect(view.progress.show_progress)
        worker.started.connect(self._on_worker_started)
        worker.history.connect(self._on_worker_history)
        worker.log.connect(self._on_worker_log)
        worker.validation.connect(view.validation_plot.add_report)
        worker.validation.connect(lambda _report: view.probes.refresh())
        worker.checkpoint.connect(self._on_worker_checkpoint)
        worker.paused.connect(self._on_worker_paused)
        worker.resumed.connect(lambda _r: self._set_state(RunState.RUNNING))
        worker.error.connect(self._on_worker_error)
        worker.finished.connect(self._on_worker_finished)

    def _on_worker_started(self, report: StartedReport) -> None:
        self.log_panel.append_message(f"Started on {report.device}")
        if report.run_dir:
            self.training_view.set_source(f"Training live → {report.run_dir}")
            self.training_view.probes.set_run(Path(report.run_dir))
            self.views.inspector.set_run(Path(report.run_dir))
            self.run_folder_ready.emit(Path(report.run_dir))

    def _on_worker_history(self, report: HistoryReport) -> None:
        self.training_view.loss_plot.add_points(report.metrics)
        self.training_view.health_plot.add_points(report.metrics)
        reader = RunReader(Path(report.run_dir))
        self.training_view.validation_plot.set_records(reader.all_validations())
        self.training_view.validation_plot.set_best(read_best(reader.paths.checkpoints))
        self.views.set_sample_steps(report.sample_steps, reader.load_sample)

    def _on_worker_log(self, report: LogReport) -> None:
        self.log_panel.append_message(report.message, report.level)

    def _on_worker_checkpoint(self, report: CheckpointReport) -> None:
        self.checkpoint_saved.emit(report.step)

    def _on_worker_paused(self, report: PausedReport) -> None:
        self._set_state(RunState.PAUSED)
        self.training_view.progress.hold(f"Paused at step {report.step:,} — press Resume")
        if report.reason:
            QMessageBox.warning(self._parent, "Training paused", report.reason)

    def _on_worker_error(self, report: ErrorReport) -> None:
        self.log_panel.append_message(report.message, "error")
        QMessageBox.critical(self._parent, "Training stopped", report.message)

    def _on_worker_finished(self, report: FinishedReport | None) -> None:
        text = (f"Finished at step {report.step:,} ({report.reason})" if report
                else "Stopped by an error — see the log")
        complete = report is not None and report.reason == "completed"
        self.training_view.progress.hold(text, complete=complete)
        self.log_panel.append_message(text)

    def _on_runner_running_changed(self, running: bool) -> None:
        if not running:
            self._set_state(RunState.IDLE)
            self.ended.emit()


def ask_stop_to_close(parent: QWidget) -> bool:
    """Ask whether to stop the running training (with a checkpoint) and quit."""
    answer = QMessageBox.question(
        parent, "Training is running",
        "Training is still running. Stop it, save a checkpoint and quit?\n\n"
        "You can resume the run later from File → Open run.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel)
    return answer == QMessageBox.StandardButton.Yes
