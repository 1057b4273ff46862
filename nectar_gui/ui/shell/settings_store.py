"""What the window remembers between sessions: layout, the last config, recent runs.

Everything lives in one QSettings (under ``$NECTAR_GUI_HOME/settings.ini`` when that
variable is set), so tests and a portable install keep their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from nectar_gui.core.config import ConfigError, NectarConfig, parse_config
from nectar_gui.core.rundir import RunReader

MAX_RECENT = 8
DEFAULT_SIZE = (1280, 800)


@dataclass(frozen=True)
class EditorSession:
    """What the config editor held: its config, preset, and the config it compares with."""

    config: NectarConfig
    preset: str
    baseline: NectarConfig | None


def _stored_config(text: object) -> NectarConfig | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        return parse_config(json.loads(text))
    except ValueError as exc:  # not JSON at all
        raise ConfigError(str(exc)) from None


class WindowSettings:
    """Typed access to the main window's QSettings keys."""

    def __init__(self, settings: QSettings) -> None:
        self.settings = settings

    def restore_window(self, window: QMainWindow) -> None:
        """Geometry and dock/toolbar state of the last session, or the default size."""
        geometry = self.settings.value("window/geometry")
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            window.resize(*DEFAULT_SIZE)
        state = self.settings.value("window/state")
        if state is not None:
            window.restoreState(state)

    def save_window(self, window: QMainWindow, editor: EditorSession | None) -> None:
        """Layout and (when valid) the editor's config; written to disk at once."""
        self.settings.setValue("window/geometry", window.saveGeometry())
        self.settings.setValue("window/state", window.saveState())
        if editor is not None:
            self.settings.setValue("config/last", editor.config.to_json())
            self.settings.setValue("config/preset", editor.preset)
            self.settings.setValue("config/baseline", editor.baseline.to_json()
                                   if editor.baseline is not None else "")
        self.settings.sync()

    def last_session(self) -> EditorSession | None:
        """The editor as the last session left it; None if there is none.

        Raises:
            ConfigError: the stored config no longer validates (e.g. an older schema).
        """
        config = _stored_config(self.settings.value("config/last"))
        if config is None:
            return None
        preset = self.settings.value("config/preset")
        try:  # a baseline that no longer reads only costs the "unsaved" mark
            baseline = _stored_config(self.settings.value("config/baseline"))
        except ConfigError:
            baseline = None
        return EditorSession(config, preset if isinstance(preset, str) else "", baseline)

    def recent_runs(self) -> list[str]:
        """Run folders opened or started lately, newest first; vanished ones are dropped."""
        value = self.settings.value("runs/recent", [])
        runs = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        kept = [r for r in runs if isinstance(r, str) and RunReader.is_run_dir(Path(r))]
        if kept != runs:
            self.settings.setValue("runs/recent", kept)
        return kept

    def remember_run(self, path: Path) -> list[str]:
        """Put ``path`` first in the recent runs; returns the new list."""
        runs = [str(path)] + [r for r in self.recent_runs() if r != str(path)]
        self.settings.setValue("runs/recent", runs[:MAX_RECENT])
        return runs[:MAX_RECENT]

    def take_first_launch(self) -> bool:
        """True the first time the app starts (the welcome page is shown then)."""
        first = not self.settings.value("welcome/seen", False, type=bool)
        self.settings.setValue("welcome/seen", True)
        return first
