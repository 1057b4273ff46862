"""A first-time user's path: honest Start, a preset box that remembers, the keyboard.

Real windows offscreen; a "restart" is a new MainWindow on the same settings file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QScrollArea, QToolBar
from pytestqt.qtbot import QtBot

from nectar_gui.ui.shell.actions import RunState
from nectar_gui.ui.shell.help import shortcut_entries
from nectar_gui.ui.shell.main_window import MainWindow

TIMEOUT = 60_000
Factory = Callable[[], MainWindow]


@pytest.fixture
def messages(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Message boxes answered at once; their texts are collected."""
    seen: list[str] = []

    def answer(_parent: object, _title: str, text: str, *a: object, **k: object
               ) -> QMessageBox.StandardButton:
        seen.append(text)
        return QMessageBox.StandardButton.Ok

    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, answer)
    return seen


@pytest.fixture
def make_window(qtbot: QtBot, tmp_path: Path, messages: list[str]) -> Iterator[Factory]:
    """Opens windows on one settings file, as launches of the app on one machine do."""
    opened: list[MainWindow] = []

    def make() -> MainWindow:
        settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
        win = MainWindow(workspace=tmp_path / "ws", settings=settings)
        qtbot.addWidget(win)
        win.resize(1280, 800)
        win.show()
        opened.append(win)
        return win

    yield make
    for win in opened:
        win.close()


def _broken_dataset(root: Path) -> Path:
    for side in ("trainA", "trainB"):
        (root / side).mkdir(parents=True)
        for i in range(2):
            (root / side / f"{side[-1].lower()}{i}.jpg").write_bytes(b"not a jpeg")
    return root


def test_start_is_off_with_the_reason_when_no_image_can_be_read(
        qtbot: QtBot, make_window: Factory, tmp_path: Path) -> None:
    window = make_window()
    window.editor.apply_preset("cyclegan")
    start = window.actions_.start
    assert not start.isEnabled()  # no dataset yet: said, and where to choose one
    assert "Choose a dataset first" in start.toolTip()
    assert "Choose a dataset first" in window.status.start_hint.text()

    data = _broken_dataset(tmp_path / "broken")
    with qtbot.waitSignal(window.dataset_browser.scan_finished, timeout=TIMEOUT):
        window.dataset_browser.set_root(data)
    qtbot.waitUntil(lambda: window.dataset_browser.problem() is not None, timeout=TIMEOUT)
    assert not start.isEnabled()
    assert "No readable images" in start.toolTip() and "Ctrl+Return" not in start.toolTip()
    assert "No readable images" in window.status.start_hint.text()
    start.trigger()  # the shortcut and the menu go through the same action: nothing runs
    assert window.start_training() is None and not window.runner.running
    assert not (tmp_path / "ws" / "runs").exists()
    assert window.recent_runs() == []
    assert window.training_view.source_label.text().startswith("No run yet")


def test_a_run_that_fails_before_its_folder_exists_is_not_named_or_remembered(
        qtbot: QtBot, make_window: Factory, tmp_path: Path, messages: list[str]) -> None:
    window = make_window()
    window.editor.apply_preset("demo-cyclegan")
    window.dataset_browser.set_root(_broken_dataset(tmp_path / "broken"))
    window.dataset_browser.cancel_scan()  # the tab has not found out yet: Start is on
    qtbot.waitUntil(window.actions_.start.isEnabled, timeout=TIMEOUT)
    assert window.start_training() is not None
    assert window.training_view.source_label.text() == "Starting a new run…"
    qtbot.waitUntil(lambda: not window.runner.running, timeout=TIMEOUT)
    assert "No readable images" in messages[-1]
    assert "expected one of the layouts" not in messages[-1]
    assert window.recent_runs() == [] and not window.actions_.recent_menu.isEnabled()
    runs = tmp_path / "ws" / "runs"
    assert not runs.exists() or not any(runs.iterdir())
    assert str(tmp_path / "ws" / "runs") not in window.training_view.source_label.text()


def test_a_folder_in_no_layout_keeps_start_off(qtbot: QtBot, make_window: Factory,
                                               tmp_path: Path, paired_data: Path) -> None:
    window = make_window()
    window.editor.apply_preset("demo-pix2pix")
    window.dataset_browser.set_root(paired_data)
    qtbot.waitUntil(window.actions_.start.isEnabled, timeout=TIMEOUT)
    (tmp_path / "nothing").mkdir()
    (tmp_path / "nothing" / "notes.txt").write_text("no images")
    assert not window.dataset_browser.set_root(tmp_path / "nothing")
    assert not window.actions_.start.isEnabled()
    assert "cannot be used" in window.actions_.start.toolTip()


