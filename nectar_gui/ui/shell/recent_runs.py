"""File → Recent runs: the stored list, kept to folders that still exist."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject

from nectar_gui.ui.shell.actions import MainActions
from nectar_gui.ui.shell.settings_store import WindowSettings


class RecentRuns(QObject):
    """Keeps the menu in step with the settings; refreshed each time the menu opens."""

    def __init__(self, parent: QObject, *, store: WindowSettings, actions: MainActions) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        actions.recent_menu.aboutToShow.connect(self.refresh)
        self.refresh()

    def runs(self) -> list[str]:
        """Run folders opened or started lately, newest first."""
        return self.store.recent_runs()

    def remember(self, path: Path) -> None:
        """Put a run folder (which exists now) first in the list."""
        self.actions.set_recent(self.store.remember_run(path))

    def refresh(self) -> None:
        """Rebuild the menu, dropping folders deleted since."""
        self.actions.set_recent(self.runs())
