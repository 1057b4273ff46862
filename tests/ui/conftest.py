"""Fixtures shared by the UI tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytestqt.qtbot import QtBot

from nectar_gui.ui.dataset.browser import DatasetBrowser


@pytest.fixture
def browser(qtbot: QtBot) -> Iterator[DatasetBrowser]:
    widget = DatasetBrowser()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    yield widget
    widget.shutdown()
    assert not widget.jobs_running()