def test_recent_runs_forget_folders_that_are_gone(qtbot: QtBot, make_window: Factory,
                                                  tmp_path: Path, paired_data: Path,
                                                  messages: list[str]) -> None:
    run = tmp_path / "old-run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    window = make_window()
    window.open_run(run)
    assert window.recent_runs() == [str(run)]
    window.close()
    shutil.rmtree(run)
    again = make_window()
    assert again.recent_runs() == []
    assert not again.actions_.recent_menu.isEnabled()
    again.open_run(run)  # chosen from a menu built before it vanished
    assert "config.json is missing" in messages[-1] and again.recent_runs() == []


def test_preset_box_and_unsaved_mark_survive_a_restart(qtbot: QtBot, make_window: Factory,
                                                       paired_data: Path) -> None:
    first = make_window()
    first.editor.apply_preset("demo-cyclegan", data_root=str(paired_data))
    assert not first.editor.is_modified()
    first.close()

    second = make_window()
    assert second.editor.preset() == "demo-cyclegan"
    assert second.editor.config() is not None
    assert not second.editor.is_modified() and not second.isWindowModified()
    second.editor.field_editor("optim.lr").committed.emit(0.001)  # as typing it does
    qtbot.waitUntil(second.editor.is_modified, timeout=TIMEOUT)
    second.close()

    third = make_window()
    assert third.editor.preset() == "demo-cyclegan" and third.editor.is_modified()
    assert third.isWindowModified()
    config = third.editor.config()
    assert config is not None and config.optim.lr == 0.001
    third.editor.reset_to_preset()
    config = third.editor.config()
    assert config is not None and config.optim.lr != 0.001
    assert config.name == "demo-cyclegan" and config.model.ngf == 16  # not cyclegan's 64
    assert config.data.root == str(paired_data)  # Reset keeps the dataset
    assert not third.editor.is_modified()


def test_pause_and_resume_run_are_told_apart(make_window: Factory) -> None:
    window = make_window()
    a = window.actions_
    a.update(RunState.PAUSED, start_problem=None)
    assert a.pause.text() == "Resume" and a.resume_run.text() == "Continue from checkpoint"
    paused_icon = a.pause.icon().cacheKey()
    a.update(RunState.RUNNING, start_problem=None)
    assert a.pause.text() == "Pause" and a.pause.icon().cacheKey() != paused_icon


def test_tabs_switch_from_the_keyboard_anywhere(qtbot: QtBot, make_window: Factory) -> None:
    window = make_window()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=TIMEOUT)
    edit = window.editor.field_editor("optim.lr").inputs()[0]
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus, timeout=TIMEOUT)
    names = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    target = names.index("Inspector")
    qtbot.keyClick(edit, Qt.Key.Key_1 + target, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.inspector
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_PageDown,
                   Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == (target + 1) % len(names)
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentWidget() is window.inspector

    sheet = {(e.action, e.keys) for e in shortcut_entries(window)}
    assert ("Inspector tab", f"Ctrl+{target + 1}") in sheet
    assert ("Next tab", "Ctrl+PgDown") in sheet and ("Previous tab", "Ctrl+PgUp") in sheet
    assert not any(text.startswith("Tab ") for text, _ in sheet)  # no keys without a tab
    bar = window.findChild(QToolBar, "toolbar-training")
    for action in bar.actions():
        button = bar.widgetForAction(action)
        if button is not None and not action.isSeparator():
            assert button.focusPolicy() & Qt.FocusPolicy.TabFocus, action.text()


def test_every_tab_fits_1024_by_640_with_the_configuration_shown(
        qtbot: QtBot, make_window: Factory) -> None:
    window = make_window()
    window.editor.apply_preset("demo-cyclegan")
    window.resize(1024, 640)
    qtbot.waitUntil(lambda: window.size().toTuple() == (1024, 640), timeout=TIMEOUT)
    assert window.config_dock.isVisible()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1024 and hint.height() <= 640, hint
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)  # Translate hides the column and back: no jump
        qtbot.waitUntil(lambda: window.size().toTuple() == (1024, 640), timeout=TIMEOUT)
    window.tabs.setCurrentWidget(window.training_view)
    qtbot.waitUntil(lambda: window.training_view.loss_plot.isVisible(), timeout=TIMEOUT)
    plots = window.training_view.loss_plot._plots
    for plot in plots.values():  # both plots readable, with their axes
        assert plot.vb.height() >= 70, plot.vb.height()
    assert plots["D"].getAxis("bottom").isVisible()
    form = window.editor.findChild(QScrollArea)
    assert form.horizontalScrollBar().maximum() == 0  # the whole form width is on screen
    for key in ("name", "model.kind", "loss.gan_mode"):  # and no value is cut
        widget = window.editor.field_editor(key).inputs()[0]
        if isinstance(widget, QLineEdit):  # its size hint ignores the text: measure that
            text = widget.fontMetrics().horizontalAdvance(widget.text())
            assert widget.contentsRect().width() - 4 >= text, (key, widget.text())
        else:  # a combo box's hint fits its longest choice
            assert widget.width() >= widget.sizeHint().width(), key
