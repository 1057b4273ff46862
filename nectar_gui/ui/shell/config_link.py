"""The configuration column and the Dataset tab describe one dataset: keep them agreeing,
and bring both back as the last session left them.

The editor's model kind, channels and data settings drive what the Dataset tab shows;
a folder picked in the Dataset tab becomes the editor's ``data.root``.
"""

from __future__ import annotations

from collections.abc import Callable

from nectar_gui.core.config import ConfigError, NectarConfig
from nectar_gui.ui.config.editor import ConfigEditor
from nectar_gui.ui.dataset.browser import DatasetBrowser
from nectar_gui.ui.shell.log_panel import LogPanel
from nectar_gui.ui.shell.settings_store import WindowSettings


def link_config_and_dataset(editor: ConfigEditor, browser: DatasetBrowser, *,
                            changed: Callable[[], None]) -> None:
    """Connect both ways; ``changed`` runs after either side changed (Start's state)."""

    def on_config(config: NectarConfig) -> None:
        show_config(browser, config)
        changed()

    def on_root(root: str) -> None:
        editor.set_data_root(root)
        changed()

    editor.config_changed.connect(on_config)
    browser.root_changed.connect(on_root)
    browser.demo_ready.connect(lambda _root: changed())
    browser.problem_changed.connect(lambda _problem: changed())


def show_config(browser: DatasetBrowser, config: NectarConfig) -> None:
    """Let the Dataset tab show the data the way ``config`` reads it."""
    browser.set_model_kind(config.model.kind)
    browser.set_data_config(config.data)


def restore_config(store: WindowSettings, editor: ConfigEditor, browser: DatasetBrowser,
                   log: LogPanel) -> None:
    """The editor as the last session left it, and its dataset opened in the Dataset tab.

    A stored config that no longer validates (an older schema) is said in the log; the
    editor then keeps its preset.
    """
    try:
        last = store.last_session()
    except ConfigError:
        last = None
        log.append_message("The last session's config could not be read; starting from "
                           "the preset.", "warning")
    if last is not None:
        editor.restore_session(last.config, preset=last.preset, baseline=last.baseline)
    config = editor.config()
    if config is not None:
        show_config(browser, config)
        if config.data.root:
            browser.set_root(config.data.root)
