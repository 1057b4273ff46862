"""Help menu (About, keyboard shortcuts, user guide) and the light / dark themes."""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QUrl, qVersion
from PySide6.QtGui import (
    QAction,
    QColor,
    QDesktopServices,
    QGuiApplication,
    QKeySequence,
    QPalette,
)
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from nectar_gui.ui.shell import help as help_dialogs
from nectar_gui.ui.shell.main_window import MainWindow
from nectar_gui.ui.shell.theme import THEME_KEY, Theme, ThemeManager, light_palette
from nectar_gui.ui.widgets.plots.colours import DARK_PLOT, LIGHT_PLOT
from nectar_gui.workers.engine import EngineLoader

TIMEOUT = 60_000


def _settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
           ) -> Iterator[MainWindow]:
    for name in ("information", "warning", "critical"):
        monkeypatch.setattr(QMessageBox, name, lambda *a, **k: QMessageBox.StandardButton.Ok)
    win = MainWindow(workspace=tmp_path / "ws", settings=_settings(tmp_path))
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    yield win
    win.close()
    QApplication.setPalette(light_palette())  # later tests start from the default theme


def _window_colour() -> str:
    return str(QApplication.palette().color(QPalette.ColorRole.Window).name())


def _lightness(name: str) -> int:
    return int(QColor(name).lightness())


# ---- keyboard shortcuts --------------------------------------------------------------------
def test_cheat_sheet_lists_the_real_shortcuts(qtbot: QtBot, window: MainWindow) -> None:
    window.actions_.shortcuts.trigger()
    dialog = window.actions_.shortcuts_dialog
    assert dialog is not None and dialog.isVisible()
    listed = {(e.group, e.action): e.keys for e in dialog.entries}
    native = QKeySequence.SequenceFormat.NativeText
    for group, action in (("Training", window.actions_.start), ("File", window.actions_.quit),
                          ("Help", window.actions_.shortcuts)):
        assert listed[(group, action.text())] == action.shortcut().toString(native)
    assert ("Help", "About Nectar GUI") not in listed  # no shortcut, not listed
    # Every action with a working shortcut is there (a hidden one has none: Ctrl+9 with
    # fewer tabs), and the tree shows one row per entry.
    with_keys = [a for a in window.findChildren(QAction) if a.shortcuts() and a.isVisible()]
    assert len(dialog.entries) == len(with_keys)
    rows = sum(dialog.tree.topLevelItem(i).childCount()
               for i in range(dialog.tree.topLevelItemCount()))
    assert rows == len(dialog.entries)


def test_cheat_sheet_is_built_from_the_actions(qtbot: QtBot, window: MainWindow) -> None:
    # An action a tab adds later appears under that tab, with its own keys.
    tab = window.tabs.widget(window.tabs.count() - 1)
    extra = QAction("Flip the comparison", tab)
    extra.setShortcut(QKeySequence("Ctrl+Alt+F"))
    tab.addAction(extra)
    window.actions_.shortcuts.trigger()
    entries = window.actions_.shortcuts_dialog.entries  # type: ignore[union-attr]
    tab_name = window.tabs.tabText(window.tabs.count() - 1)
    mine = [e for e in entries if e.action == "Flip the comparison"]
    assert [(e.group, e.keys) for e in mine] == [
        (f"{tab_name} tab", QKeySequence("Ctrl+Alt+F").toString(
            QKeySequence.SequenceFormat.NativeText))]


def test_window_wide_shortcuts_do_not_clash(window: MainWindow) -> None:
    keys = [seq.toString() for a in window.findChildren(QAction)
            if a.shortcutContext() == Qt.ShortcutContext.WindowShortcut
            for seq in a.shortcuts()]
    assert len(keys) == len(set(keys)), sorted(keys)


