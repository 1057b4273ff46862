"""PatchOverlayView: drawn fields equal core's rectangles; the mouse picks the nearest cell."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, QRectF, Qt
from PySide6.QtGui import QImage, QPainter

from nectar_gui.core.geometry import ReceptiveField, Rect
from nectar_gui.core.patch_scores import most_fake
from nectar_gui.ui.inspector import PatchOverlayView
from nectar_gui.ui.inspector.heatmap import fakeness_colours
from tests.fields import patchgan_field
from tests.ui.inspector_helpers import gradient_image, random_map

# For n_layers 1–5 and crops 64 … 256, wherever the network gives a grid at all.
GEOMETRIES = [(n, size) for n in range(1, 6) for size in (64, 96, 128, 256)
              if patchgan_field(n).output_size(size) >= 1]


@pytest.fixture
def view(qtbot: Any) -> PatchOverlayView:
    widget = PatchOverlayView()
    qtbot.addWidget(widget)
    widget.resize(500, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def as_rect(rect: QRectF) -> Rect:
    """Inclusive pixel rectangle of a scene rectangle drawn over whole pixels."""
    for value in (rect.left(), rect.top(), rect.width(), rect.height()):
        assert value == int(value), rect  # edges on pixel boundaries
    return Rect(int(rect.top()), int(rect.left()), int(rect.bottom()) - 1,
                int(rect.right()) - 1)


def show(view: PatchOverlayView, rf: ReceptiveField, height: int, width: int,
         seed: int = 0) -> np.ndarray:
    patch_map = random_map(rf, height, width, seed)
    view.set_content(gradient_image(height, width), patch_map, rf, "lsgan")
    return patch_map


def viewport_pos(view: PatchOverlayView, y: float, x: float) -> QPoint:
    return view.scene_to_viewport(x, y)


def test_geometries_cover_every_depth_and_tiny_grids() -> None:
    assert {n for n, _ in GEOMETRIES} == {1, 2, 3, 4, 5}
    assert (5, 64) not in GEOMETRIES  # too small for n_layers 5: the network fails there
    assert min(patchgan_field(n).output_size(s) for n, s in GEOMETRIES) == 1  # a 1×1 grid


@pytest.mark.parametrize(("n_layers", "size"), GEOMETRIES)
def test_drawn_fields_equal_core_rectangles(view: PatchOverlayView, n_layers: int,
                                            size: int) -> None:
    rf = patchgan_field(n_layers)
    height, width = size, size + 32  # non-square, so rows and columns are not confused
    show(view, rf, height, width)
    grid_h, grid_w = view.grid_shape() or (0, 0)
    assert (grid_h, grid_w) == (rf.output_size(height), rf.output_size(width))
    cells = sorted({(0, 0), (0, grid_w - 1), (grid_h - 1, 0), (grid_h - 1, grid_w - 1),
                    (grid_h // 2, grid_w // 2)})
    view.set_pins(cells)
    view.set_hover(cells[-1])
    pinned = view.field_items("pins")
    assert [item.cell for item in pinned] == cells
    for item in [*pinned, *view.field_items("hover")[:1]]:
        assert as_rect(item.full_rect()) == rf.cell_rect(*item.cell)
        inside = item.inside_rect()
        clipped = rf.clipped_cell_rect(*item.cell, height, width)
        assert (None if inside is None else as_rect(inside)) == clipped
    assert view.sceneRect().contains(pinned[-1].full_rect())  # padding parts can be panned to


@pytest.mark.parametrize(("n_layers", "size"), [(3, 64), (1, 64), (4, 96), (5, 128)])
def test_hovering_a_pixel_selects_the_nearest_centre_cell(
        view: PatchOverlayView, qtbot: Any, n_layers: int, size: int) -> None:
    rf = patchgan_field(n_layers)
    show(view, rf, size, size)
    grid = view.grid_shape() or (0, 0)
    hovered: list[Any] = []
    view.cell_hovered.connect(hovered.append)
    rng = np.random.default_rng(n_layers)
    pixels = [(0, 0), (size - 1, size - 1), *rng.integers(0, size, (12, 2)).tolist()]
    for y, x in pixels:
        qtbot.mouseMove(view.viewport(), viewport_pos(view, y + 0.5, x + 0.5))
        expected = rf.nearest_cell(y, x, *grid)
        assert view.hover_cell() == expected, (y, x)
        region = view.cell_region(expected)
        assert region is not None and region.top <= y <= region.bottom
        assert region.left <= x <= region.right  # the colour under the mouse is that cell's
        items = view.field_items("hover")
        assert as_rect(items[0].full_rect()) == rf.cell_rect(*expected)
    assert hovered and hovered[-1] == view.hover_cell()


def test_ties_go_to_the_smaller_index_whichever_way_the_mouse_comes(
        view: PatchOverlayView, qtbot: Any) -> None:
    rf = ReceptiveField.from_layers([(3, 2, 1)])  # centres at 0, 2, 4 …: odd pixels are ties
    show(view, rf, 9, 9)
    view.resetTransform()
    view.scale(20, 20)
    assert view.grid_shape() == (5, 5)
    for start in ((0.5, 0.5), (2.5, 2.5), (3.5, 0.5), (1.5, 2.5)):
        qtbot.mouseMove(view.viewport(), viewport_pos(view, *start))
        qtbot.mouseMove(view.viewport(), viewport_pos(view, 1.5, 3.5))  # pixel (1, 3)
        assert view.hover_cell() == (0, 1)
        qtbot.mouseMove(view.viewport(), viewport_pos(view, 1.05, 3.95))  # same pixel
        assert view.hover_cell() == (0, 1)


def test_leaving_the_image_clears_the_hover(view: PatchOverlayView, qtbot: Any) -> None:
    show(view, patchgan_field(3), 64, 64)
    qtbot.mouseMove(view.viewport(), viewport_pos(view, 30, 30))
    assert view.hover_cell() is not None
    with qtbot.waitSignal(view.cell_hovered, timeout=2000) as left:
        qtbot.mouseMove(view.viewport(), viewport_pos(view, -0.5, 30))
    assert left.args == [None] and view.field_items("hover") == []


def test_top_k_follows_the_maps_ordering(view: PatchOverlayView) -> None:
    rf = patchgan_field(2)
    patch_map = show(view, rf, 64, 64, seed=3)
    patch_map[2, 3] = patch_map[5, 1] = patch_map.min() - 1  # a tie for first place
    view.set_content(gradient_image(64, 64), patch_map, rf, "hinge")
    view.set_top_k(6)
    expected = most_fake(patch_map, "hinge", 6)
    assert expected[:2] == [(2, 3), (5, 1)]  # equal scores: row-major
    assert view.top_cells() == expected
    assert [item.cell for item in view.field_items("top")] == expected
    badges = view.badges("top")
    assert [b.text for b in badges] == [str(r) for r in range(1, 7)]
    for badge, cell in zip(badges, expected, strict=True):
        y, x = rf.cell_center(*cell)
        assert (badge.pos().y(), badge.pos().x()) == (y + 0.5, x + 0.5)
    view.set_top_k(0)
    assert view.field_items("top") == []


def test_a_click_reports_a_cell_but_a_drag_pans(view: PatchOverlayView, qtbot: Any) -> None:
    rf = patchgan_field(3)
    show(view, rf, 128, 128)
    view.zoom_by(4)
    clicked: list[Any] = []
    view.cell_clicked.connect(clicked.append)
    target = viewport_pos(view, 40.5, 50.5)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=target)
    centre = view.map_to_scene(QPointF(view.viewport().rect().center()))
    qtbot.mousePress(view.viewport(), Qt.MouseButton.LeftButton, pos=target)
    qtbot.mouseMove(view.viewport(), target + QPoint(60, 40))
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton, pos=target + QPoint(60, 40))
    moved = view.map_to_scene(QPointF(view.viewport().rect().center()))
    assert clicked == [rf.nearest_cell(40, 50, *(view.grid_shape() or (0, 0)))]
    # The drag panned the view by the mouse's travel, and pinned nothing.
    assert (moved.x() - centre.x(), moved.y() - centre.y()) == pytest.approx(
        (-60 / view.zoom(), -40 / view.zoom()), abs=1.5 / view.zoom())


def test_wheel_zooms_about_the_cursor(view: PatchOverlayView, qtbot: Any) -> None:
    show(view, patchgan_field(3), 64, 64)
    before = view.zoom()
    pos = viewport_pos(view, 10.5, 50.5)
    qtbot.mouseMove(view.viewport(), pos)
    view.zoom_by(2.0)
    assert view.zoom() == pytest.approx(2 * before)
    under = view.map_to_scene(QPointF(pos))
    assert (math.floor(under.y()), math.floor(under.x())) == (10, 50)  # same pixel under it


def test_large_images_fit_smoothly_and_tiny_grids_fill_the_image(
        view: PatchOverlayView) -> None:
    rf = patchgan_field(3)
    show(view, rf, 1024, 1536)
    assert view.grid_shape() == (126, 190)
    assert view.zoom() < 1
    assert view.renderHints() & QPainter.RenderHint.SmoothPixmapTransform
    show(view, patchgan_field(4), 64, 64)  # a 2×2 grid whose fields are 142 px
    assert view.grid_shape() == (2, 2)
    assert view.zoom() > 3  # fitted: the small image fills the view
    regions = [view.cell_region((i, j)) for i in range(2) for j in range(2)]
    assert sum(r.height * r.width for r in regions if r is not None) == 64 * 64
    view.set_grid_visible(True)
    assert view.grid_lines() == ([32], [32])


def test_export_composites_image_heat_and_fields(view: PatchOverlayView, tmp_path: Any) -> None:
    rf = patchgan_field(3)
    show(view, rf, 64, 64)
    view.set_opacity(1.0)
    view.set_pins([(0, 0)])
    path = tmp_path / "overlay.png"
    assert view.export_png(path)
    image = QImage(str(path))
    # The field of cell (0, 0) starts 23 px into the padding: the export shows it too.
    assert image.width() == image.height() >= 768
    factor = image.width() // (64 + 23 + 2 * 2)
    assert factor >= 8
    region = view.cell_region((2, 3))
    assert region is not None
    scale = view.score_scale()
    readings = view.readings()
    assert scale is not None and readings is not None
    expected = fakeness_colours(scale.fakeness(readings[2, 3]))
    x = (23 + 2 + (region.left + region.right) / 2) * factor
    y = (23 + 2 + (region.top + region.bottom) / 2) * factor
    colour = image.pixelColor(int(x), int(y))
    assert (colour.red(), colour.green(), colour.blue()) == tuple(int(v) for v in expected)
