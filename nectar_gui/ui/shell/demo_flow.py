"""The welcome page's one-click starts, and switching to the demo preset for demo data.

"Train on the demo data" is one click: generate the demo dataset (once), switch to the
small demo preset for the current model kind, and start. Kept apart from the window so
the window only composes.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QTabWidget

from nectar_gui.ui.config.editor import ConfigEditor
from nectar_gui.ui.dataset.browser import DatasetBrowser
from nectar_gui.ui.shell.log_panel import LogPanel
from nectar_gui.ui.shell.welcome import WelcomePage


class DemoFlow(QObject):
    """Routes the welcome page's requests and the demo dataset's arrival.

    Args:
        start: starts training with the editor's config; returns whether it started.
    """

    def __init__(self, parent: QObject, *, tabs: QTabWidget, welcome: WelcomePage,
                 browser: DatasetBrowser, editor: ConfigEditor, log_panel: LogPanel,
                 start: Callable[[], bool]) -> None:
        super().__init__(parent)
        self.tabs = tabs
        self.welcome = welcome
        self.browser = browser
        self.editor = editor
        self.log_panel = log_panel
        self._start = start
        self._start_after_demo = False
        welcome.train_demo_requested.connect(self._on_welcome_train_demo_requested)
        welcome.open_dataset_requested.connect(self._on_welcome_open_dataset_requested)
        browser.demo_ready.connect(self._on_browser_demo_ready)

    def show_welcome(self) -> None:
        """Show the welcome page as the first tab and switch to it."""
        if self.tabs.indexOf(self.welcome) < 0:
            self.tabs.insertTab(0, self.welcome, "Welcome")
        self.tabs.setCurrentWidget(self.welcome)

    def use_demo_dataset(self) -> None:
        """Use the built-in demo dataset for the current model kind (generated once)."""
        self.tabs.setCurrentWidget(self.browser)
        self.browser.start_demo()

    def _on_welcome_train_demo_requested(self) -> None:
        self._start_after_demo = True
        self.use_demo_dataset()

    def _on_welcome_open_dataset_requested(self) -> None:
        self.tabs.setCurrentWidget(self.browser)
        self.browser.ask_for_folder()

    def _on_browser_demo_ready(self, root: str) -> None:
        config = self.editor.config()
        preset = f"demo-{config.model.kind if config is not None else 'pix2pix'}"
        if self.editor.preset() != preset:
            self.editor.apply_preset(preset, data_root=root)
            self.log_panel.append_message(
                f"Switched to the {preset} preset: small networks sized for the demo "
                f"dataset, which learn visibly within minutes on a CPU.")
        else:
            self.editor.set_data_root(root)
        if self._start_after_demo:
            self._start_after_demo = False
            self._start()
