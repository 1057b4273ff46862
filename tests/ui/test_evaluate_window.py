"""The Evaluate tab inside the window: a double-clicked image opens in the Inspector,
judged by the evaluated checkpoint's D; a new checkpoint shows up in its run list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nectar_gui.ui.shell.main_window import MainWindow
from tests.ui.conftest import shown_window
from tests.workers.test_evaluate_worker import tiny_eval_run

TIMEOUT = 90_000


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, paired_data: Path) -> Path:
    folder = tmp_path_factory.mktemp("eval-window")
    tiny_eval_run(folder, paired_data)
    return folder


@pytest.fixture
def window(qtbot: QtBot, workspace: Path, tmp_path: Path) -> Iterator[MainWindow]:
    with shown_window(qtbot, workspace, tmp_path) as win:
        yield win


def test_an_evaluated_image_opens_in_the_inspector_with_its_checkpoints_d(
        qtbot: QtBot, window: MainWindow, workspace: Path) -> None:
    tab = window.evaluate_tab
    window.tabs.setCurrentWidget(tab)
    run = workspace / "runs" / "tiny"
    qtbot.waitUntil(lambda: tab.run is not None and tab.run.run_dir == run, timeout=TIMEOUT)
    tab.checkpoints.tick_all(True)
    qtbot.mouseClick(tab.controls.evaluate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not tab.runner.busy and tab.table.results.rowCount() > 0,
                    timeout=TIMEOUT)
    tab.checkpoints.select_step(2)
    worst = tab.table.results.result(0)
    rect = tab.table.visualRect(tab.table.results.index(0, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(window.inspector.ask.judged, timeout=TIMEOUT):
        qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentWidget() is window.inspector
    assert window.inspector.current_map() == "D(fake_B)"
    with Image.open(worst.a_path) as whole:  # the A half of the side-by-side file
        assert window.inspector.view.image_size() == (whole.height, whole.width // 2)
    assert "step 2" in window.inspector.ask.model_label.text()
