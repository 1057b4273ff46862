"""Fixtures shared by the UI tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from nectar_gui.ui.dataset.browser import DatasetBrowser
from nectar_gui.ui.shell.main_window import MainWindow


@pytest.fixture
def browser(qtbot: QtBot) -> Iterator[DatasetBrowser]:
    widget = DatasetBrowser()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    widget.shutdown()
    assert not widget.jobs_running()


@contextmanager
def shown_window(qtbot: QtBot, workspace: Path, settings_dir: Path,
                 size: tuple[int, int] = (1280, 800)) -> Iterator[MainWindow]:
    """The main window on ``workspace`` with its own settings file, shown; closed after."""
    settings = QSettings(str(settings_dir / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(workspace=workspace, settings=settings)
    qtbot.addWidget(win)
    win.resize(*size)
    win.show()
    try:
        yield win
    finally:
        win.close()
