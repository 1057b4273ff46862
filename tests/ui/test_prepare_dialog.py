"""The Dataset tab's "Prepare a dataset" dialog: the plan before writing, a real worker
thread writing real files, Cancel leaving nothing, and the result opened in the tab."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from pytestqt.qtbot import QtBot

from nectar_gui.core.data.prepare import STAGING_PREFIX, PrepareOptions, PreparePlan
from nectar_gui.ui.dataset import prepare_dialog
from nectar_gui.ui.dataset.browser import DatasetBrowser
from nectar_gui.ui.dataset.prepare_dialog import PrepareDialog
from nectar_gui.workers import dataset as dataset_workers
from nectar_gui.workers.dataset import PrepareWorker
from tests.core.test_prepare import _photo

TIMEOUT = 30_000


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "sketches", tmp_path / "photos"
    for i in range(12):
        _photo(a / f"{i:02d}.png", (40, 32), i, "L" if i % 3 else "RGBA")
        _photo(b / f"{i:02d}.jpg", (44, 32), 50 + i)
    _photo(b / "extra.png", (40, 32), 99)
    return a, b


def _fill(qtbot: QtBot, dialog: PrepareDialog, a: Path, b: Path) -> None:
    dialog.a_edit.setText(str(a))
    dialog.b_edit.setText(str(b))
    qtbot.waitUntil(lambda: dialog.plan is not None, timeout=TIMEOUT)


def test_the_plan_shows_before_anything_is_written_and_the_result_opens(
        qtbot: QtBot, browser: DatasetBrowser, folders: tuple[Path, Path]) -> None:
    a, b = folders
    qtbot.mouseClick(browser.empty_state.prepare_button, Qt.MouseButton.LeftButton)
    dialog = browser.findChild(PrepareDialog)
    assert dialog is not None and dialog.isVisible()
    assert not dialog.prepare_button.isEnabled()  # nothing chosen yet
    _fill(qtbot, dialog, a, b)
    out = a.parent / "sketches-photos"
    assert dialog.out_edit.text() == str(out)  # a suggested, new folder beside A
    dialog.val_spin.setValue(25)
    qtbot.waitUntil(lambda: "val/: 3 images" in dialog.plan_view.toPlainText(),
                    timeout=TIMEOUT)
    text = dialog.plan_view.toPlainText()
    assert "train/: 9 images" in text and "extra.png" in text and not out.exists()
    (a / "05.png").write_bytes(b"not an image")  # found only while writing
    with qtbot.waitSignal(dialog.prepared, timeout=TIMEOUT) as prepared:
        qtbot.mouseClick(dialog.prepare_button, Qt.MouseButton.LeftButton)
    assert Path(prepared.args[0]) == out.resolve()
    assert not dialog.isVisible() and not dialog.busy()
    assert browser.root() == out.resolve()
    layout = browser.current_layout()
    assert layout is not None and layout.kind == "aligned"
    written = sorted(p.name for p in out.rglob("*.png"))
    assert len(written) == 11 and "05.png" not in written  # left out, and said so
    note = browser.header.note_label
    assert note.isVisible() and "1 unreadable file(s)" in note.text()
    assert "05.png" in note.text()


def test_cancel_while_writing_leaves_nothing(qtbot: QtBot, folders: tuple[Path, Path],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    class CancelledAfterOne(PrepareWorker):
        """Presses Cancel (from the writer's own thread) once the first image is written."""

        def __init__(self, plan: PreparePlan) -> None:
            super().__init__(plan)
            self.progress.connect(lambda *_: self.cancel(), Qt.ConnectionType.DirectConnection)

    monkeypatch.setattr(prepare_dialog, "PrepareWorker", CancelledAfterOne)
    a, b = folders
    dialog = PrepareDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    _fill(qtbot, dialog, a, b)
    with qtbot.assertNotEmitted(dialog.prepared):
        dialog.start()
        qtbot.waitUntil(lambda: not dialog.busy(), timeout=TIMEOUT)
    assert dialog.status.text() == "Cancelled; nothing was written."
    qtbot.waitUntil(dialog.prepare_button.isEnabled, timeout=TIMEOUT)  # planned again: retry
    assert not Path(dialog.out_edit.text()).exists()
    assert not [p for p in a.parent.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_problem_is_said_in_the_plan(qtbot: QtBot, folders: tuple[Path, Path]) -> None:
    a, b = folders
    dialog = PrepareDialog()
    qtbot.addWidget(dialog)
    dialog.out_edit.setText(str(a / "inside"))
    dialog.a_edit.setText(str(a))
    dialog.b_edit.setText(str(b))
    qtbot.waitUntil(lambda: "Cannot prepare yet" in dialog.plan_view.toPlainText(),
                    timeout=TIMEOUT)
    assert "apart from the source folders" in dialog.plan_view.toPlainText()
    assert not dialog.prepare_button.isEnabled()


def test_closing_the_tab_while_writing_stops_the_writer(
        qtbot: QtBot, browser: DatasetBrowser, folders: tuple[Path, Path]) -> None:
    a, b = folders
    dialog = browser.open_prepare_dialog()
    _fill(qtbot, dialog, a, b)
    with qtbot.waitSignal(dialog.progress.valueChanged, timeout=TIMEOUT):
        dialog.start()  # the window closes mid-way (or after the end, on a fast machine)
    browser.shutdown()
    assert not dialog.busy() and not dialog.isVisible()
    assert not [p for p in a.parent.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_the_file_menu_opens_it_on_the_dataset_tab(qtbot: QtBot, tmp_path: Path) -> None:
    from tests.ui.conftest import shown_window

    with shown_window(qtbot, tmp_path / "ws", tmp_path) as window:
        file_menu = window.menuBar().actions()[0].menu()
        assert window.actions_.prepare_dataset in file_menu.actions()
        window.actions_.prepare_dataset.trigger()
        assert window.tabs.currentWidget() is window.dataset_browser
        dialog = window.dataset_browser.findChild(PrepareDialog)
        assert dialog is not None and dialog.isVisible()


def test_planning_lists_folders_off_the_ui_thread_and_keeps_the_latest_answer(
        qtbot: QtBot, folders: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow listing (a network folder) leaves the dialog answering; an answer to an
    older request, arriving last, does not replace the newer plan."""
    real_plan = dataset_workers.plan_prepare
    first_may_finish = threading.Event()
    on_ui_thread: list[bool] = []

    def slow_first_plan(options: PrepareOptions) -> PreparePlan:
        on_ui_thread.append(threading.current_thread() is threading.main_thread())
        if len(on_ui_thread) == 1:
            assert first_may_finish.wait(TIMEOUT / 1000)
        return real_plan(options)

    monkeypatch.setattr(dataset_workers, "plan_prepare", slow_first_plan)
    a, b = folders
    dialog = PrepareDialog()
    qtbot.addWidget(dialog)
    dialog.a_edit.setText(str(a))
    dialog.b_edit.setText(str(b))
    qtbot.waitUntil(lambda: len(on_ui_thread) == 1, timeout=TIMEOUT)
    assert dialog.plan_view.toPlainText() == "Looking at the folders…"
    assert not dialog.prepare_button.isEnabled() and dialog.plan is None
    dialog.val_spin.setValue(25)  # the dialog still answers: a second plan is asked for
    qtbot.waitUntil(lambda: "val/: 3 images" in dialog.plan_view.toPlainText(),
                    timeout=TIMEOUT)
    assert dialog.plan is not None and dialog.prepare_button.isEnabled()
    newer = dialog.plan
    with qtbot.waitSignal(dialog._planner.planned, timeout=TIMEOUT) as stale:
        first_may_finish.set()
    assert stale.args is not None and "val/: 3 images" not in stale.args[1].describe()
    QCoreApplication.processEvents()  # deliver the stale answer to the dialog
    assert dialog.plan is newer and "val/: 3 images" in dialog.plan_view.toPlainText()
    assert on_ui_thread == [False, False]
