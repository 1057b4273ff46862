"""The Translate tab driven as an artist would: offscreen, real widgets, real threads,
real tiny generators and real files. Dialogs are answered by monkeypatching."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox
from pytestqt.qtbot import QtBot

from nectar_gui.core.evaluation.best import read_best
from nectar_gui.core.translate.info import RunCheckpoints
from nectar_gui.ui.translate import batch_flow as batch_flow_module
from nectar_gui.ui.translate.batch import BatchDialog
from nectar_gui.ui.translate.clock import TranslateClock
from nectar_gui.ui.translate.model import ModelChoice, ModelPicker
from nectar_gui.ui.translate.progress import TaskStrip
from nectar_gui.ui.translate.tab import TranslateTab
from nectar_gui.workers.translate_batch import BatchRequest
from tests.tiny_generators import cyclegan_run, reference_pth, write_photo

TIMEOUT = 60_000


class Dialogs:
    """Records message boxes instead of showing them; answers file dialogs."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.messages: list[tuple[str, str]] = []
        self.save_path = ""
        self.open_path = ""
        for name in ("information", "warning", "critical"):
            monkeypatch.setattr(QMessageBox, name, self._message)
        monkeypatch.setattr(QFileDialog, "getSaveFileName",
                            lambda *a, **k: (self.save_path, "PNG image (*.png)"))
        monkeypatch.setattr(QFileDialog, "getOpenFileName",
                            lambda *a, **k: (self.open_path, ""))

    def _message(self, _parent: object, title: str, text: str, *a: object) -> object:
        self.messages.append((title, text))
        return QMessageBox.StandardButton.Ok


@pytest.fixture
def dialogs(monkeypatch: pytest.MonkeyPatch) -> Dialogs:
    return Dialogs(monkeypatch)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, unpaired_data: Path) -> Path:
    ws = tmp_path_factory.mktemp("ws")
    cyclegan_run(ws / "runs" / "cyclegan-demo", unpaired_data, steps=(4, 8))
    return ws


@pytest.fixture(scope="module")
def pth(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reference_pth(tmp_path_factory.mktemp("models") / "latest_net_G_A.pth")


def _make_tab(qtbot: QtBot, workspace: Path, settings_file: Path) -> TranslateTab:
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    tab = TranslateTab(workspace=workspace, settings=settings)
    qtbot.addWidget(tab)
    tab.resize(1280, 800)
    tab.show()
    return tab


@pytest.fixture
def tab(qtbot: QtBot, workspace: Path, tmp_path: Path, dialogs: Dialogs
        ) -> Iterator[TranslateTab]:
    t = _make_tab(qtbot, workspace, tmp_path / "settings.ini")
    yield t
    assert t.shutdown(TIMEOUT)


def _pick_run(qtbot: QtBot, tab: TranslateTab) -> None:
    combo = tab.picker.model_combo
    qtbot.waitUntil(lambda: combo.findText("cyclegan-demo", Qt.MatchFlag.MatchContains) > 0,
                    timeout=TIMEOUT)
    with qtbot.waitSignal(tab.runner.worker.loaded, timeout=TIMEOUT):
        combo.setCurrentIndex(combo.findText("cyclegan-demo", Qt.MatchFlag.MatchContains))
        combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: tab.info is not None and not tab.runner.busy, timeout=TIMEOUT)


