"""Show a run folder read-only in the Training tab and the Inspector, following it live.

A run folder may still be written by a headless or multi-GPU run elsewhere; the
follower polls it on its own thread and this object routes what it finds to the tabs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from nectar_gui.core.run_progress import RATE_WINDOW, last_written, opened_run_progress
from nectar_gui.core.rundir import RunPlan, RunReader
from nectar_gui.ui.shell.run_views import RunViews
from nectar_gui.workers.run_follower import RunFollower


class OpenedRun(QObject):
    """At most one followed run folder at a time."""

    opened = Signal(object)  # Path of the run folder now shown

    def __init__(self, parent: QObject, *, views: RunViews) -> None:
        super().__init__(parent)
        self.views = views
        self.training_view = views.training_view
        self.follower: RunFollower | None = None
        self.path: Path | None = None
        self._plan: RunPlan | None = None
        self._recent: list[dict[str, Any]] = []  # the latest metrics lines, for the speed

    def open(self, path: Path, *, training: bool) -> bool:
        """Clear the views and follow ``path``; False (after saying why) if it can't.

        Args:
            training: a live run is active; its views are not given up for another run.
        """
        parent = self.parent()
        window = parent if isinstance(parent, QWidget) else None
        if not RunReader.is_run_dir(path):
            QMessageBox.warning(window, "Not a run folder",
                                f"{path} is not a run folder: config.json is missing.")
            return False
        if training:
            QMessageBox.information(window, "Training is running",
                                    "Stop the current run before opening another one.")
            return False
        self.close()
        self.views.clear()
        self._plan, self._recent = None, []
        self._follow(path)
        self.training_view.probes.set_run(path)
        self.views.inspector.set_run(path)
        self.path = path
        self.training_view.set_source(f"Run folder (read-only, following changes): {path}")
        self.opened.emit(path)
        return True

    def ask_and_open(self, start_in: Path, *, training: bool) -> None:
        """Let the user pick a run folder (File → Open run) and open it."""
        parent = self.parent()
        folder = QFileDialog.getExistingDirectory(
            parent if isinstance(parent, QWidget) else None, "Open a run folder", str(start_in))
        if folder:
            self.open(Path(folder), training=training)

    def close(self) -> None:
        """Stop following (the views keep what they show)."""
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    def _follow(self, path: Path) -> None:
        follower = RunFollower()
        view = self.training_view
        follower.metrics.connect(view.loss_plot.add_points)
        follower.metrics.connect(view.health_plot.add_points)
        follower.metrics.connect(self._on_follower_metrics)
        follower.reset.connect(view.loss_plot.clear)
        follower.reset.connect(view.health_plot.clear)
        follower.reset.connect(self._on_follower_reset)
        follower.validations.connect(view.validation_plot.set_records)
        follower.validations.connect(lambda _records: view.probes.refresh())
        follower.plan.connect(self._on_follower_plan)
        follower.best.connect(view.validation_plot.set_best)
        reader = RunReader(path)  # one reader: the sample view caches what it loaded
        follower.sample_steps.connect(
            lambda steps: self.views.set_sample_steps(steps, reader.load_sample))
        follower.error.connect(lambda msg: self.views.log_panel.append_message(msg, "warning"))
        follower.start(path)
        self.follower = follower

    def _on_follower_reset(self) -> None:
        self._recent = []  # the history was rewritten (a resume): the old lines are void

    def _on_follower_plan(self, plan: RunPlan | None) -> None:
        self._plan = plan
        self._show_progress()

    def _on_follower_metrics(self, records: list[dict[str, Any]]) -> None:
        self._recent = (self._recent + records)[-RATE_WINDOW:]
        self._show_progress()

    def _show_progress(self) -> None:
        """Where the run got to: step of the planned total and an ETA when it has a plan."""
        if not self._recent:
            return
        strip = self.training_view.progress
        report = opened_run_progress(self._recent, self._plan)
        quiet = last_written(self._recent, time.time())
        if report is not None and quiet is not None:
            strip.show_stopped(report, quiet)
            return
        if report is not None:
            strip.show_progress(report)
            return
        last = self._recent[-1]
        epoch = last.get("epoch")
        strip.reset(f"Opened run · last logged step {last['step']:,}"
                    + (f", epoch {epoch + 1}" if isinstance(epoch, int) else ""))
