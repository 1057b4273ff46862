"""The Evaluate tab: which checkpoint is good, and where does the model still fail?

Pick a run, tick checkpoints, press Evaluate: each checkpoint is measured on the run's
val or test images on ``EvaluateRunner``'s thread (the only place torch runs), and its
per-image results fill the table (worst first) and the metric-vs-step plot as soon as
it is done. Double-clicking an image asks the window to open it in the Inspector with
that checkpoint's D. "Mark as best" and "Pick the best by …" write ``checkpoints/BEST``,
which Translate, export and Ask D load by default. A loose generator file (a reference
``.pth``) can be measured too, on a dataset the user names; it is shown as one entry,
without BEST or the Inspector (it has no D).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from nectar_gui.core.evaluation.best import BestMark
from nectar_gui.core.evaluation.records import (
    RANKING_METRICS,
    SET_METRICS,
    ImageResult,
    StepEvaluation,
    default_ranking_metric,
    metric_name,
    ranking_value,
)
from nectar_gui.core.translate.info import RunCheckpoints
from nectar_gui.ui.evaluate.best import BestPanel, mark_by_user
from nectar_gui.ui.evaluate.checkpoints import CheckpointList
from nectar_gui.ui.evaluate.controls import ControlBar
from nectar_gui.ui.evaluate.plot import MetricPlot
from nectar_gui.ui.evaluate.progress import ProgressStrip
from nectar_gui.ui.evaluate.requests import inspect_request
from nectar_gui.ui.evaluate.run_info import RunInfo, read_generator_file, read_run
from nectar_gui.ui.evaluate.table import ResultsTable, caption
from nectar_gui.workers.evaluate import EvalEnd, EvalProgress, EvaluateRunner
from nectar_gui.workers.run_list import RunLister

_ERROR_STYLE = "color: #c0392b"
_CHOOSE_HINT = ("Choose a run above, or open a run folder: its checkpoints are listed on the "
                "left. Tick some, press Evaluate ticked, then click one to see its images.")


class EvaluateTab(QWidget):
    """Measure a run's checkpoints, browse the worst images, choose the best checkpoint.

    Args:
        workspace: holds ``runs/``, whose runs the picker lists.
        settings: remembers the last run and the image limit.
    """

    TAB_TIP = ("Measure checkpoints on images kept out of training, find the worst images, "
               "and mark the best checkpoint")
    inspect_requested = Signal(object)  # InspectRequest

    def __init__(self, *, workspace: Path, settings: QSettings,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.settings = settings
        self.runner = EvaluateRunner(self)
        self.lister = RunLister(self)
        self.run: RunInfo | None = None
        self._results: dict[str, dict[int, StepEvaluation]] = {}  # split → step → result
        self._job: int | None = None
        self._job_steps: set[int] = set()  # what the running job will still measure
        self._failure: str | None = None
        self._started = False
        self._started_at = 0.0  # when the running evaluation began (time.monotonic)
        self._build_ui()
        self._connect()
        self.controls.remember_in(settings)
        self._update()

    def _build_ui(self) -> None:
        self.controls = ControlBar()
        self.strip = ProgressStrip()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.checkpoints = CheckpointList()
        self.best = BestPanel()
        self.plot = MetricPlot()
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        self.table = ResultsTable()
        self.splitter = _lay_out(self)

    def _connect(self) -> None:
        c, w = self.controls, self.runner.worker
        self.lister.listed.connect(self._on_lister_listed)
        c.run_chosen.connect(self.open_run)
        c.file_chosen.connect(self.open_generator_file)
        c.step_chosen.connect(self._on_controls_step_chosen)
        c.split_changed.connect(lambda _s: self._show_results())
        c.metric_changed.connect(lambda _m: self._show_results(resort=True))
        c.evaluate_requested.connect(self.evaluate)
        self.checkpoints.current_changed.connect(lambda _s: self._show_current())
        self.checkpoints.ticks_changed.connect(self._update)
        self.plot.step_clicked.connect(self.checkpoints.select_step)
        self.best.mark_requested.connect(self.mark_current_as_best)
        self.best.auto_requested.connect(self.pick_best)
        self.strip.cancel_requested.connect(self.runner.cancel)
        self.table.image_activated.connect(self._on_table_image_activated)
        self.runner.busy_changed.connect(lambda _b: self._update())
        w.progress.connect(self._on_worker_progress)
        w.evaluated.connect(self._on_worker_evaluated)
        w.best_marked.connect(self._on_worker_best_marked)
        w.failed.connect(self._on_worker_failed)
        w.finished.connect(self._on_worker_finished)

    # ---- lifecycle ----------------------------------------------------------------------
    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.refresh_runs()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()  # shown as a window of its own (tests, embedding)
        super().closeEvent(event)

    def refresh_runs(self) -> None:
        """List the workspace's runs again, and re-read the open run (new checkpoints)."""
        self.lister.refresh(self.workspace)
        if self.run is not None and not self.runner.busy:
            self._reload_run()

    def shutdown(self, timeout_ms: int = 60_000) -> bool:
        """Cancel the evaluation and join the helper threads (the window is closing)."""
        ended = self.runner.shutdown(timeout_ms)
        return self.lister.wait(timeout_ms) and ended

    # ---- the run ------------------------------------------------------------------------
    def open_run(self, path: Path) -> None:
        """Show run ``path``: its checkpoints, splits and validation history."""
        if self.runner.busy:
            return
        self.controls.select_run(Path(path))
        self.settings.setValue("evaluate/run", str(path))
        self.settings.setValue("evaluate/open_dir", self.controls.start_dir)
        run = read_run(Path(path))
        latest = {run.steps[-1]} if run.steps else set()
        self._show_source(run, latest | ({run.best.step} if run.best else set()))

    def open_generator_file(self, path: Path, data_root: Path) -> None:
        """Show generator file ``path``, to be measured on ``data_root``'s val or test."""
        if not self.runner.busy:
            self.controls.select_file(Path(path), Path(data_root))
            self._show_source(read_generator_file(Path(path), Path(data_root)), {0})

    def _show_source(self, run: RunInfo, ticked: set[int]) -> None:
        """Show a newly opened run or generator file, with no results yet."""
        self._results, self._failure, self.run = {}, None, run
        self.checkpoints.set_steps(run.steps, self._best_step(), ticked, names=_names(run))
        self._after_run_read()

    def _on_controls_step_chosen(self, step: int) -> None:
        """A checkpoint folder was opened: show it, and tick it for evaluation."""
        self.checkpoints.set_ticked({step})
        self.checkpoints.select_step(step)

    def _reload_run(self) -> None:
        """Re-read the open run, keeping results and ticks."""
        assert self.run is not None
        ticked = set(self.checkpoints.ticked_steps())
        current = self.checkpoints.current_step()
        file = self.run.generator_file
        self.run = (read_generator_file(file, Path(self.run.data_root)) if file
                    else read_run(self.run.run_dir))
        self.checkpoints.set_steps(self.run.steps, self._best_step(), ticked,
                                   names=_names(self.run))
        if current is not None:
            self.checkpoints.select_step(current)
        self._after_run_read()

    def _after_run_read(self) -> None:
        assert self.run is not None
        self.controls.set_splits(self.run.splits)
        metrics = RANKING_METRICS[self.run.kind]
        current = self.controls.ranking_metric()
        self.controls.set_metrics(metrics, current if current in metrics
                                  else default_ranking_metric(self.run.kind))
        self.best.set_mark(self.run.best, file=self.run.is_file)
        self.plot.setVisible(not self.run.is_file)  # one file has no steps to plot
        self._show_results()

    def _on_lister_listed(self, runs: list[RunCheckpoints]) -> None:
        self.controls.set_runs(runs)
        if self.run is None and runs:
            saved = Path(str(self.settings.value("evaluate/run", "")))
            self.open_run(next((r.run_dir for r in runs if r.run_dir == saved),
                               runs[0].run_dir))

    def _file_name(self) -> str | None:
        return self.run.name if self.run is not None and self.run.is_file else None

    def _best_step(self) -> int | None:
        return self.run.best.step if self.run is not None and self.run.best else None

    # ---- evaluating ---------------------------------------------------------------------
    def evaluate(self) -> None:
        """Measure every ticked checkpoint on the chosen split, on the worker thread."""
        steps = self.checkpoints.ticked_steps()
        if self.run is None or self.run.problem or not steps or self.runner.busy:
            return
        self._failure, self._started_at = None, time.monotonic()
        self._job_steps = set(steps)
        split, limit, file = self.controls.split(), self.controls.limit(), self.run.generator_file
        fid = self.controls.inception_weights()
        self._job = (self.runner.evaluate_file(file, Path(self.run.data_root), split,
                                               limit=limit, inception_weights=fid) if file else
                     self.runner.evaluate(self.run.run_dir, steps, split, limit=limit,
                                          inception_weights=fid))
        what = self.run.name if file else f"{len(steps)} checkpoint(s)"
        self.strip.busy(f"Evaluating {what} on {split}…")
        self._update()

    def _on_worker_progress(self, p: EvalProgress) -> None:
        if p.job == self._job:
            self.strip.show_progress(p, self._file_name())

    def _on_worker_evaluated(self, evaluation: StepEvaluation) -> None:
        if self._job is None:
            return
        self._results.setdefault(evaluation.split, {})[evaluation.step] = evaluation
        self.controls.offer_metrics(m for m in SET_METRICS if m in evaluation.mean)
        # Show the new result unless the checkpoint shown already has one, or will soon.
        current = self.checkpoints.current_step()
        if current is None or (current not in self._split_results()
                               and current not in self._job_steps):
            self.checkpoints.select_step(evaluation.step)
        self._job_steps.discard(evaluation.step)
        self._show_results()

    def _on_worker_failed(self, message: str) -> None:
        self._failure = message
        self._update()

    def _on_worker_finished(self, end: EvalEnd) -> None:
        if end.kind == "evaluate" and end.job == self._job:
            self._job, self._job_steps = None, set()
            self.strip.show_end(end, time.monotonic() - self._started_at, self._file_name())
        self._update()

    # ---- BEST ---------------------------------------------------------------------------
    def mark_current_as_best(self) -> None:
        """Point ``checkpoints/BEST`` at the checkpoint shown (a user's choice)."""
        step = self.checkpoints.current_step()
        if self.run is None or self.run.is_file or step is None:
            return
        try:
            mark = mark_by_user(self.run.checkpoints_dir, step, self.controls.ranking_metric(),
                                self._split_results().get(step))
        except (OSError, ValueError) as exc:
            self._failure = f"Could not mark step {step} as the best checkpoint: {exc}"
            self._update()
            return
        self._set_best(mark)

    def pick_best(self) -> None:
        """Mark the best evaluated checkpoint by the chosen metric, on the worker thread."""
        evaluations = self._evaluations()
        if self.run is None or self.run.is_file or not evaluations or self.runner.busy:
            return
        self.runner.choose_best(self.run.run_dir, evaluations, self.controls.ranking_metric())

    def _on_worker_best_marked(self, mark: BestMark) -> None:
        self._set_best(mark)
        self.strip.idle(f"Step {mark.step:,} is now the best checkpoint by "
                        f"{metric_name(mark.metric or '')}.")

    def _set_best(self, mark: BestMark) -> None:
        if self.run is None:
            return
        self.run = replace(self.run, best=mark)
        self.checkpoints.set_best(mark.step)
        self.best.set_mark(mark)
        self._show_results()

    # ---- showing ------------------------------------------------------------------------
    def _split_results(self) -> dict[int, StepEvaluation]:
        return self._results.get(self.controls.split(), {})

    def _evaluations(self) -> list[StepEvaluation]:
        """This split's evaluated checkpoints, oldest first."""
        results = self._split_results()
        return [results[s] for s in sorted(results)]

    def current_evaluation(self) -> StepEvaluation | None:
        """The evaluation the table shows (the current checkpoint on the current split)."""
        step = self.checkpoints.current_step()
        return self._split_results().get(step) if step is not None else None

    def _show_results(self, *, resort: bool = False) -> None:
        metric = self.controls.ranking_metric()
        results = self._split_results()
        self.checkpoints.set_means({s: ranking_value(e.mean, metric)
                                    for s, e in results.items()}, metric)
        self.plot.show_metric(metric, results.values(),
                              self.run.validations if self.run else (), self._best_step())
        self._show_current(resort=resort)

    def _show_current(self, *, resort: bool = False) -> None:
        """Table, caption and plot line for the current checkpoint. A new result is
        sorted worst first; one already shown keeps the order the user clicked."""
        step = self.checkpoints.current_step()
        evaluation = self.current_evaluation()
        if resort or evaluation is not self.table.results.evaluation:
            self.table.show_evaluation(evaluation, self.controls.ranking_metric())
        self.plot.set_current(step)
        self.caption.setText(caption(step, evaluation, self.controls.split(),
                                     self.controls.ranking_metric(), self._file_name()))
        self._update()

    def _on_table_image_activated(self, result: ImageResult) -> None:
        evaluation = self.current_evaluation()
        if self.run is not None and self.run.is_file:
            self.strip.idle("A generator file has no discriminator, so the Inspector cannot "
                            "judge its images; open it in Translate to look at them.")
        elif self.run is not None and evaluation is not None:
            self.inspect_requested.emit(inspect_request(self.run, evaluation.step, result))

    def _update(self) -> None:
        busy = self.runner.busy
        problem = self._failure or (self.run.problem if self.run else None)
        self.message.setVisible(bool(problem) or self.run is None)
        self.message.setStyleSheet(_ERROR_STYLE if problem else "color: gray")
        self.message.setText(problem or (_CHOOSE_HINT if self.run is None else ""))
        can_run = self.run is not None and not self.run.problem
        self.controls.evaluate_button.setEnabled(
            can_run and not busy and bool(self.checkpoints.ticked_steps()))
        for widget in (self.controls.run_combo, self.controls.open_button,
                       self.controls.file_button, self.controls.split_combo):
            widget.setEnabled(not busy)
        self.best.update_state(step=self.checkpoints.current_step(),
                               metric=self.controls.ranking_metric(),
                               evaluated=len(self._split_results()), busy=busy)


