"""The workbench window: configure, pick data, train, watch, open runs.

Layout: the config editor docked on the left, Dataset, Training and Inspector tabs in the
middle, the log docked at the bottom, Start / Pause / Stop / Save in the toolbar, device
and memory in the status bar. The window never imports torch: training happens in
``workers.training``, and torch is loaded in the background by ``workers.engine``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QWidget,
)

from nectar_gui.core.config import ConfigError, NectarConfig, parse_config
from nectar_gui.core.formatting import format_bytes, process_memory_bytes
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
from nectar_gui.ui.build_summary import BuildSummary
from nectar_gui.ui.config_editor import ConfigEditor
from nectar_gui.ui.dataset_browser import DatasetBrowser
from nectar_gui.ui.inspector import InspectorTab
from nectar_gui.ui.log_panel import LogPanel
from nectar_gui.ui.main_actions import MainActions, RunState
from nectar_gui.ui.training_view import TrainingView
from nectar_gui.ui.translate_tab import TranslateTab
from nectar_gui.ui.welcome import WelcomePage
from nectar_gui.workers.engine import EngineInfo, EngineLoader
from nectar_gui.workers.run_follower import RunFollower
from nectar_gui.workers.training import TrainingRunner, TrainingWorker

MAX_RECENT = 8


class MainWindow(QMainWindow):
    """The Nectar GUI workbench.

    Args:
        workspace: folder for new runs (``runs/``) and the demo dataset (``demo-data/``).
        settings: where layout, recent runs and the last config persist.
    """

    def __init__(self, *, workspace: Path, settings: QSettings) -> None:
        super().__init__()
        self.workspace = workspace
        self.settings = settings
        self.runner = TrainingRunner(self)
        self.follower: RunFollower | None = None
        self.engine: EngineInfo | None = None
        self._state = RunState.IDLE
        self._close_when_stopped = False
        self._start_after_demo = False  # "Train on the demo data": start once it is ready
        self._build_ui()
        self._connect()
        self._restore_state()
        self._set_state(RunState.IDLE)

    # ---- building ---------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("Nectar GUI[*]")  # [*]: where the unsaved-changes mark goes
        self.setDockNestingEnabled(True)
        self.editor = ConfigEditor()
        self.build_summary = BuildSummary()
        self.build_summary.follow(self.editor)
        self.dataset_browser = DatasetBrowser()
        self.dataset_browser.set_demo_folder(str(self.workspace / "demo-data"))
        self.training_view = TrainingView()
        self.welcome = WelcomePage()  # a tab on first launch, or from Help → Welcome page
        self.log_panel = LogPanel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.dataset_browser, "Dataset")
        self.tabs.addTab(self.training_view, "Training")
        self.inspector = InspectorTab()
        self.tabs.addTab(self.inspector, "Inspector")
        self.tabs.setTabToolTip(self.tabs.indexOf(self.inspector),
                                "Where the discriminator thinks each sample looks real or "
                                "fake, patch by patch, and which pixels each patch covers")
        self.translate_tab = TranslateTab(workspace=self.workspace, settings=self.settings)
        self.tabs.addTab(self.translate_tab, "Translate")
        self.tabs.setTabToolTip(self.tabs.indexOf(self.translate_tab),
                                "Use a trained model on your own images: translate, "
                                "compare before and after, save, do whole folders")
        self.setCentralWidget(self.tabs)
        config_panel = QSplitter(Qt.Orientation.Vertical)
        config_panel.addWidget(self.editor)
        summary_scroll = QScrollArea()
        summary_scroll.setWidget(self.build_summary)
        summary_scroll.setWidgetResizable(True)
        summary_scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        config_panel.addWidget(summary_scroll)
        config_panel.setStretchFactor(0, 3)
        config_panel.setStretchFactor(1, 1)
        config_panel.setSizes([3000, 1300])  # proportions: the summary's hint is too small
        # The config column runs the full height; the log sits under the tabs only.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
        config_dock = self._add_dock("Configuration", config_panel,
                                     Qt.DockWidgetArea.LeftDockWidgetArea)
        self.config_dock = config_dock
        log_dock = self._add_dock("Log", self.log_panel, Qt.DockWidgetArea.BottomDockWidgetArea)
        self.resizeDocks([config_dock], [460], Qt.Orientation.Horizontal)
        self.resizeDocks([log_dock], [100], Qt.Orientation.Vertical)
        self.actions_ = MainActions(self, self.settings)
        self._build_status_bar()

    def _add_dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock-{title.lower()}")
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _build_status_bar(self) -> None:
        self.device_label = QLabel("Loading PyTorch…")
        self.memory_label = QLabel()
        bar = self.statusBar()
        bar.addPermanentWidget(self.memory_label)
        bar.addPermanentWidget(self.device_label)
        self._memory_timer = QTimer(self)
        self._memory_timer.setInterval(2000)
        self._memory_timer.timeout.connect(self._on_memory_timer_timeout)
        self._memory_timer.start()
        self._on_memory_timer_timeout()

    def _connect(self) -> None:
        a = self.actions_
        a.start.triggered.connect(self.start_training)
        a.pause.triggered.connect(self._on_pause_triggered)
        a.stop.triggered.connect(self.stop_training)
        a.save_checkpoint.triggered.connect(self.runner.save_now)
        a.open_run.triggered.connect(self._on_open_run_triggered)
        a.resume_run.triggered.connect(self._on_resume_run_triggered)
        a.recent_selected.connect(self.open_run)
        self.runner.running_changed.connect(self._on_runner_running_changed)
        self.editor.validity_changed.connect(lambda _valid: self._update_actions())
        self.editor.config_changed.connect(self._on_editor_config_changed)
        self.editor.modified_changed.connect(self._on_editor_modified_changed)
        self.dataset_browser.root_changed.connect(self._on_dataset_root_changed)
        self.dataset_browser.demo_ready.connect(self._on_dataset_demo_ready)
        self.welcome.train_demo_requested.connect(self._on_welcome_train_demo_requested)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        a.welcome.triggered.connect(self.show_welcome)
        self.welcome.open_dataset_requested.connect(self._on_welcome_open_dataset_requested)
        self.welcome.translate_requested.connect(
            lambda: self.tabs.setCurrentWidget(self.translate_tab))
        self.training_view.sample_view.image_activated.connect(
            self._on_sample_view_image_activated)

    # ---- state --------------------------------------------------------------------------
    def _restore_state(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 800)
        state = s.value("window/state")
        if state is not None:
            self.restoreState(state)
        text = s.value("config/last")
        if isinstance(text, str):
            try:
                self.editor.set_config(parse_config(json.loads(text)))
            except (ConfigError, ValueError):
                self.log_panel.append_message("The last session's config could not be "
                                              "read; starting from the preset.", "warning")
        config = self.editor.config()
        if config is not None:
            self._on_editor_config_changed(config)
            if config.data.root:
                self.dataset_browser.set_root(config.data.root)
        self.actions_.set_recent(self.recent_runs())
        if not s.value("welcome/seen", False, type=bool):
            self.show_welcome()
            s.setValue("welcome/seen", True)

    def _save_state(self) -> None:
        self.config_dock.setVisible(True)  # hidden only while Translate is shown
        self.settings.setValue("window/geometry", self.saveGeometry())
        self.settings.setValue("window/state", self.saveState())
        config = self.editor.config()
        if config is not None:
            self.settings.setValue("config/last", config.to_json())
        self.settings.sync()

    def recent_runs(self) -> list[str]:
        value = self.settings.value("runs/recent", [])
        runs = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        return [r for r in runs if isinstance(r, str)]

    def _remember_run(self, path: Path) -> None:
        runs = [str(path)] + [r for r in self.recent_runs() if r != str(path)]
        self.settings.setValue("runs/recent", runs[:MAX_RECENT])
        self.actions_.set_recent(runs[:MAX_RECENT])

    def _set_state(self, state: RunState) -> None:
        self._state = state
        self.editor.set_read_only(state is not RunState.IDLE)
        self._update_actions()

    def _update_actions(self) -> None:
        self.actions_.update(self._state, can_start=self._start_problem() is None)

    def _start_problem(self) -> str | None:
        """Why Start is not possible now, or None."""
        config = self.editor.config()
        if config is None:
            return "The configuration has errors (shown in red)."
        if not config.data.root:
            return "Choose a dataset first (Dataset tab), or use the demo dataset."
        return None

    # ---- training -----------------------------------------------------------------------
    def start_training(self, *, resume_dir: Path | None = None) -> TrainingWorker | None:
        """Start a new run from the editor's config (or resume ``resume_dir``)."""
        if self.runner.running:
            return None
        config = self._config_for(resume_dir)
        if config is None:
            return None
        self._close_follower()
        run_dir = resume_dir or self._new_run_dir(config)
        self.training_view.clear()
        self.inspector.clear()
        worker = self.runner.start(config, run_dir=run_dir, resume=resume_dir is not None)
        self._connect_worker(worker)
        self.training_view.set_source(f"Training live → {run_dir}")
        self.training_view.progress.set_busy("Setting up (loading data and building networks)…")
        self.tabs.setCurrentWidget(self.training_view)
        self._remember_run(run_dir)
        self._set_state(RunState.RUNNING)
        return worker

    def _config_for(self, resume_dir: Path | None) -> NectarConfig | None:
        if resume_dir is None:
            problem = self._start_problem()
            if problem:
                QMessageBox.information(self, "Cannot start yet", problem)
                return None
            return self.editor.config()
        try:
            # A step cap belongs to the session that set it (e.g. `--max-steps`);
            # resuming from the app continues through the run's whole schedule.
            saved = parse_config(RunReader(resume_dir).config())
            return saved.with_overrides({"logging.max_steps": None})
        except (ConfigError, ValueError, OSError) as exc:
            QMessageBox.warning(self, "Cannot resume", f"{resume_dir}: {exc}")
            return None

    def _new_run_dir(self, config: NectarConfig) -> Path:
        base = self.workspace / "runs" / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"
        path, n = base, 1
        while path.exists():
            n += 1
            path = base.with_name(f"{base.name}-{n}")
        return path

    def _connect_worker(self, worker: TrainingWorker) -> None:
        view = self.training_view
        worker.losses.connect(view.loss_plot.add_report)
        worker.sample.connect(view.sample_view.add_sample)
        worker.sample.connect(self.inspector.add_sample)
        worker.progress.connect(view.progress.show_progress)
        worker.started.connect(self._on_worker_started)
        worker.history.connect(self._on_worker_history)
        worker.log.connect(self._on_worker_log)
        worker.checkpoint.connect(self._on_worker_checkpoint)
        worker.paused.connect(self._on_worker_paused)
        worker.resumed.connect(lambda _r: self._set_state(RunState.RUNNING))
        worker.error.connect(self._on_worker_error)
        worker.finished.connect(self._on_worker_finished)

    def stop_training(self) -> None:
        """Stop after the current step; a checkpoint is saved first."""
        if self.runner.running:
            self.runner.stop()
            self.training_view.progress.set_busy("Stopping — saving a checkpoint…")
            self._set_state(RunState.STOPPING)

    def _on_pause_triggered(self) -> None:
        if self._state is RunState.RUNNING:
            self.runner.pause()
            self.training_view.progress.set_busy("Pausing after this step…")
        elif self._state is RunState.PAUSED:
            self.runner.resume()

    def _on_worker_started(self, report: StartedReport) -> None:
        self.log_panel.append_message(f"Started on {report.device}")

    def _on_worker_history(self, report: HistoryReport) -> None:
        view = self.training_view
        view.loss_plot.add_points(report.metrics)
        reader = RunReader(Path(report.run_dir))
        view.sample_view.set_steps(report.sample_steps, reader.load_sample)
        self.inspector.set_steps(report.sample_steps, reader.load_sample)

    def _on_worker_log(self, report: LogReport) -> None:
        self.log_panel.append_message(report.message, report.level)

    def _on_worker_checkpoint(self, report: CheckpointReport) -> None:
        self.statusBar().showMessage(f"Checkpoint saved at step {report.step:,}", 5000)
        self.translate_tab.refresh_runs()  # the new checkpoint becomes pickable

    def _on_worker_paused(self, report: PausedReport) -> None:
        self._set_state(RunState.PAUSED)
        self.training_view.progress.hold(f"Paused at step {report.step:,} — press Resume")
        if report.reason:
            QMessageBox.warning(self, "Training paused", report.reason)

    def _on_worker_error(self, report: ErrorReport) -> None:
        self.log_panel.append_message(report.message, "error")
        QMessageBox.critical(self, "Training stopped", report.message)

    def _on_worker_finished(self, report: FinishedReport | None) -> None:
        text = (f"Finished at step {report.step:,} ({report.reason})" if report
                else "Stopped by an error — see the log")
        complete = report is not None and report.reason == "completed"
        self.training_view.progress.hold(text, complete=complete)
        self.log_panel.append_message(text)

    def _on_runner_running_changed(self, running: bool) -> None:
        if not running:
            self._set_state(RunState.IDLE)
            self.translate_tab.refresh_runs()
            if self._close_when_stopped:
                self.close()

    # ---- runs ---------------------------------------------------------------------------
    def _on_open_run_triggered(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open a run folder",
                                                  str(self.workspace / "runs"))
        if folder:
            self.open_run(folder)

    def open_run(self, folder: str | Path) -> None:
        """Show a run folder read-only, following it live if another process writes it."""
        path = Path(folder)
        if not RunReader.is_run_dir(path):
            QMessageBox.warning(self, "Not a run folder",
                                f"{path} is not a run folder: config.json is missing.")
            return
        if self.runner.running:
            QMessageBox.information(self, "Training is running",
                                    "Stop the current run before opening another one.")
            return
        self._close_follower()
        self.training_view.clear()
        self.inspector.clear()
        self._follow(path)
        self.training_view.set_source(f"Run folder (read-only, following changes): {path}")
        self.tabs.setCurrentWidget(self.training_view)
        self._remember_run(path)
        self.actions_.set_opened_run(path)
        self._update_actions()

    def _follow(self, path: Path) -> None:
        follower = RunFollower()
        view = self.training_view
        follower.metrics.connect(view.loss_plot.add_points)
        follower.metrics.connect(self._on_follower_metrics)
        follower.reset.connect(view.loss_plot.clear)
        reader = RunReader(path)  # one reader: the sample view caches what it loaded
        follower.sample_steps.connect(
            lambda steps: view.sample_view.set_steps(steps, reader.load_sample))
        follower.sample_steps.connect(
            lambda steps: self.inspector.set_steps(steps, reader.load_sample))
        follower.error.connect(lambda msg: self.log_panel.append_message(msg, "warning"))
        follower.start(path)
        self.follower = follower

    def _on_follower_metrics(self, records: list[dict[str, Any]]) -> None:
        if records:
            last = records[-1]
            epoch = last.get("epoch")
            self.training_view.progress.reset(
                f"Opened run · last logged step {last['step']:,}"
                + (f", epoch {epoch + 1}" if isinstance(epoch, int) else ""))

    def _close_follower(self) -> None:
        if self.follower is not None:
            self.follower.stop()
            self.follower = None

    def _on_resume_run_triggered(self) -> None:
        path = self.actions_.opened_run
        if path is not None:
            self.start_training(resume_dir=path)

    # ---- other slots --------------------------------------------------------------------
    def _on_editor_config_changed(self, config: NectarConfig) -> None:
        self.dataset_browser.set_model_kind(config.model.kind)
        self.dataset_browser.set_data_config(config.data)
        self._update_actions()

    def _on_editor_modified_changed(self, modified: bool) -> None:
        self.setWindowModified(modified)

    def _on_tabs_current_changed(self, _index: int) -> None:
        # Translating needs none of the training settings: give the images the room.
        self.config_dock.setVisible(self.tabs.currentWidget() is not self.translate_tab)

    # ---- welcome ------------------------------------------------------------------------
    def show_welcome(self) -> None:
        """Show the welcome page as the first tab and switch to it."""
        if self.tabs.indexOf(self.welcome) < 0:
            self.tabs.insertTab(0, self.welcome, "Welcome")
        self.tabs.setCurrentWidget(self.welcome)

    def _on_welcome_train_demo_requested(self) -> None:
        self._start_after_demo = True
        self.use_demo_dataset()

    def _on_welcome_open_dataset_requested(self) -> None:
        self.tabs.setCurrentWidget(self.dataset_browser)
        self.dataset_browser.ask_for_folder()

    def use_demo_dataset(self) -> None:
        """Use the built-in demo dataset for the current model kind (generated once)."""
        self.tabs.setCurrentWidget(self.dataset_browser)
        self.dataset_browser.start_demo()

    def _on_dataset_demo_ready(self, root: str) -> None:
        config = self.editor.config()
        preset = f"demo-{config.model.kind if config is not None else 'pix2pix'}"
        if self.editor.preset() != preset:
            self.editor.apply_preset(preset, data_root=root)
            self.log_panel.append_message(
                f"Switched to the {preset} preset: small networks sized for the demo "
                f"dataset, which learn visibly within minutes on a CPU.")
        else:
            self.editor.set_data_root(root)
        self._update_actions()
        if self._start_after_demo:
            self._start_after_demo = False
            if self.start_training() is not None:
                self.tabs.setCurrentWidget(self.training_view)

    def _on_sample_view_image_activated(self, name: str) -> None:
        view = self.training_view.sample_view
        sample = view.current_sample()
        if sample is not None:
            self.inspector.show_sample(sample, name, live=view.is_live())
            self.tabs.setCurrentWidget(self.inspector)

    def _on_dataset_root_changed(self, root: str) -> None:
        self.editor.set_data_root(root)
        self._update_actions()

    def _on_memory_timer_timeout(self) -> None:
        rss = process_memory_bytes()
        self.memory_label.setText(f"Memory {format_bytes(rss)}" if rss else "")

    def on_engine_loaded(self, info: EngineInfo) -> None:
        """Show the device found once torch has loaded in the background."""
        self.engine = info
        self.device_label.setText(f"PyTorch {info.torch_version} · {info.detail}")

    def on_engine_failed(self, message: str) -> None:
        self.device_label.setText("PyTorch unavailable")
        self.log_panel.append_message(message, "error")

    def attach_engine_loader(self, loader: EngineLoader) -> None:
        loader.loaded.connect(self.on_engine_loaded)
        loader.failed.connect(self.on_engine_failed)
        self.actions_.attach_engine_loader(loader)

    # ---- closing ------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.running:
            # Never block the window while the step finishes and the checkpoint is
            # written: ask the run to stop and close once its thread has ended.
            event.ignore()
            if not self._close_when_stopped and self._confirm_stop_on_close():
                self._close_when_stopped = True
                self.stop_training()
                self.statusBar().showMessage("Stopping training and saving a checkpoint; "
                                             "the window closes when it is done…")
            return
        self.hide()  # joining background helpers below may take a moment
        self._close_follower()
        self.dataset_browser.shutdown()
        self.build_summary.shutdown()
        self.translate_tab.shutdown()
        self.inspector.shutdown()
        self._save_state()
        event.accept()

    def _confirm_stop_on_close(self) -> bool:
        answer = QMessageBox.question(
            self, "Training is running",
            "Training is still running. Stop it, save a checkpoint and quit?\n\n"
            "You can resume the run later from File → Open run.",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes
