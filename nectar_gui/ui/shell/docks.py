"""The window's two docks: the configuration column (left, full height) and the log."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget, QMainWindow, QWidget

CONFIG_WIDTH = 460
LOG_HEIGHT = 100


def add_docks(window: QMainWindow, config: QWidget, log: QWidget) -> QDockWidget:
    """Dock ``config`` on the left and ``log`` at the bottom; returns the config dock.

    The config column runs the full height; the log sits under the tabs only. Docks
    can be moved and floated but not closed: there is no menu to bring one back.
    """
    window.setDockNestingEnabled(True)
    window.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.LeftDockWidgetArea)
    config_dock = _add_dock(window, "Configuration", config, Qt.DockWidgetArea.LeftDockWidgetArea)
    log_dock = _add_dock(window, "Log", log, Qt.DockWidgetArea.BottomDockWidgetArea)
    window.resizeDocks([config_dock], [CONFIG_WIDTH], Qt.Orientation.Horizontal)
    window.resizeDocks([log_dock], [LOG_HEIGHT], Qt.Orientation.Vertical)
    return config_dock


def _add_dock(window: QMainWindow, title: str, widget: QWidget, area: Qt.DockWidgetArea
              ) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(f"dock-{title.lower()}")  # saveState() keys docks by object name
    dock.setWidget(widget)
    dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                     | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
    window.addDockWidget(area, dock)
    return dock
