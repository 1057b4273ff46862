"""Switching tabs from anywhere: Ctrl+1…Ctrl+9, Ctrl+PgDown / Ctrl+PgUp.

QTabWidget only switches with the keyboard while its own tab bar has focus; a user
typing in the configuration panel should not have to reach for the mouse. The actions
live in View → Go to tab, so the menu and the shortcut sheet list them.
"""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QTabWidget

NUMBERED_TABS = 9


class TabKeys(QObject):
    """Window-wide tab shortcuts, named after the tabs they lead to."""

    def __init__(self, window: QMainWindow, tabs: QTabWidget, menu: QMenu) -> None:
        super().__init__(window)
        self.tabs = tabs
        self.next_tab = self._action(window, "Next tab", "Ctrl+PgDown", lambda: self._step(1))
        self.previous_tab = self._action(window, "Previous tab", "Ctrl+PgUp",
                                         lambda: self._step(-1))
        self.numbered = [self._action(window, f"Tab {n}", f"Ctrl+{n}",
                                      lambda _=False, i=n - 1: self._go(i))
                         for n in range(1, NUMBERED_TABS + 1)]
        for action in (self.next_tab, self.previous_tab, *self.numbered):
            menu.addAction(action)
        menu.aboutToShow.connect(self.refresh)
        tabs.currentChanged.connect(lambda _index: self.refresh())
        self.refresh()

    @staticmethod
    def _action(window: QMainWindow, text: str, keys: str, slot: object) -> QAction:
        action = QAction(text, window)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        window.addAction(action)  # active while any child widget has focus
        return action

    def refresh(self) -> None:
        """Name each numbered action after its tab; hide numbers with no tab."""
        for index, action in enumerate(self.numbered):
            exists = index < self.tabs.count()
            action.setVisible(exists)
            action.setEnabled(exists)
            if exists:
                action.setText(f"{self.tabs.tabText(index)} tab")

    def _go(self, index: int) -> None:
        if 0 <= index < self.tabs.count():
            self.tabs.setCurrentIndex(index)

    def _step(self, delta: int) -> None:
        count = self.tabs.count()
        if count:
            self.tabs.setCurrentIndex((self.tabs.currentIndex() + delta) % count)