def _drop(tab: TranslateTab, paths: list[Path]) -> None:
    """A real drag-enter and drop of file URLs onto the tab."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(tab.width() / 2, tab.height() / 2)
    actions = Qt.DropAction.CopyAction
    buttons, mods = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(pos.toPoint(), actions, mime, buttons, mods)
    QApplication.sendEvent(tab, enter)
    assert enter.isAccepted()
    drop = QDropEvent(pos, actions, mime, buttons, mods)
    QApplication.sendEvent(tab, drop)
    assert drop.isAccepted()


def _heartbeat(tab: TranslateTab) -> list[int]:
    """Ticks of a UI-thread timer counted only while the worker is busy: if the work
    blocked the UI thread, there would be none."""
    ticks: list[int] = []
    timer = QTimer(tab)
    timer.setInterval(5)
    timer.timeout.connect(lambda: ticks.append(1) if tab.runner.busy else None)
    timer.start()
    return ticks


def test_empty_state_says_what_to_do(tab: TranslateTab) -> None:
    text = tab.compare.input_view.placeholder
    assert "Pick a model" in text and "Drop an image" in text
    assert not tab.controls.translate_button.isEnabled()
    assert not tab.controls.save_button.isEnabled()
    assert not tab.translate_action.isEnabled()


def test_drop_translate_save(qtbot: QtBot, tab: TranslateTab, dialogs: Dialogs,
                             tmp_path: Path) -> None:
    _pick_run(qtbot, tab)
    assert read_best(tab.workspace / "runs" / "cyclegan-demo" / "checkpoints") is None
    assert tab.picker.step_combo.currentData() == 8  # no BEST: the latest by default
    assert "CycleGAN" in tab.picker.info_label.text()
    assert tab.controls.direction_combo.isEnabled()  # a CycleGAN translates both ways
    photo = write_photo(tmp_path / "in" / "street.jpg", 1000, 700)
    _drop(tab, [photo])
    qtbot.waitUntil(lambda: tab.image is not None, timeout=TIMEOUT)
    assert "1000×700" in tab.compare.input_caption.text()

    ticks = _heartbeat(tab)
    tab.controls.direction_combo.setCurrentIndex(1)  # B → A
    qtbot.mouseClick(tab.controls.translate_button, Qt.MouseButton.LeftButton)
    assert tab.strip.cancel_button.isVisible()
    qtbot.waitUntil(lambda: tab.output is not None, timeout=TIMEOUT)
    assert ticks, "the UI thread must keep running while translating"
    assert tab.output.pixels.shape == (700, 1000, 3)
    assert tab.output.direction == "BtoA"
    assert tab.clock.rate.seconds_per_mp is not None  # the next image gets a time left
    assert tab.output.plan and tab.output.plan in tab.strip.label.text()  # which path, why

    dialogs.save_path = str(tmp_path / "out" / "street_BtoA.png")
    (tmp_path / "out").mkdir()
    with qtbot.waitSignal(tab.files.saved, timeout=TIMEOUT):
        qtbot.mouseClick(tab.controls.save_button, Qt.MouseButton.LeftButton)
    with Image.open(dialogs.save_path) as saved:
        assert saved.size == (1000, 700)

    dialogs.save_path = str(photo)  # never over the input
    tab.controls.save_button.click()
    assert dialogs.messages and "input image" in dialogs.messages[-1][1]
    with Image.open(photo) as original:
        assert original.format == "JPEG"

    tab.copy_output()
    assert QGuiApplication.clipboard().image().size().width() == 1000


def test_single_generator_file_translates_one_way(qtbot: QtBot, tab: TranslateTab,
                                                  dialogs: Dialogs, pth: Path,
                                                  tmp_path: Path) -> None:
    dialogs.open_path = str(pth)
    with qtbot.waitSignal(tab.runner.worker.loaded, timeout=TIMEOUT):
        tab.picker.open_button.click()
    qtbot.waitUntil(lambda: tab.info is not None, timeout=TIMEOUT)
    assert tab.picker.current_path() == pth
    assert not tab.controls.direction_combo.isEnabled()
    assert "A → B only" in tab.controls.direction_combo.toolTip()
    assert "pytorch-CycleGAN-and-pix2pix" in tab.picker.info_label.text()

    bogus = tmp_path / "weights.pth"
    bogus.write_bytes(b"definitely not a state dict")
    dialogs.open_path = str(bogus)
    with qtbot.waitSignal(tab.runner.worker.load_failed, timeout=TIMEOUT):
        tab.picker.open_button.click()
    qtbot.waitUntil(lambda: "Still using" in tab.picker.info_label.text(), timeout=TIMEOUT)
    assert "weights.pth" in tab.picker.info_label.text()
    assert tab.picker.current_path() == pth  # the picker shows what is really loaded


def test_paste_an_image_or_a_path(qtbot: QtBot, tab: TranslateTab, tmp_path: Path) -> None:
    image = QImage(48, 32, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.darkCyan)
    QGuiApplication.clipboard().setImage(image)
    tab.paste_action.trigger()
    qtbot.waitUntil(lambda: tab.image is not None, timeout=TIMEOUT)
    assert tab.image.name == "pasted image" and tab.image.pixels.shape == (32, 48, 3)

    photo = write_photo(tmp_path / "copied path.png", 20, 10)
    QGuiApplication.clipboard().setText(str(photo))
    tab.paste()
    qtbot.waitUntil(lambda: tab.image is not None and tab.image.path == photo,
                    timeout=TIMEOUT)


def test_zoom_and_pan_stay_in_step(qtbot: QtBot, tab: TranslateTab, tmp_path: Path) -> None:
    _pick_run(qtbot, tab)
    tab.open_image(write_photo(tmp_path / "p.png", 960, 800))
    qtbot.waitUntil(lambda: tab.image is not None, timeout=TIMEOUT)
    tab.translate()
    qtbot.waitUntil(lambda: tab.output is not None, timeout=TIMEOUT)
    left, right = tab.compare.input_view, tab.compare.output_view
    tab.compare.actual_button.click()  # 100%: the picture overflows both views
    assert left.scale_factor() == 1.0 and right.scale_factor() == 1.0
    # Off-centre but well inside the picture, where the view can keep it under the cursor.
    cursor = QPointF(left.viewport().rect().center()) + QPointF(60, 40)
    under = left.mapToScene(cursor.toPoint())
    for _ in range(3):  # three notches of the wheel, about the cursor
        QApplication.sendEvent(left.viewport(), QWheelEvent(
            cursor, left.viewport().mapToGlobal(cursor), QPoint(), QPoint(0, 120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False))
    scale = left.scale_factor()
    assert scale == pytest.approx(1.25 ** 3) and right.scale_factor() == pytest.approx(scale)
    assert (left.mapToScene(cursor.toPoint()) - under).manhattanLength() < 2.0
    assert (right.center() - left.center()).manhattanLength() < 2.0
    before = left.center()
    qtbot.mousePress(left.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(200, 200))
    qtbot.mouseMove(left.viewport(), QPoint(120, 150))
    qtbot.mouseRelease(left.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(120, 150))
    assert (left.center() - before).manhattanLength() > 20  # the drag panned
    assert (right.center() - left.center()).manhattanLength() < 2.0

    tab.compare.split_button.click()
    split = tab.compare.split_view
    assert tab.compare.mode() == "split" and split.scale_factor() == pytest.approx(scale)
    split.zoom_to(0.5)
    x = round(split.divider_x())
    y = split.viewport().height() // 2
    qtbot.mousePress(split.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseMove(split.viewport(), QPoint(x - 60, y))
    qtbot.mouseRelease(split.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x - 60, y))
    assert split.divider < 0.5
    tab.compare.fit_button.click()
    assert tab.compare.zoom_label.text().endswith("whole picture")


def _batch_answer(monkeypatch: pytest.MonkeyPatch, out: Path) -> None:
    def answer(_parent: object, inputs: list[Path], direction: str, **kw: object
               ) -> BatchRequest:
        return BatchRequest(tuple(inputs), out, direction, ".png", "skip", 32)

    monkeypatch.setattr(batch_flow_module, "ask_batch", answer)


def test_batch_folder_lists_the_broken_file(qtbot: QtBot, tab: TranslateTab, dialogs: Dialogs,
                                            tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _pick_run(qtbot, tab)
    folder = tmp_path / "photos"
    for i in range(3):
        write_photo(folder / f"p{i}.png", 48, 40, seed=i)
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff not a jpeg")
    _batch_answer(monkeypatch, tmp_path / "out")
    with qtbot.waitSignal(tab.runner.worker.batch_done, timeout=TIMEOUT):
        _drop(tab, [folder])  # a dropped folder becomes a batch
    qtbot.waitUntil(lambda: not tab.runner.busy, timeout=TIMEOUT)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "p0_AtoB.png", "p1_AtoB.png", "p2_AtoB.png"]
    title, text = dialogs.messages[-1]
    assert "not translated" in title and "broken.jpg" in text
    assert "3 written" in tab.strip.label.text()


def test_batch_cancel_half_way(qtbot: QtBot, tab: TranslateTab, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    _pick_run(qtbot, tab)
    folder = tmp_path / "many"
    for i in range(8):
        write_photo(folder / f"m{i}.png", 64, 64, seed=i)
    out = tmp_path / "out"
    _batch_answer(monkeypatch, out)
    # Hold the worker inside the third file until the user has pressed Cancel, so the
    # click always lands half-way however fast the machine is.
    pressed = threading.Event()
    tab.runner.worker.batch_progress.connect(
        lambda p: pressed.wait(TIMEOUT / 1000) if p.done == 2 else None)
    ticks = _heartbeat(tab)
    tab.start_batch([folder])
    qtbot.waitUntil(lambda: "2 of 8" in tab.strip.label.text(), timeout=TIMEOUT)
    qtbot.mouseClick(tab.strip.cancel_button, Qt.MouseButton.LeftButton)
    pressed.set()
    qtbot.waitUntil(lambda: not tab.runner.busy, timeout=TIMEOUT)
    assert sorted(p.name for p in out.iterdir()) == ["m0_AtoB.png", "m1_AtoB.png"]
    assert "cancelled" in tab.strip.label.text()
    assert ticks


def test_batch_dialog_asks_about_existing_outputs(qtbot: QtBot, tmp_path: Path) -> None:
    inputs = [write_photo(tmp_path / f"a{i}.png", 8, 8) for i in range(3)]
    out = tmp_path / "out"
    dialog = BatchDialog(inputs, "AtoB", output_dir=out, suffix=".png")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.conflict_label.isVisible()
    out.mkdir()
    (out / "a1_AtoB.webp").write_bytes(b"x")
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData(".webp"))
    assert dialog.conflict_label.isVisible() and "1 of 3" in dialog.conflict_label.text()
    dialog.set_policy("overwrite")
    request = dialog.request(tile=None)
    assert request.existing == "overwrite" and request.suffix == ".webp"
    assert request.output_dir == out and request.inputs == tuple(inputs)


def test_last_model_and_view_mode_come_back(qtbot: QtBot, workspace: Path, tmp_path: Path,
                                            dialogs: Dialogs) -> None:
    first = _make_tab(qtbot, workspace, tmp_path / "s.ini")
    _pick_run(qtbot, first)
    first.picker.step_combo.setCurrentIndex(first.picker.step_combo.findData(4))
    with qtbot.waitSignal(first.runner.worker.loaded, timeout=TIMEOUT) as loaded:
        first.picker.step_combo.activated.emit(first.picker.step_combo.currentIndex())
    assert loaded.args[0].step == 4
    first.compare.set_mode("split")
    assert first.shutdown(TIMEOUT)
    first.settings.sync()

    second = _make_tab(qtbot, workspace, tmp_path / "s.ini")
    # The model loads on the worker thread and the run list fills on another, in either
    # order; the picker shows step 4 once both have come back.
    qtbot.waitUntil(lambda: second.info is not None and second.picker.current_step() == 4,
                    timeout=TIMEOUT)
    assert second.info.step == 4 and second.compare.mode() == "split"
    assert second.shutdown(TIMEOUT)


def test_main_window_has_the_tab_and_refreshes_its_runs(qtbot: QtBot, tmp_path: Path,
                                                        dialogs: Dialogs,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    from nectar_gui.ui.shell.main_window import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(workspace=tmp_path / "ws", settings=settings)
    qtbot.addWidget(window)
    window.show()
    tab = window.translate_tab
    assert window.tabs.tabText(window.tabs.indexOf(tab)) == "Translate"
    refreshed: list[int] = []
    monkeypatch.setattr(tab, "refresh_runs", lambda: refreshed.append(1))
    window.runner.running_changed.emit(False)  # a training run has ended
    assert refreshed
    window.tabs.setCurrentWidget(tab)
    qtbot.waitUntil(lambda: tab.picker.device_combo.count() > 1, timeout=TIMEOUT)
    window.close()
    assert not tab.runner.busy and tab.runner._thread is None  # joined on close


def test_a_whole_image_shows_a_percentage_and_time_left(
        qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    strip = TaskStrip()
    qtbot.addWidget(strip)
    clock = TranslateClock(strip, strip)
    now = [100.0]
    monkeypatch.setattr("nectar_gui.ui.translate.clock.time.monotonic", lambda: now[0])
    clock.start(6_000_000)  # the first image: no speed yet, but the time so far
    assert "6.0 MP" in clock.text() and "the first image sets the speed" in clock.text()
    now[0] += 30.0
    clock.finished(30.0)  # 5 s per megapixel
    clock.start(3_000_000)  # expected 15 s
    now[0] += 6.0
    clock._on_timer_timeout()
    assert clock.text() == "Translating 3.0 MP… 40% · about 9s left"
    assert strip.bar.value() == 400 and strip.bar.maximum() == 1000
    clock.tiles(3, 4)  # tiles, when reported, beat the estimate
    assert clock.text() == "Translating 3.0 MP… tile 3 of 4 75% · about 2s left"
    clock.stop()


def test_a_run_with_a_best_checkpoint_offers_it_first(qtbot: QtBot, tmp_path: Path) -> None:
    picker = ModelPicker()
    qtbot.addWidget(picker)
    run = RunCheckpoints(run_dir=tmp_path / "r", name="r", model="pix2pix", steps=(4, 8, 12),
                         latest=12, best=8)
    picker.set_runs([run])
    picker.select(ModelChoice(run.run_dir))
    assert picker.current_step() == 8
    texts = [picker.step_combo.itemText(i) for i in range(picker.step_combo.count())]
    assert texts == ["step 12  (latest)", "step 8  (best)", "step 4"]


def test_the_memory_budget_is_an_advanced_setting_that_stays(
        qtbot: QtBot, workspace: Path, tmp_path: Path) -> None:
    first = _make_tab(qtbot, workspace, tmp_path / "m.ini")
    controls = first.controls
    assert controls.max_memory() is None  # automatic: half the free memory
    controls.memory_combo.setCurrentIndex(controls.memory_combo.findText("2 GB"))
    assert controls.max_memory() == 2 * 1024 ** 3
    assert first.shutdown(TIMEOUT)
    first.settings.sync()
    second = _make_tab(qtbot, workspace, tmp_path / "m.ini")
    assert second.controls.max_memory() == 2 * 1024 ** 3
    assert second.shutdown(TIMEOUT)
