"""Toolbar and menu actions of the main window, and which are enabled in which state.

Also the View → Theme and Help menus: the theme choice, the user guide, the keyboard
shortcut sheet (built from these actions) and the About box.
"""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QMessageBox, QStyle, QToolBar

from nectar_gui.ui.shell.help import (
    AboutDialog,
    ShortcutsDialog,
    shortcut_entries,
    user_guide_url,
)
from nectar_gui.ui.shell.theme import Theme, ThemeManager
from nectar_gui.workers.engine import EngineInfo, EngineLoader


class RunState(enum.Enum):
    """What the training side of the window is doing."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


class MainActions(QObject):
    """Creates the actions, puts them in the toolbar and menus, enables them by state."""

    recent_selected = Signal(str)  # path of a recent run

    def __init__(self, window: QMainWindow, settings: QSettings) -> None:
        super().__init__(window)
        self.window = window
        self.opened_run: Path | None = None
        self.theme = ThemeManager(settings, self)
        self.engine: EngineInfo | None = None
        self.engine_error: str | None = None
        self.about_dialog: AboutDialog | None = None
        self.shortcuts_dialog: ShortcutsDialog | None = None
        self._build_actions()
        self._build_help_actions()
        self._build_toolbar()
        self._build_menus()

    def _action(self, text: str, icon: QStyle.StandardPixmap, shortcut: str, tip: str
                ) -> QAction:
        action = QAction(self.window.style().standardIcon(icon), text, self.window)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
        action.setStatusTip(tip)
        return action

    def _build_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.start = self._action("Start", sp.SP_MediaPlay, "Ctrl+Return",
                                  "Start training with this configuration")
        self.pause = self._action("Pause", sp.SP_MediaPause, "Ctrl+P",
                                  "Pause after the current step, or resume")
        self.stop = self._action("Stop", sp.SP_MediaStop, "Ctrl+.",
                                 "Stop after the current step and save a checkpoint")
        self.save_checkpoint = self._action("Save checkpoint", sp.SP_DialogSaveButton,
                                            "Ctrl+Shift+S", "Save a checkpoint now")
        self.open_run = self._action("Open run…", sp.SP_DirOpenIcon, "Ctrl+Shift+O",
                                     "Open a run folder, finished or still being written")
        self.resume_run = self._action("Continue from checkpoint", sp.SP_MediaSeekForward,
                                       "Ctrl+Shift+R",
                                       "Train the opened run on from its last checkpoint")
        self.prepare_dataset = self._action(
            "Prepare a dataset…", sp.SP_FileDialogNewFolder, "",
            "Make a dataset folder from two folders of images (pair, split, resize)")
        self.quit = self._action("Quit", sp.SP_DialogCloseButton, "Ctrl+Q", "Quit Nectar GUI")
        self.quit.triggered.connect(self.window.close)
        self.quit.setMenuRole(QAction.MenuRole.QuitRole)

    def _build_help_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.user_guide = self._action("User guide", sp.SP_DialogHelpButton, "F1",
                                       "Open the Nectar GUI user guide in your browser")
        self.welcome = self._action("Welcome page", sp.SP_DesktopIcon, "",
                                    "Show the welcome page: demo run, your dataset, translate")
        self.shortcuts = self._action("Keyboard shortcuts", sp.SP_FileDialogDetailedView,
                                      "Ctrl+/", "List every keyboard shortcut")
        self.about = self._action("About Nectar GUI", sp.SP_MessageBoxInformation, "",
                                  "Versions of Nectar GUI, PyTorch, Qt and CUDA, and the device")
        self.about.setMenuRole(QAction.MenuRole.AboutRole)
        self.user_guide.triggered.connect(self._on_user_guide_triggered)
        self.shortcuts.triggered.connect(self._on_shortcuts_triggered)
        self.about.triggered.connect(self._on_about_triggered)
        self.theme_group = QActionGroup(self)
        self.theme_actions: dict[Theme, QAction] = {}
        for theme, text in ((Theme.SYSTEM, "Follow the system"), (Theme.LIGHT, "Light"),
                            (Theme.DARK, "Dark")):
            action = QAction(text, self.window)
            action.setCheckable(True)
            action.setChecked(theme is self.theme.theme())
            action.triggered.connect(lambda _=False, t=theme: self.theme.set_theme(t))
            self.theme_group.addAction(action)
            self.theme_actions[theme] = action

    def _build_toolbar(self) -> None:
        bar = QToolBar("Training", self.window)
        bar.setObjectName("toolbar-training")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.start, self.pause, self.stop, self.save_checkpoint):
            bar.addAction(action)
        bar.addSeparator()
        bar.addAction(self.open_run)
        bar.addAction(self.resume_run)
        for action in bar.actions():  # Tab reaches the buttons too, not only their shortcuts
            button = bar.widgetForAction(action)
            if button is not None:
                button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.window.addToolBar(bar)

    def _build_menus(self) -> None:
        menu = self.window.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_run)
        self.recent_menu = QMenu("Recent runs", self.window)
        file_menu.addMenu(self.recent_menu)
        file_menu.addAction(self.prepare_dataset)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        train_menu = menu.addMenu("&Training")
        for action in (self.start, self.pause, self.stop, self.save_checkpoint,
                       self.resume_run):
            train_menu.addAction(action)
        view_menu = menu.addMenu("&View")
        self.go_to_tab_menu = view_menu.addMenu("Go to tab")  # filled by the window's TabKeys
        theme_menu = view_menu.addMenu("Theme")
        for action in self.theme_actions.values():
            theme_menu.addAction(action)
        help_menu = menu.addMenu("&Help")
        for action in (self.welcome, self.user_guide, self.shortcuts):
            help_menu.addAction(action)
        help_menu.addSeparator()
        help_menu.addAction(self.about)

    def set_recent(self, runs: list[str]) -> None:
        """Fill File → Recent runs."""
        self.recent_menu.clear()
        for path in runs:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.recent_selected.emit(p))
        self.recent_menu.setEnabled(bool(runs))

    def set_opened_run(self, path: Path | None) -> None:
        self.opened_run = path

    def update(self, state: RunState, *, start_problem: str | None) -> None:
        """Enable what makes sense in ``state``; a disabled Start says why in its tooltip."""
        idle = state is RunState.IDLE
        active = state in (RunState.RUNNING, RunState.PAUSED)
        self.start.setEnabled(idle and start_problem is None)
        self.start.setToolTip(f"Cannot start yet: {start_problem}" if idle and start_problem
                              else "Start training with this configuration (Ctrl+Return)")
        self.pause.setEnabled(active)
        paused = state is RunState.PAUSED
        self.pause.setText("Resume" if paused else "Pause")
        self.pause.setIcon(self.window.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))
        self.pause.setToolTip("Resume the paused run (Ctrl+P)" if paused
                              else "Pause after the current step (Ctrl+P)")
        self.stop.setEnabled(active)
        self.save_checkpoint.setEnabled(active)
        self.open_run.setEnabled(idle)
        self.resume_run.setEnabled(idle and self.opened_run is not None)

    # ---- engine and help ----------------------------------------------------------------
    def attach_engine_loader(self, loader: EngineLoader) -> None:
        """Fill the About box's PyTorch lines when the background import reports."""
        loader.loaded.connect(self._on_loader_loaded)
        loader.failed.connect(self._on_loader_failed)

    def _on_loader_loaded(self, info: EngineInfo) -> None:
        self.engine = info
        if self.about_dialog is not None:
            self.about_dialog.set_engine(info)

    def _on_loader_failed(self, message: str) -> None:
        self.engine_error = message
        if self.about_dialog is not None:
            self.about_dialog.set_engine_failed(message)

    def _on_about_triggered(self) -> None:
        # A new box each time: it then takes the current theme's colours throughout.
        if self.about_dialog is not None:
            self.about_dialog.close()
            self.about_dialog.deleteLater()
        self.about_dialog = AboutDialog(self.window)
        if self.engine_error is not None:
            self.about_dialog.set_engine_failed(self.engine_error)
        else:
            self.about_dialog.set_engine(self.engine)
        self.about_dialog.show()
        self.about_dialog.raise_()

    def _on_shortcuts_triggered(self) -> None:
        # Rebuilt each time: tabs may have added actions since the last look.
        if self.shortcuts_dialog is not None:
            self.shortcuts_dialog.close()
            self.shortcuts_dialog.deleteLater()
        self.shortcuts_dialog = ShortcutsDialog(shortcut_entries(self.window), self.window)
        self.shortcuts_dialog.show()

    def _on_user_guide_triggered(self) -> None:
        url = user_guide_url()
        if not QDesktopServices.openUrl(url):
            QMessageBox.information(self.window, "User guide",
                                    f"No browser could be started. The guide is at:\n"
                                    f"{url.toString()}")
