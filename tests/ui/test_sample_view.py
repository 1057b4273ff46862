"""SampleView: latest wins, scrubbing back, live again, lazy loading from a run folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.rundir import RunReader, RunWriter, SampleRecord
from nectar_gui.core.training.reports import SampleReport
from nectar_gui.ui.training.sample_view import SampleView, arrange

CYCLE_NAMES = ("real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B", "idt_A", "idt_B")


def sample(step: int, names: tuple[str, ...] = ("real_A", "fake_B", "real_B"),
           size: int = 16) -> SampleReport:
    images = {n: np.full((size, size, 3), (step * 10 + i) % 256, dtype=np.uint8)
              for i, n in enumerate(names)}
    return SampleReport(step=step, epoch=step // 100, images=images, patch_maps={},
                        patch_map_images={},
                        receptive_field=ReceptiveField.from_layers([(4, 2, 1)]),
                        gan_mode="lsgan")


@pytest.fixture
def view(qtbot: Any) -> SampleView:
    widget = SampleView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_shows_the_latest_sample(view: SampleView, qtbot: Any) -> None:
    assert "No samples yet" in view.message()
    shown: list[Any] = []
    view.sample_shown.connect(shown.append)
    for step in (10, 20, 30):
        view.add_sample(sample(step))
    qtbot.waitUntil(lambda: view.current_step() == 30)  # repainted by the timer
    assert [s.step for s in shown] == [30]  # latest wins: 10 and 20 were never painted
    assert view.image_rows() == [["real_A", "fake_B", "real_B"]]
    assert view.steps() == [10, 20, 30]
    assert view.is_live()
    assert view.message() == ""


def test_scrub_back_is_not_yanked_by_new_samples_and_live_resumes(
        view: SampleView, qtbot: Any) -> None:
    for step in (10, 20, 30):
        view.add_sample(sample(step))
    view.refresh()
    with qtbot.waitSignal(view.sample_shown, timeout=2000) as shown:
        view._slider.setValue(0)  # the user drags the scrubber to the start
    assert shown.args[0].step == 10
    assert not view.is_live()
    view.add_sample(sample(40))
    view.refresh()
    assert view.current_step() == 10
    assert view.steps() == [10, 20, 30, 40]
    assert view._slider.value() == 0
    assert view._slider.maximum() == 3
    with qtbot.waitSignal(view.sample_shown, timeout=2000) as shown:
        view._live_button.click()
    assert shown.args[0].step == 40
    assert view.is_live()
    view.add_sample(sample(50))
    qtbot.waitUntil(lambda: view.current_step() == 50)


def test_history_in_memory_is_bounded(qtbot: Any) -> None:
    view = SampleView(history_limit=3)
    qtbot.addWidget(view)
    for step in range(1, 8):
        view.add_sample(sample(step))
    view.refresh()
    assert view.memory_steps() == [5, 6, 7]
    assert view.steps() == [5, 6, 7]
    big = SampleView(history_bytes=3 * sample(1).images["real_A"].nbytes * 3)
    qtbot.addWidget(big)
    for step in range(1, 8):
        big.add_sample(sample(step))
    assert big.memory_steps() == [5, 6, 7]


def test_steps_on_disk_load_lazily(view: SampleView, qtbot: Any) -> None:
    loaded: list[int] = []

    def load(step: int) -> SampleRecord:
        loaded.append(step)
        report = sample(step)
        return SampleRecord(step=step, epoch=report.epoch, images=report.images)

    view.set_steps(range(100, 1100, 100), load)
    qtbot.waitUntil(lambda: view.current_step() == 1000)
    assert loaded == [1000]  # only what is shown is read
    view.show_step(300)
    qtbot.waitUntil(lambda: view.current_step() == 300)
    view.show_step(1000)
    qtbot.waitUntil(lambda: view.current_step() == 1000)
    assert loaded == [1000, 300]  # the recent ones are kept
    assert view._position.text().startswith("step 1,000 · epoch 11")


def test_loader_failure_is_shown(view: SampleView, qtbot: Any) -> None:
    def load(step: int) -> SampleRecord:
        raise OSError("disk on fire")

    view.set_steps([5], load)
    qtbot.waitUntil(lambda: "disk on fire" in view.message())
    assert view.current_step() is None


def test_cyclegan_images_in_two_domain_rows(view: SampleView, qtbot: Any) -> None:
    view.add_sample(sample(1, CYCLE_NAMES))
    view.refresh()
    assert view.image_rows() == [["real_A", "fake_B", "rec_A", "idt_B"],
                                 ["real_B", "fake_A", "rec_B", "idt_A"]]
    assert arrange(["a", "b", "c", "d", "e"]) == [["a", "b", "c", "d"], ["e"]]


def test_small_images_are_scaled_up_crisply(view: SampleView, qtbot: Any) -> None:
    report = sample(1, size=8)
    checker = np.indices((8, 8)).sum(axis=0) % 2 * 255
    report.images["real_A"][:] = checker[:, :, None].astype(np.uint8)
    view.add_sample(report)
    view.refresh()
    grab = view._canvas.grab().toImage()
    rect, name = view._canvas._cells[0]
    assert name == "real_A" and rect.width() % 8 == 0 and rect.width() >= 64
    pixel = rect.width() // 8
    colours = {grab.pixelColor(rect.left() + pixel * i + pixel // 2,
                               rect.top() + pixel // 2).red() for i in range(8)}
    assert colours == {0, 255}  # hard-edged squares, no blended greys
    edge = grab.pixelColor(rect.left() + pixel - 1, rect.top()).red()
    assert edge in (0, 255)


def test_a_short_panel_scrolls_instead_of_shrinking_the_images(view: SampleView,
                                                                qtbot: Any) -> None:
    view.add_sample(sample(1, names=CYCLE_NAMES, size=64))
    view.resize(900, 140)  # far less than two rows of 64-pixel images need
    view.refresh()
    qtbot.waitUntil(lambda: bool(view._canvas._cells), timeout=5000)
    view._canvas.grab()
    sizes = {(rect.width(), rect.height()) for rect, _ in view._canvas._cells}
    assert sizes == {(64, 64)}  # natural size, never the 40 px a squeezed grid gave
    assert view._scroll.verticalScrollBar().maximum() > 0  # the rest is a scroll away
    view.resize(900, 700)  # with room, they grow again
    qtbot.waitUntil(lambda: not view._scroll.verticalScrollBar().maximum(), timeout=5000)
    view._canvas.grab()
    assert min(rect.width() for rect, _ in view._canvas._cells) > 64


def test_a_real_run_folder(view: SampleView, qtbot: Any, tmp_path: Path) -> None:
    with RunWriter.create(tmp_path / "run", json.dumps({"name": "x"})) as writer:
        for step in (5, 10):
            writer.write_sample(sample(step, CYCLE_NAMES))
    reader = RunReader(tmp_path / "run")
    view.set_steps(reader.sample_steps(), reader.load_sample)
    qtbot.waitUntil(lambda: view.current_step() == 10)
    assert isinstance(view.current_sample(), SampleRecord)
    assert len(view.image_rows()) == 2


def test_clear(view: SampleView) -> None:
    view.add_sample(sample(3))
    view.refresh()
    view.clear()
    view.refresh()
    assert view.current_step() is None
    assert view.steps() == []
    assert "No samples yet" in view.message()


def test_repaints_reuse_the_composed_grid_until_the_sample_or_size_changes(
        view: SampleView, qtbot: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    canvas = view._canvas
    composed: list[int] = []
    original = canvas._compose
    monkeypatch.setattr(canvas, "_compose", lambda: composed.append(1) or original())
    view.add_sample(sample(1))
    view.refresh()
    first = canvas.grab().toImage()
    canvas.grab()
    canvas.repaint()
    assert len(composed) == 1  # three paints, one composition
    view.add_sample(sample(2))
    view.refresh()
    canvas.grab()
    assert len(composed) == 2
    view.resize(view.width() + 40, view.height())  # the canvas fills its scroll area
    qtbot.waitUntil(lambda: canvas.width() == first.width() + 40, timeout=5000)
    again = canvas.grab().toImage()
    assert len(composed) == 3 and again.width() == first.width() + 40
