"""Toolbar and menu actions of the main window, and which are enabled in which state."""

from __future__ import annotations

import enum
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStyle, QToolBar


class RunState(enum.Enum):
    """What the training side of the window is doing."""

    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPING = "stopping"


class MainActions(QObject):
    """Creates the actions, puts them in the toolbar and menus, enables them by state."""

    recent_selected = Signal(str)  # path of a recent run

    def __init__(self, window: QMainWindow) -> None:
        super().__init__(window)
        self.window = window
        self.opened_run: Path | None = None
        self._build_actions()
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
        self.resume_run = self._action("Resume run", sp.SP_MediaSeekForward, "",
                                       "Continue the opened run from its last checkpoint")
        self.quit = self._action("Quit", sp.SP_DialogCloseButton, "Ctrl+Q", "Quit Nectar GUI")
        self.quit.triggered.connect(self.window.close)

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
        self.window.addToolBar(bar)

    def _build_menus(self) -> None:
        menu = self.window.menuBar()
        file_menu = menu.addMenu("&File")
        file_menu.addAction(self.open_run)
        self.recent_menu = QMenu("Recent runs", self.window)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(self.quit)
        train_menu = menu.addMenu("&Training")
        for action in (self.start, self.pause, self.stop, self.save_checkpoint,
                       self.resume_run):
            train_menu.addAction(action)

    def set_recent(self, runs: list[str]) -> None:
        """Fill File → Recent runs."""
        self.recent_menu.clear()
        for path in runs:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _=False, p=path: self.recent_selected.emit(p))
        self.recent_menu.setEnabled(bool(runs))

    def set_opened_run(self, path: Path | None) -> None:
        self.opened_run = path

    def update(self, state: RunState, *, can_start: bool) -> None:
        """Enable what makes sense in ``state``."""
        idle = state is RunState.IDLE
        active = state in (RunState.RUNNING, RunState.PAUSED)
        self.start.setEnabled(idle and can_start)
        self.pause.setEnabled(active)
        self.pause.setText("Resume" if state is RunState.PAUSED else "Pause")
        self.stop.setEnabled(active)
        self.save_checkpoint.setEnabled(active)
        self.open_run.setEnabled(idle)
        self.resume_run.setEnabled(idle and self.opened_run is not None)
