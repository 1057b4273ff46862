"""The workbench window driven as a user would: offscreen, real widgets, real training."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFileDialog, QLineEdit, QMessageBox
from pytestqt.qtbot import QtBot

from nectar_gui.core.checkpoints import latest_checkpoint
from nectar_gui.ui.shell.actions import RunState
from nectar_gui.ui.shell.main_window import MainWindow
from nectar_gui.workers.dataset import DemoOptions
from tests.tiny import TINY

TIMEOUT = 90_000


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[MainWindow]:
    # Dialogs would block an offscreen test: answer them the way the test expects.
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: QMessageBox.StandardButton.Yes)
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: QMessageBox.StandardButton.Ok)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    win = MainWindow(workspace=tmp_path / "ws", settings=settings)
    win.dataset_browser.set_demo_options(DemoOptions(n_train=6, n_test=2, size=32))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.close()


def _use_tiny_demo(qtbot: QtBot, win: MainWindow, kind: str = "pix2pix") -> None:
    """Pick the model kind, generate the demo data, then shrink the networks for speed."""
    win.editor.apply_preset(kind)
    with qtbot.waitSignal(win.dataset_browser.demo_ready, timeout=TIMEOUT):
        win.use_demo_dataset()
    config = win.editor.config()
    assert config is not None and config.data.root
    # A run that only ends when stopped: a 12-step run could finish before a test pauses it.
    overrides = {**TINY, "logging.sample_interval_s": 0.0, "logging.checkpoint_every_steps": 1000,
                 "optim.n_epochs": 10_000}
    if kind == "pix2pix":
        overrides["model.unet_downs"] = 5
    win.editor.set_config(config.with_overrides(overrides))
    qtbot.waitUntil(win.actions_.start.isEnabled, timeout=TIMEOUT)


def _type(qtbot: QtBot, win: MainWindow, key: str, text: str) -> None:
    edit = win.editor.field_editor(key).inputs()[0]
    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def test_invalid_value_shows_its_message_and_blocks_start(qtbot: QtBot,
                                                          window: MainWindow) -> None:
    _use_tiny_demo(qtbot, window)
    _type(qtbot, window, "optim.lr", "-1")
    qtbot.waitUntil(lambda: not window.actions_.start.isEnabled(), timeout=TIMEOUT)
    assert "greater than 0" in window.editor.field_editor("optim.lr").error_text()
    assert window.start_training() is None  # refused with an explanation, nothing started
    assert not window.runner.running
    _type(qtbot, window, "optim.lr", "2e-4")
    qtbot.waitUntil(window.actions_.start.isEnabled, timeout=TIMEOUT)


def test_demo_dataset_is_browsed(qtbot: QtBot, window: MainWindow) -> None:
    _use_tiny_demo(qtbot, window, "cyclegan")
    browser = window.dataset_browser
    layout = browser.current_layout()
    assert layout is not None and layout.kind == "unaligned"
    assert window.editor.preset() == "demo-cyclegan"  # switched to the demo-sized preset
    assert any("demo-cyclegan" in line for line in window.log_panel.lines())


def test_demo_dataset_is_one_clean_undoable_step(qtbot: QtBot, window: MainWindow) -> None:
    window.editor.apply_preset("cyclegan")
    with qtbot.waitSignal(window.dataset_browser.demo_ready, timeout=TIMEOUT):
        window.use_demo_dataset()
    config = window.editor.config()
    assert config is not None and config.data.root and config.model.ngf == 16
    assert not window.editor.is_modified() and not window.isWindowModified()
    root = config.data.root
    window.editor.undo_stack().undo()  # back to the full-size preset, on the demo data
    config = window.editor.config()
    assert config is not None and config.model.ngf == 64 and config.data.root == root


def test_train_pause_resume_stop(qtbot: QtBot, window: MainWindow) -> None:
    _use_tiny_demo(qtbot, window)
    worker = window.start_training()
    assert worker is not None and window.runner.running
    assert window.editor.is_read_only()
    with qtbot.waitSignals([worker.losses, worker.sample], timeout=TIMEOUT):
        pass
    qtbot.waitUntil(lambda: window.training_view.loss_plot.point_count() > 0, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: window.training_view.sample_view.current_step() is not None,
                    timeout=TIMEOUT)

    window.actions_.pause.trigger()
    qtbot.waitUntil(lambda: window._state is RunState.PAUSED, timeout=TIMEOUT)
    assert window.actions_.pause.text() == "Resume"
    window.actions_.pause.trigger()
    qtbot.waitUntil(lambda: window._state is RunState.RUNNING, timeout=TIMEOUT)
    assert window.actions_.pause.text() == "Pause"

    with qtbot.waitSignal(window.runner.running_changed, timeout=TIMEOUT):
        window.actions_.stop.trigger()
    assert window._state is RunState.IDLE and not window.editor.is_read_only()
    run_dir = Path(window.recent_runs()[0])
    assert latest_checkpoint(run_dir / "checkpoints") is not None


def test_closing_during_training_joins_the_thread_and_saves(qtbot: QtBot,
                                                            window: MainWindow) -> None:
    _use_tiny_demo(qtbot, window)
    worker = window.start_training()
    assert worker is not None
    qtbot.waitSignal(worker.losses, timeout=TIMEOUT).wait()
    window.close()  # the confirmation is answered "Yes" by the fixture
    assert window.isVisible()  # not blocked: it closes once the run has stopped
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=TIMEOUT)
    assert not window.runner.running
    run_dir = Path(window.recent_runs()[0])
    checkpoint = latest_checkpoint(run_dir / "checkpoints")
    assert checkpoint is not None
    assert window.settings.value("config/last")  # the config persists for next launch


def test_run_written_by_the_cli_opens_with_its_history(qtbot: QtBot, window: MainWindow,
                                                       paired_data: Path,
                                                       tmp_path: Path) -> None:
    run = tmp_path / "cli-run"
    sets = [f"--set={k}={v}" for k, v in {**TINY, "model.unet_downs": 5}.items()]
    subprocess.run([sys.executable, "-m", "nectar_gui.cli", "train", "--preset", "pix2pix",
                    "--data", str(paired_data), "--run-dir", str(run), "--max-steps", "6",
                    "--quiet", *sets], check=True, timeout=300)
    window.open_run(run)
    view = window.training_view
    qtbot.waitUntil(lambda: view.loss_plot.point_count() >= 6, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: view.sample_view.steps() != [], timeout=TIMEOUT)
    assert "read-only" in view.source_label.text()
    # plan.json gives the planned length: progress as a live run shows it
    qtbot.waitUntil(lambda: view.progress.label.text().startswith("Step 6 / 6"),
                    timeout=TIMEOUT)

    # Resume it from the app: history first, then new steps continue from step 6.
    assert window.actions_.resume_run.isEnabled()
    window.actions_.resume_run.trigger()
    worker = window.runner.worker
    assert worker is not None
    with qtbot.waitSignal(worker.started, timeout=TIMEOUT) as started:
        pass
    assert started.args[0].resumed and started.args[0].step == 6
    qtbot.waitUntil(lambda: view.loss_plot.point_count() >= 7, timeout=TIMEOUT)
    with qtbot.waitSignal(window.runner.running_changed, timeout=TIMEOUT):
        window.actions_.stop.trigger()
    steps = view.loss_plot.history().steps().tolist()
    assert steps[:6] == sorted(steps[:6]) and steps == sorted(steps) and steps[6] > 6


def test_first_launch_welcomes_and_trains_on_the_demo_in_one_click(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    assert window.tabs.currentWidget() is window.welcome  # first launch
    with qtbot.waitSignal(window.runner.running_changed, timeout=TIMEOUT):
        qtbot.mouseClick(window.welcome.buttons["train_demo_requested"],
                         Qt.MouseButton.LeftButton)
    assert window.runner.running and window.tabs.currentWidget() is window.training_view
    config = window.editor.config()
    assert config is not None and config.data.root
    assert window.editor.preset() == f"demo-{config.model.kind}"
    with qtbot.waitSignal(window.runner.running_changed, timeout=TIMEOUT):
        window.stop_training()
    # The next launch with the same settings opens straight on the work, no welcome.
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = MainWindow(workspace=tmp_path / "ws", settings=settings)
    qtbot.addWidget(again)
    assert again.tabs.indexOf(again.welcome) == -1
    again.actions_.welcome.trigger()  # Help → Welcome page
    assert again.tabs.currentWidget() is again.welcome


def test_welcome_open_dataset_asks_for_a_folder(qtbot: QtBot, window: MainWindow,
                                                monkeypatch: pytest.MonkeyPatch,
                                                paired_data: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: str(paired_data))
    qtbot.mouseClick(window.welcome.buttons["open_dataset_requested"],
                     Qt.MouseButton.LeftButton)
    assert window.tabs.currentWidget() is window.dataset_browser
    qtbot.waitUntil(lambda: window.editor.config() is not None
                    and window.editor.config().data.root == str(paired_data), timeout=TIMEOUT)


def test_translate_tab_gives_the_images_the_configuration_column(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.tabs.setCurrentWidget(window.translate_tab)
    assert not window.config_dock.isVisible()
    window.tabs.setCurrentWidget(window.training_view)
    assert window.config_dock.isVisible()
    window.tabs.setCurrentWidget(window.translate_tab)
    window.close()  # the saved layout keeps the column for the next launch
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    again = MainWindow(workspace=tmp_path / "ws", settings=settings)
    qtbot.addWidget(again)
    again.show()
    assert again.config_dock.isVisible()
