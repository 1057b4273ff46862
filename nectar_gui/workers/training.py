"""Training on a QThread: the worker that iterates a TrainingSession, and its owner.

The worker lives on its own parentless thread and turns each report into one Qt
signal. Stop, pause and "save now" are flags on a :class:`TrainingControl` that the UI
thread sets directly: a queued signal would wait until the busy loop returns, which is
never. ``finished`` always fires, after an error too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Qt, QThread, Signal, SignalInstance, Slot

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import (
    CheckpointReport,
    ErrorReport,
    FinishedReport,
    HistoryReport,
    LogReport,
    LossReport,
    PausedReport,
    ProgressReport,
    Report,
    ResumedReport,
    SampleReport,
    StartedReport,
    ValidationReport,
)

# While a run trains, the UI thread's Python work (plots, samples) holds the GIL that
# the training thread needs between its torch calls; Python hands the GIL over to a
# waiting thread after this long (default 5 ms), so a shorter interval stalls training
# less when the UI is busy. Restored when the run ends.
TRAINING_SWITCH_INTERVAL_S = 0.001


class TrainingWorker(QObject):
    """Runs one training session and reports through signals (one payload each)."""

    started = Signal(object)  # StartedReport
    history = Signal(object)  # HistoryReport (resumed runs, before the first new step)
    progress = Signal(object)  # ProgressReport
    losses = Signal(object)  # LossReport
    sample = Signal(object)  # SampleReport
    checkpoint = Signal(object)  # CheckpointReport
    paused = Signal(object)  # PausedReport
    resumed = Signal(object)  # ResumedReport
    log = Signal(object)  # LogReport
    validation = Signal(object)  # ValidationReport
    error = Signal(object)  # ErrorReport
    finished = Signal(object)  # FinishedReport, or None after an error

    def __init__(self, config: NectarConfig, *, run_dir: Path, resume: bool = False) -> None:
        super().__init__()
        self.config = config
        self.run_dir = run_dir
        self.resume = resume
        self.control = TrainingControl()
        self._signals: dict[type, SignalInstance] = {
            StartedReport: self.started, HistoryReport: self.history,
            ProgressReport: self.progress,
            LossReport: self.losses, SampleReport: self.sample,
            CheckpointReport: self.checkpoint, PausedReport: self.paused,
            ResumedReport: self.resumed, LogReport: self.log, ErrorReport: self.error,
            ValidationReport: self.validation,
        }

    @Slot()
    def run(self) -> None:
        """Iterate the session to its end (runs on the worker thread)."""
        end: FinishedReport | None = None
        try:
            # Imported here: torch loads on the worker thread, never on the UI's.
            from nectar_gui.core.training.session import SessionOptions, TrainingSession

            options = SessionOptions(run_dir=self.run_dir, resume=self.resume,
                                     interactive=True, live_samples=True)
            for report in TrainingSession(self.config, options).run(self.control):
                if isinstance(report, FinishedReport):
                    end = report
                else:
                    self._emit(report)
        except Exception as exc:  # the session reports its own errors; this is a last net
            self.error.emit(ErrorReport(message=f"Training failed: {exc}", detail=repr(exc)))
        finally:
            self.finished.emit(end)

    def _emit(self, report: Report) -> None:
        signal = self._signals.get(type(report))
        if signal is not None:
            signal.emit(report)


class TrainingRunner(QObject):
    """Owns the worker thread of the current run: start, control, and a clean join.

    Only one run at a time. ``running_changed`` fires with True when a run starts and
    False once its thread has ended.
    """

    running_changed = Signal(bool)  # is a run active

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker: TrainingWorker | None = None
        self._switch_interval = sys.getswitchinterval()
        self._thread: QThread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    def start(self, config: NectarConfig, *, run_dir: Path, resume: bool = False
              ) -> TrainingWorker:
        """Start a run on a new thread; connect to the returned worker's signals."""
        if self.running:
            raise RuntimeError("a training run is already active")
        worker = TrainingWorker(config, run_dir=run_dir, resume=resume)
        thread = QThread()
        thread.setObjectName("training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        # Direct: QThread.quit is thread-safe, and a queued call would never arrive while
        # the UI thread is blocked in stop_and_wait().
        worker.finished.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self.worker, self._thread = worker, thread
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(TRAINING_SWITCH_INTERVAL_S)
        thread.start()
        self.running_changed.emit(True)
        return worker

    def pause(self) -> None:
        if self.worker is not None:
            self.worker.control.pause()

    def resume(self) -> None:
        if self.worker is not None:
            self.worker.control.resume()

    def save_now(self) -> None:
        if self.worker is not None:
            self.worker.control.request_checkpoint()

    def stop(self) -> None:
        """Ask the run to stop after this step; it saves a checkpoint first."""
        if self.worker is not None:
            self.worker.control.request_stop()

    def stop_and_wait(self, timeout_ms: int = 120_000) -> bool:
        """Stop and join the thread (closing the window). True when it has ended."""
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        ended = thread.wait(timeout_ms)
        if ended:
            self._on_thread_finished()
        return bool(ended)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        sys.setswitchinterval(self._switch_interval)
        self._thread.deleteLater()
        if self.worker is not None:
            self.worker.deleteLater()
        self._thread, self.worker = None, None
        self.running_changed.emit(False)