# ---- About ---------------------------------------------------------------------------------
def test_about_shows_versions_once_the_engine_loads(qtbot: QtBot, window: MainWindow) -> None:
    loader = EngineLoader()
    window.attach_engine_loader(loader)
    window.actions_.about.trigger()
    about = window.actions_.about_dialog
    assert about is not None
    assert about.value("PyTorch") == help_dialogs.LOADING
    assert about.value("Device") == help_dialogs.LOADING
    assert about.value("Qt") == qVersion()

    loader.start()
    # `loaded` reaches the window through its event queue: wait for the text itself.
    qtbot.waitUntil(lambda: about.value("PyTorch") != help_dialogs.LOADING, timeout=TIMEOUT)
    assert loader.wait()
    import torch  # loaded by now; the test may use it, the UI may not

    assert about.value("PyTorch") == torch.__version__
    assert about.value("PyTorch").startswith(importlib.metadata.version("torch").split("+")[0])
    assert (torch.version.cuda or "none") in about.value("CUDA")
    assert about.value("Device") == window.actions_.engine.detail  # type: ignore[union-attr]
    assert "PyTorch: " + torch.__version__ in about.details_text()
    # Opened again later, it shows the versions at once.
    window.actions_.about.trigger()
    assert window.actions_.about_dialog.value("PyTorch") == torch.__version__  # type: ignore[union-attr]


def test_about_says_when_pytorch_failed(qtbot: QtBot, window: MainWindow) -> None:
    loader = EngineLoader()
    window.attach_engine_loader(loader)
    loader.failed.emit("PyTorch could not be loaded: No module named 'torch'")
    window.actions_.about.trigger()
    about = window.actions_.about_dialog
    assert about is not None
    assert "No module named 'torch'" in about.value("PyTorch")
    assert "need PyTorch" in about.value("Device")


def test_about_copies_its_details(qtbot: QtBot, window: MainWindow) -> None:
    window.actions_.about.trigger()
    about = window.actions_.about_dialog
    assert about is not None
    about.copy_button.click()
    text = QGuiApplication.clipboard().text()
    assert f"Qt: {qVersion()}" in text and "Nectar GUI: " in text


def test_user_guide_opens_the_guide(window: MainWindow, monkeypatch: pytest.MonkeyPatch
                                    ) -> None:
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl",
                        lambda url: opened.append(url) or True)
    window.actions_.user_guide.trigger()
    assert opened == [help_dialogs.user_guide_url()]
    url = opened[0]
    assert (url.isLocalFile() and Path(url.toLocalFile()).is_file()) or (
        url.toString() == help_dialogs.USER_GUIDE_URL)


# ---- theme ---------------------------------------------------------------------------------
def test_theme_switch_changes_palette_plots_and_persists(qtbot: QtBot, window: MainWindow,
                                                         tmp_path: Path) -> None:
    plot = window.training_view.loss_plot
    assert window.actions_.theme.theme() is Theme.SYSTEM  # offscreen: no scheme → light
    light = _window_colour()
    assert plot.plot_colours() == LIGHT_PLOT

    window.actions_.theme_actions[Theme.DARK].trigger()
    assert _lightness(_window_colour()) < 128 < _lightness(light)
    # Qt delivers the palette change to each widget through the event queue.
    qtbot.waitUntil(lambda: plot.plot_colours() == DARK_PLOT, timeout=5000)
    # Widgets with style sheets (the config editor) take the dark palette too.
    qtbot.waitUntil(lambda: window.editor.palette().color(QPalette.ColorRole.Window)
                    .lightness() < 128, timeout=5000)
    assert window.settings.value(THEME_KEY) == "dark"

    # The next start reads the choice back and ticks it in View → Theme.
    again = MainWindow(workspace=tmp_path / "ws", settings=_settings(tmp_path))
    qtbot.addWidget(again)
    assert again.actions_.theme.theme() is Theme.DARK
    assert again.actions_.theme_actions[Theme.DARK].isChecked()
    again.actions_.theme_actions[Theme.LIGHT].trigger()
    assert _window_colour() == light
    qtbot.waitUntil(lambda: plot.plot_colours() == LIGHT_PLOT, timeout=5000)


def test_system_theme_follows_the_colour_scheme(qtbot: QtBot, tmp_path: Path) -> None:
    manager = ThemeManager(_settings(tmp_path))
    hints = QGuiApplication.styleHints()
    try:
        with qtbot.waitSignal(manager.dark_changed, timeout=5000) as got:
            hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert got.args == [True] and manager.is_dark()
        assert _lightness(_window_colour()) < 128
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
        assert not manager.is_dark()
        # A fixed choice ignores the system from then on.
        manager.set_theme(Theme.LIGHT)
        hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
        assert not manager.is_dark()
    finally:
        manager.deleteLater()
        QApplication.setPalette(light_palette())
