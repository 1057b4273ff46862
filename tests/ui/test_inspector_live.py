"""The Inspector tab in the workbench: fed live by a tiny real training run."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from nectar_gui.core.sample_grid import SampleRecord
from nectar_gui.ui.shell.main_window import MainWindow
from tests.fields import patchgan_field
from tests.ui.test_main_window import TIMEOUT, _use_tiny_demo, window

__all__ = ["window"]  # the fixture, shared with the main window tests


def test_a_live_run_feeds_the_inspector_and_samples_open_in_it(
        qtbot: QtBot, window: MainWindow) -> None:
    _use_tiny_demo(qtbot, window)
    inspector = window.inspector
    index = window.tabs.indexOf(inspector)
    assert window.tabs.tabText(index) == "Inspector"
    assert window.tabs.tabText(index - 1) == "Training"
    assert inspector.current_sample() is None
    worker = window.start_training()
    assert worker is not None
    qtbot.waitUntil(lambda: bool(inspector.scrubber.memory_steps()), timeout=TIMEOUT)
    assert inspector.current_sample() is None  # hidden tabs keep samples, paint nothing
    window.tabs.setCurrentWidget(inspector)
    sample = inspector.current_sample()  # shown at once when the tab is
    assert sample is not None
    assert inspector.current_map() == "D(fake_B)"
    assert sample.receptive_field == patchgan_field(3)  # the default PatchGAN
    assert inspector.view.grid_shape() == (2, 2)  # 32 px crops: a tiny grid
    assert inspector.view.image_size() == (32, 32)

    samples = window.training_view.sample_view
    window.tabs.setCurrentWidget(window.training_view)
    qtbot.waitUntil(lambda: samples.image_rect("real_B") is not None, timeout=TIMEOUT)
    rect = samples.image_rect("real_B")
    assert rect is not None
    qtbot.mouseDClick(samples.canvas(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentWidget() is inspector
    assert inspector.current_map() == "D(real_B)"
    assert inspector.current_sample().step == samples.current_step()

    with qtbot.waitSignal(window.runner.running_changed, timeout=TIMEOUT):
        window.actions_.stop.trigger()

    # The same run opened as a folder: the inspector reads its samples from disk.
    window.open_run(Path(window.recent_runs()[0]))
    assert inspector.current_sample() is None  # cleared for the folder
    window.tabs.setCurrentWidget(inspector)
    qtbot.waitUntil(lambda: isinstance(inspector.current_sample(), SampleRecord),
                    timeout=TIMEOUT)
    assert inspector.current_map() is not None