def _lay_out(tab: EvaluateTab) -> QSplitter:
    """Controls and progress on top; checkpoints and BEST left; plot over table right."""
    right = QSplitter(Qt.Orientation.Vertical)
    right.addWidget(tab.plot)
    right.addWidget(_column(tab.caption, tab.table, stretch=1))
    right.setSizes([170, 400])
    splitter = QSplitter(Qt.Orientation.Horizontal)
    splitter.addWidget(_column(tab.checkpoints, tab.best, stretch=0))
    splitter.addWidget(right)
    splitter.setStretchFactor(1, 1)
    splitter.setSizes([230, 770])
    splitter.setChildrenCollapsible(False)
    layout = QVBoxLayout(tab)
    layout.setContentsMargins(8, 8, 8, 8)
    for widget in (tab.controls, tab.strip, tab.message):
        layout.addWidget(widget)
    layout.addWidget(splitter, 1)
    return splitter


def _names(run: RunInfo) -> dict[int, str] | None:
    """A generator file's one entry shows its file name instead of "step 0"."""
    return {0: run.name} if run.is_file else None


def _column(*widgets: QWidget, stretch: int) -> QWidget:
    """Widgets stacked in one column; the last gets the stretch ``stretch``."""
    column = QWidget()
    layout = QVBoxLayout(column)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets[:-1]:
        layout.addWidget(widget, 1 if stretch == 0 else 0)
    layout.addWidget(widgets[-1], stretch)
    return column
