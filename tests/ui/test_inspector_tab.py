"""InspectorTab: choosing maps, hover and pins in both views, top-k, history, export."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from nectar_gui.core.patch_scores import most_fake
from nectar_gui.core.rundir import RunReader, RunWriter
from nectar_gui.core.sample_grid import SampleRecord
from nectar_gui.ui.inspector import InspectorTab
from nectar_gui.ui.training.sample_view import SampleView
from tests.fields import patchgan_field
from tests.ui.inspector_helpers import cyclegan_sample, pix2pix_sample


@pytest.fixture
def tab(qtbot: Any) -> InspectorTab:
    widget = InspectorTab()
    qtbot.addWidget(widget)
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def shown(tab: InspectorTab, sample: Any) -> InspectorTab:
    tab.add_sample(sample)
    tab.refresh()
    return tab


def click_pixel(qtbot: Any, tab: InspectorTab, y: int, x: int, view: Any = None) -> None:
    view = view or tab.view
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton,
                     pos=view.scene_to_viewport(x + 0.5, y + 0.5))


def test_starts_with_a_plain_message_and_shows_pix2pix_maps(tab: InspectorTab) -> None:
    assert tab.stack.currentIndex() == 0
    assert "No samples yet" in tab.message_label.text()
    shown(tab, pix2pix_sample(size=64))
    assert tab.stack.currentIndex() == 1
    assert (tab.current_map(), tab.side_map()) == ("D(fake_B)", "D(real_B)")
    assert not tab.controls.domain_label.isVisible()  # pix2pix has one D
    assert "70×70 px" in tab.header.text() and "6×6 cells" in tab.header.text()
    assert "which also sees real A" in tab.caption.text()
    assert tab.legend.labels() == ("0.00 looks fake", "0.50 undecided", "looks real 1.00")
    assert "probability of real" in tab.legend.title()
    tab.controls.kind_group.button(1).click()  # "Real image"
    assert (tab.current_map(), tab.side_map()) == ("D(real_B)", "D(fake_B)")


def test_cyclegan_domains_each_have_their_own_d(tab: InspectorTab) -> None:
    shown(tab, cyclegan_sample())
    assert tab.controls.domain_label.isVisible()
    assert tab.current_map() == "D_B(fake_B)"  # the default: a generated image
    tab.controls.domain_group.button(0).click()  # domain A
    assert (tab.current_map(), tab.side_map()) == ("D_A(fake_A)", "D_A(real_A)")
    assert "scored by D_A" in tab.caption.text()
    tab.show_image("real_B")
    assert tab.current_map() == "D_B(real_B)"
    assert tab.controls.kind() == "real" and tab.controls.domain() == "B"
    tab.show_image("rec_A")  # D never judges reconstructions: say so, show domain A
    assert tab.current_map() == "D_A(real_A)"
    assert "does not judge rec A" in tab.readout.text()
    assert tab.legend.labels()[0] == "0.00 looks fake"  # lsgan: raw 0 … 1


def test_hover_is_mirrored_and_read_out(tab: InspectorTab, qtbot: Any) -> None:
    sample = shown(tab, pix2pix_sample(size=64, gan_mode="hinge"))
    rf = patchgan_field(3)
    view = tab.view
    qtbot.mouseMove(view.viewport(), view.scene_to_viewport(5.5, 60.5))  # pixel (60, 5)
    cell = rf.nearest_cell(60, 5, 6, 6)
    assert cell == (5, 0)
    assert view.hover_cell() == cell and tab.side_view.hover_cell() == cell
    report = sample.current_sample()
    score = float(report.patch_maps["D(fake_B)"][cell])
    other = float(report.patch_maps["D(real_B)"][cell])
    verdict = "looks real" if score > 0 else "looks fake"
    text = tab.readout.text()
    assert text.startswith(f"cell (5, 0) · score {score:+.2f} ({verdict})")
    assert f"right view: {other:+.2f}" in text
    assert "field rows 17–63, cols 0–46 (70×70 field; 47×47 inside the image" in text
    assert tab.legend._marker == pytest.approx(score)
    qtbot.mouseMove(view.viewport(), view.scene_to_viewport(-3, -3))
    assert tab.side_view.hover_cell() is None and tab.legend._marker is None


def test_clicks_pin_cells_in_both_views_and_pins_follow_the_history(
        tab: InspectorTab, qtbot: Any) -> None:
    rf = patchgan_field(3)
    shown(tab, pix2pix_sample(step=10, size=64))
    click_pixel(qtbot, tab, 3, 3)
    click_pixel(qtbot, tab, 40, 20, view=tab.side_view)  # either view pins
    first, second = rf.nearest_cell(3, 3, 6, 6), rf.nearest_cell(40, 20, 6, 6)
    assert tab.pins() == [first, second]
    for view in (tab.view, tab.side_view):
        items = view.field_items("pins")
        assert [i.cell for i in items] == [first, second]
        assert [i.full for i in items] == [rf.cell_rect(*first), rf.cell_rect(*second)]
    assert tab.pins_label.text().startswith(f"Pinned: ({first[0]}, {first[1]}) ")
    click_pixel(qtbot, tab, 3, 3)  # again: unpinned
    assert tab.pins() == [second]
    shown(tab, pix2pix_sample(step=20, size=64))  # same grid: pins stay, scores update
    assert tab.current_sample().step == 20 and tab.pins() == [second]
    shown(tab, pix2pix_sample(step=30, size=96))  # another grid: pins would be wrong
    assert tab.pins() == [] and tab.view.field_items("pins") == []
    click_pixel(qtbot, tab, 50, 50)
    qtbot.mouseClick(tab.controls.clear_pins, Qt.MouseButton.LeftButton)
    assert tab.pins() == [] and tab.pins_label.text() == ""


def test_most_fake_follows_each_maps_ordering(tab: InspectorTab) -> None:
    sample = shown(tab, pix2pix_sample(size=96)).current_sample()
    tab.controls.top_k.setValue(4)
    tab.controls.top_k_box.setChecked(True)
    for view, name in ((tab.view, "D(fake_B)"), (tab.side_view, "D(real_B)")):
        expected = most_fake(sample.patch_maps[name], "vanilla", 4)
        assert [i.cell for i in view.field_items("top")] == expected
        assert [b.text for b in view.badges("top")] == ["1", "2", "3", "4"]
    tab.controls.top_k_box.setChecked(False)
    assert tab.view.field_items("top") == []


def test_zoom_and_pan_stay_in_step(tab: InspectorTab, qtbot: Any) -> None:
    shown(tab, pix2pix_sample(size=128))
    fitted = tab.view.zoom()
    tab.view.zoom_by(3)
    assert tab.side_view.zoom() == pytest.approx(3 * fitted)
    start = tab.side_view.scene_to_viewport(60, 60)
    qtbot.mousePress(tab.side_view.viewport(), Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(tab.side_view.viewport(), start + start.__class__(-80, 30))
    qtbot.mouseRelease(tab.side_view.viewport(), Qt.MouseButton.LeftButton,
                       pos=start + start.__class__(-80, 30))
    centres = [v.map_to_scene(QPointF(v.viewport().rect().center()))
               for v in (tab.view, tab.side_view)]
    assert centres[0].x() == pytest.approx(centres[1].x(), abs=1)
    assert centres[0].y() == pytest.approx(centres[1].y(), abs=1)
    assert tab.pins() == []  # a drag is not a click
    qtbot.mouseClick(tab.controls.fit, Qt.MouseButton.LeftButton)
    assert tab.side_view.zoom() == pytest.approx(fitted)
    assert tab.view.zoom() == pytest.approx(fitted)


def test_beside_choices(tab: InspectorTab) -> None:
    shown(tab, pix2pix_sample())
    tab.controls.beside.setCurrentIndex(1)  # the same image without colours
    assert tab.side_view.isVisible() and not tab.side_view.heat_visible()
    assert tab.side_caption.text() == "fake B without colours"
    assert tab.side_map() is None
    tab.controls.beside.setCurrentIndex(2)  # nothing
    assert not tab.side_view.isVisible()


def test_export_button_writes_the_composite(tab: InspectorTab, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    shown(tab, pix2pix_sample(size=64))
    answers = iter([(str(tmp_path / "out"), ""), ("", "")])
    asked: list[str] = []

    def ask(parent: Any, caption: str, folder: str, filters: str) -> tuple[str, str]:
        asked.append(folder)
        return next(answers)

    monkeypatch.setattr(QFileDialog, "getSaveFileName", ask)
    tab.controls.export.click()
    assert asked[0].endswith("step10-D_fake_B_.png")
    image = QImage(str(tmp_path / "out.png"))
    assert not image.isNull() and image.width() >= 768
    assert "Exported to" in tab.readout.text()
    tab.controls.export.click()  # cancelled: nothing else written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.png"]


def test_samples_without_maps_say_why(tab: InspectorTab) -> None:
    grid_only = SampleRecord(step=7, epoch=None, images={"grid": np.zeros((8, 8, 3), np.uint8)})
    shown(tab, grid_only)
    assert tab.stack.currentIndex() == 0
    assert "step 7 has no patch maps" in tab.message_label.text()


def test_run_folder_history(tab: InspectorTab, qtbot: Any, tmp_path: Path) -> None:
    with RunWriter.create(tmp_path / "run", json.dumps({"name": "x"})) as writer:
        for step in (5, 10):
            writer.write_sample(cyclegan_sample(step=step))
    reader = RunReader(tmp_path / "run")
    tab.set_steps(reader.sample_steps(), reader.load_sample)
    qtbot.waitUntil(lambda: tab.current_sample() is not None
                    and tab.current_sample().step == 10)
    assert isinstance(tab.current_sample(), SampleRecord)
    assert tab.current_map() == "D_B(fake_B)"
    tab.scrubber.slider.setValue(0)
    qtbot.waitUntil(lambda: tab.current_sample().step == 5)
    assert not tab.scrubber.is_live()
    tab.clear()
    assert tab.stack.currentIndex() == 0 and tab.current_sample() is None


def test_double_click_in_the_sample_view_names_the_image(qtbot: Any) -> None:
    view = SampleView()
    qtbot.addWidget(view)
    view.resize(900, 500)
    view.show()
    qtbot.waitExposed(view)
    view.add_sample(pix2pix_sample())
    view.refresh()
    qtbot.waitUntil(lambda: view.image_rect("real_B") is not None, timeout=5000)  # painted
    rect = view.image_rect("real_B")
    assert rect is not None
    with qtbot.waitSignal(view.image_activated, timeout=2000) as activated:
        qtbot.mouseDClick(view.canvas(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args == ["real_B"]
