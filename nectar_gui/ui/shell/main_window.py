"""The workbench window: it composes the tabs, docks, toolbar and status bar.

What happens behind them lives beside this file: ``live_run`` (the training run),
``opened_run`` (a followed run folder), ``demo_flow`` (welcome page starts),
``settings_store`` (what is remembered), ``actions`` (menus and their states).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QMainWindow, QMessageBox, QTabWidget

from nectar_gui.ui.config.panel import ConfigPanel
from nectar_gui.ui.dataset.browser import DatasetBrowser
from nectar_gui.ui.evaluate.tab import EvaluateTab
from nectar_gui.ui.inspector import TAB_TIP as INSPECTOR_TIP
from nectar_gui.ui.inspector import InspectorTab
from nectar_gui.ui.shell.actions import MainActions, RunState
from nectar_gui.ui.shell.config_link import link_config_and_dataset, restore_config
from nectar_gui.ui.shell.demo_flow import DemoFlow
from nectar_gui.ui.shell.docks import add_docks
from nectar_gui.ui.shell.inspector_links import (
    link_evaluate_to_inspector,
    link_samples_to_inspector,
)
from nectar_gui.ui.shell.live_run import LiveRun, ask_stop_to_close
from nectar_gui.ui.shell.log_panel import LogPanel
from nectar_gui.ui.shell.opened_run import OpenedRun
from nectar_gui.ui.shell.readiness import start_problem
from nectar_gui.ui.shell.recent_runs import RecentRuns
from nectar_gui.ui.shell.run_views import RunViews
from nectar_gui.ui.shell.settings_store import EditorSession, WindowSettings
from nectar_gui.ui.shell.status import StatusFields
from nectar_gui.ui.shell.tab_keys import TabKeys
from nectar_gui.ui.shell.welcome import WelcomePage
from nectar_gui.ui.training.view import TrainingView
from nectar_gui.ui.translate.tab import TranslateTab
from nectar_gui.workers.engine import EngineLoader
from nectar_gui.workers.training import TrainingWorker


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
        self.store = WindowSettings(settings)
        self._close_when_stopped = False
        self._build_ui()
        self._connect()
        self._restore_state()
        self._on_live_state_changed(RunState.IDLE)

    # ---- building ---------------------------------------------------------------------
    def _build_ui(self) -> None:
        self.setWindowTitle("Nectar GUI[*]")  # [*]: where the unsaved-changes mark goes
        self.config_panel = ConfigPanel()
        self.editor, self.build_summary = self.config_panel.editor, self.config_panel.summary
        self.dataset_browser = DatasetBrowser()
        self.dataset_browser.set_demo_folder(str(self.workspace / "demo-data"))
        self.training_view = TrainingView()
        self.inspector = InspectorTab()
        self.translate_tab = TranslateTab(workspace=self.workspace, settings=self.settings)
        self.evaluate_tab = EvaluateTab(workspace=self.workspace, settings=self.settings)
        self.welcome = WelcomePage()  # a tab on first launch, or from Help → Welcome page
        self.log_panel = LogPanel()
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for widget, title, tip in ((self.dataset_browser, "Dataset", ""),
                                   (self.training_view, "Training", ""),
                                   (self.inspector, "Inspector", INSPECTOR_TIP),
                                   (self.evaluate_tab, "Evaluate", EvaluateTab.TAB_TIP),
                                   (self.translate_tab, "Translate", TranslateTab.TAB_TIP)):
            self.tabs.setTabToolTip(self.tabs.addTab(widget, title), tip)
        self.setCentralWidget(self.tabs)
        self.config_dock = add_docks(self, self.config_panel, self.log_panel)
        self.actions_ = MainActions(self, self.settings)
        self.status = StatusFields(self.statusBar())
        self.recent = RecentRuns(self, store=self.store, actions=self.actions_)
        self.tab_keys = TabKeys(self, self.tabs, self.actions_.go_to_tab_menu)
        views = RunViews(self.training_view, self.inspector, self.log_panel)
        self.live = LiveRun(self, workspace=self.workspace, views=views)
        self.runner = self.live.runner
        self.opened = OpenedRun(self, views=views)
        self.demo = DemoFlow(self, tabs=self.tabs, welcome=self.welcome,
                             browser=self.dataset_browser, editor=self.editor,
                             log_panel=self.log_panel,
                             start=lambda: self.start_training() is not None)

    def _connect(self) -> None:
        a = self.actions_
        a.start.triggered.connect(self.start_training)
        a.pause.triggered.connect(self.live.toggle_pause)
        a.stop.triggered.connect(self.stop_training)
        a.save_checkpoint.triggered.connect(self.runner.save_now)
        a.open_run.triggered.connect(
            lambda: self.opened.ask_and_open(self.workspace / "runs", training=self.runner.running))
        a.resume_run.triggered.connect(self._on_resume_run_triggered)
        a.recent_selected.connect(self.open_run)
        a.welcome.triggered.connect(self.show_welcome)
        a.prepare_dataset.triggered.connect(self.prepare_dataset)
        self.opened.opened.connect(a.set_opened_run)
        self.opened.opened.connect(self._on_run_opened)
        self.live.state_changed.connect(self._on_live_state_changed)
        self.live.run_started.connect(lambda: self.tabs.setCurrentWidget(self.training_view))
        self.live.run_folder_ready.connect(self.recent.remember)
        self.live.checkpoint_saved.connect(self._on_live_checkpoint_saved)
        self.live.ended.connect(self._on_live_ended)
        self.editor.validity_changed.connect(lambda _valid: self._update_actions())
        self.editor.modified_changed.connect(self.setWindowModified)
        link_config_and_dataset(self.editor, self.dataset_browser, changed=self._update_actions)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.welcome.translate_requested.connect(
            lambda: self.tabs.setCurrentWidget(self.translate_tab))
        link_evaluate_to_inspector(self.evaluate_tab, self.inspector, self.tabs,
                                   cache=self.workspace / ".cache" / "inspect", log=self.log_panel)
        link_samples_to_inspector(self.training_view, self.inspector, self.tabs)

    # ---- state --------------------------------------------------------------------------
    def _restore_state(self) -> None:
        self.store.restore_window(self)
        restore_config(self.store, self.editor, self.dataset_browser, self.log_panel)
        if self.store.take_first_launch():
            self.show_welcome()

    @property
    def _state(self) -> RunState:
        return self.live.state

    def recent_runs(self) -> list[str]:
        """Run folders opened or started lately, newest first (File → Recent runs)."""
        return self.recent.runs()

    def start_problem(self) -> str | None:
        """Why a new run cannot start now (None: it can)."""
        return start_problem(self.editor.config(), self.dataset_browser.problem())

    def _update_actions(self) -> None:
        problem = self.start_problem()
        self.actions_.update(self._state, start_problem=problem)
        self.status.show_start_problem(problem if self._state is RunState.IDLE else None)

    # ---- training -----------------------------------------------------------------------
    def start_training(self, *, resume_dir: Path | None = None) -> TrainingWorker | None:
        """Start a new run from the editor's config (or resume ``resume_dir``)."""
        if self.runner.running:
            return None
        problem = None if resume_dir else self.start_problem()
        if problem:
            QMessageBox.information(self, "Cannot start yet", problem)
            return None
        config = self.live.config_to_resume(resume_dir) if resume_dir else self.editor.config()
        if config is None:
            return None
        self.opened.close()
        return self.live.start(config, resume_dir=resume_dir)

    def stop_training(self) -> None:
        """Stop after the current step (a checkpoint is saved first)."""
        self.live.stop()

    def _on_live_state_changed(self, state: RunState) -> None:
        self.editor.set_read_only(state is not RunState.IDLE)
        self._update_actions()

    def _on_run_opened(self, path: Path) -> None:
        self.tabs.setCurrentWidget(self.training_view)
        self.recent.remember(path)
        self._update_actions()

    def _on_live_checkpoint_saved(self, step: int) -> None:
        self.statusBar().showMessage(f"Checkpoint saved at step {step:,}", 5000)
        self._refresh_run_lists()  # the new checkpoint becomes pickable

    def _on_live_ended(self) -> None:
        self._refresh_run_lists()
        if self._close_when_stopped:
            self.close()

    def _refresh_run_lists(self) -> None:
        for tab in (self.translate_tab, self.evaluate_tab):
            tab.refresh_runs()

    # ---- runs ---------------------------------------------------------------------------
    def open_run(self, folder: str | Path) -> None:
        """Show a run folder read-only, following it live if another process writes it."""
        self.opened.open(Path(folder), training=self.runner.running)
        self.recent.refresh()  # a vanished folder leaves the list

    def _on_resume_run_triggered(self) -> None:
        if self.actions_.opened_run is not None:
            self.start_training(resume_dir=self.actions_.opened_run)

    # ---- tabs and docks -----------------------------------------------------------------
    def show_welcome(self) -> None:
        """Show the welcome page as the first tab and switch to it."""
        self.demo.show_welcome()

    def prepare_dataset(self) -> None:
        """Show the Dataset tab and its "Prepare a dataset" dialog."""
        self.tabs.setCurrentWidget(self.dataset_browser)
        self.dataset_browser.open_prepare_dialog()

    def use_demo_dataset(self) -> None:
        """Use the built-in demo dataset for the current model kind (generated once)."""
        self.demo.use_demo_dataset()

    def _on_tabs_current_changed(self, _index: int) -> None:  # room for images and tables
        self.config_dock.setVisible(self.tabs.currentWidget() not in (self.translate_tab,
                                                                       self.evaluate_tab))

    def attach_engine_loader(self, loader: EngineLoader) -> None:
        """Show the device, and fill the About box, once torch has loaded."""
        self.status.attach_engine_loader(loader, self.log_panel)
        self.actions_.attach_engine_loader(loader)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.runner.running:
            # Never block the window while the step finishes and the checkpoint is
            # written: ask the run to stop and close once its thread has ended.
            event.ignore()
            if not self._close_when_stopped and ask_stop_to_close(self):
                self._close_when_stopped = True
                self.stop_training()
                self.statusBar().showMessage("Stopping and saving a checkpoint; the window "
                                             "closes when it is done…")
            return
        self.hide()  # joining background helpers below may take a moment
        self.opened.close()
        for part in (self.dataset_browser, self.config_panel, self.translate_tab,
                     self.evaluate_tab, self.inspector):
            part.shutdown()
        self.config_dock.setVisible(True)  # hidden only while Translate is shown
        config = self.editor.config()
        self.store.save_window(self, None if config is None else EditorSession(
            config, self.editor.preset(), self.editor.baseline_config()))
        event.accept()
