"""PatchOverlayView: an image with D's patch map over it and the fields of chosen cells.

A QGraphicsView whose scene is in image pixels: the image, the heat map (one colour
per output cell, placed on the pixels nearest that cell's field centre — see
``heatmap`` for why not a plain stretch), an optional cell grid, and receptive-field
rectangles for the hovered cell, pinned cells and the most fake cells. The wheel
zooms about the cursor, dragging pans, a click (without dragging) reports the cell.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRectF, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPixmap
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPixmapItem, QWidget

from nectar_gui.core.geometry import ReceptiveField, Rect
from nectar_gui.core.patch_scores import ScoreScale, most_fake, reading, score_scale
from nectar_gui.ui.inspector.field_items import (
    HOVER_COLOUR,
    PIN_COLOUR,
    TOP_K_COLOUR,
    CellBadge,
    FieldRectItem,
    GridItem,
)
from nectar_gui.ui.inspector.heatmap import (
    cell_boundaries,
    cell_index_maps,
    heat_rgba,
)
from nectar_gui.ui.widgets.images import rgba_to_qimage, to_qimage
from nectar_gui.ui.widgets.zoom_view import FIT_MARGIN, ZoomPanView

Cell = tuple[int, int]
EXPORT_MIN_SIDE = 768  # small images are exported scaled up by a whole factor to this size


class PatchOverlayView(ZoomPanView):
    """An image, D's heat map over it, and the receptive fields of chosen cells.

    Feed it with ``set_content``; choose what is drawn with ``set_hover``, ``set_pins``,
    ``set_top_k``, ``set_grid_visible``, ``set_heat_visible`` and ``set_opacity``.
    """

    cell_hovered = Signal(object)  # tuple[int, int] | None: the cell under the mouse
    cell_clicked = Signal(object)  # tuple[int, int]: a cell clicked without dragging

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._heat_item = QGraphicsPixmapItem()
        self._heat_item.setZValue(1)
        self._heat_item.setOpacity(0.5)
        self._scene.addItem(self._heat_item)
        self._grid_item: GridItem | None = None
        self._layers: dict[str, list[QGraphicsItem]] = {"hover": [], "pins": [], "top": []}
        self._raw: np.ndarray | None = None
        self._readings: np.ndarray | None = None
        self._rf: ReceptiveField | None = None
        self._scale: ScoreScale | None = None
        self._indices: tuple[np.ndarray, np.ndarray] | None = None
        self._hover: Cell | None = None
        self._pins: list[Cell] = []
        self._top_k = 0
        self._grid_visible = False
        self.clicked_at.connect(self._on_self_clicked_at)

    # ---- content ---------------------------------------------------------------------
    def set_content(self, image: np.ndarray, patch_map: np.ndarray | None,
                    receptive_field: ReceptiveField | None, gan_mode: str | None) -> None:
        """Show ``image`` (uint8 HWC) with the raw ``patch_map`` of D over it (or none).

        Raises:
            ValueError: The image is not a uint8 grey/RGB/RGBA array, or the objective
                is unknown.
        """
        qimage = to_qimage("image", image)
        size = (qimage.height(), qimage.width())
        resized = self.set_image(qimage)
        has_map = patch_map is not None and receptive_field is not None and gan_mode
        self._raw = np.asarray(patch_map, np.float32) if has_map else None
        self._rf = receptive_field if has_map else None
        self._scale = score_scale(str(gan_mode)) if has_map else None
        if self._raw is not None and self._rf is not None and self._scale is not None:
            self._readings = reading(self._raw, self._scale.gan_mode)
            self._indices = cell_index_maps(self._rf, *size, self.grid_shape() or (1, 1))
            heat = heat_rgba(self._readings, self._scale, self._rf, *size)
            self._heat_item.setPixmap(QPixmap.fromImage(rgba_to_qimage(heat)))
        else:
            self._readings = self._indices = None
            self._heat_item.setPixmap(QPixmap())
        self._scene.setSceneRect(self._scene_extent())
        self._rebuild_grid()
        self._redraw_fields()
        if resized or self._fitted:
            self.fit()

    def grid_shape(self) -> tuple[int, int] | None:
        """(rows, columns) of D's output, or None without a map."""
        return None if self._raw is None else (self._raw.shape[0], self._raw.shape[1])

    def receptive_field(self) -> ReceptiveField | None:
        return self._rf

    def score_scale(self) -> ScoreScale | None:
        return self._scale

    def raw_score(self, cell: Cell) -> float | None:
        """D's raw output at ``cell``."""
        return None if self._raw is None else float(self._raw[cell])

    def reading_at(self, cell: Cell) -> float | None:
        """D's reading at ``cell`` (probability for vanilla, raw otherwise)."""
        return None if self._readings is None else float(self._readings[cell])

    def readings(self) -> np.ndarray | None:
        return self._readings

    def _scene_extent(self) -> QRectF:
        """The image plus every field's padding part, so the fields can be panned to."""
        extent = self.image_rect()
        grid = self.grid_shape()
        if self._rf is not None and grid is not None:
            first, last = self._rf.cell_rect(0, 0), self._rf.cell_rect(grid[0] - 1, grid[1] - 1)
            extent = extent.united(QRectF(first.left, first.top, last.right - first.left + 1,
                                          last.bottom - first.top + 1))
        margin = max(extent.width(), extent.height()) * FIT_MARGIN + 4
        return extent.adjusted(-margin, -margin, margin, margin)

    # ---- what is drawn ---------------------------------------------------------------
    def set_heat_visible(self, visible: bool) -> None:
        self._heat_item.setVisible(visible)

    def set_opacity(self, opacity: float) -> None:
        """Heat-map opacity, 0 (image only) … 1 (colours only)."""
        self._heat_item.setOpacity(min(max(opacity, 0.0), 1.0))

    def heat_visible(self) -> bool:
        return self._heat_item.isVisible() and self._readings is not None

    def set_grid_visible(self, visible: bool) -> None:
        self._grid_visible = visible
        self._rebuild_grid()

    def set_hover(self, cell: Cell | None) -> None:
        """Outline ``cell``'s field and its own square of the heat map (None: nothing)."""
        self._hover = cell if self._valid(cell) else None
        self._replace_layer("hover", [] if self._hover is None else
                            self._field_items(self._hover, HOVER_COLOUR, None, own=True))

    def set_pins(self, cells: list[Cell]) -> None:
        """Draw the fields of the pinned cells, each labelled with its (row, column)."""
        self._pins = [c for c in cells if self._valid(c)]
        self._redraw_fields()

    def set_top_k(self, k: int) -> None:
        """Draw the fields of the ``k`` most fake cells, numbered 1 … k (0: none)."""
        self._top_k = max(k, 0)
        self._redraw_fields()

    def hover_cell(self) -> Cell | None:
        return self._hover

    def top_cells(self) -> list[Cell]:
        """The cells drawn as most fake, most fake first."""
        if self._raw is None or self._scale is None or self._top_k == 0:
            return []
        return most_fake(self._raw, self._scale.gan_mode, self._top_k)

    def field_items(self, layer: str) -> list[FieldRectItem]:
        """Rectangles drawn for "hover", "pins" or "top" (in drawing order)."""
        return [i for i in self._layers[layer] if isinstance(i, FieldRectItem)]

    def badges(self, layer: str) -> list[CellBadge]:
        return [i for i in self._layers[layer] if isinstance(i, CellBadge)]

    def grid_lines(self) -> tuple[list[int], list[int]] | None:
        """(rows, columns) where grid lines are drawn, or None when the grid is hidden."""
        item = self._grid_item
        return None if item is None else (item.rows, item.cols)

    def _valid(self, cell: Cell | None) -> bool:
        grid = self.grid_shape()
        return (cell is not None and grid is not None
                and 0 <= cell[0] < grid[0] and 0 <= cell[1] < grid[1])

    def _redraw_fields(self) -> None:
        self.set_hover(self._hover)
        pins = [item for cell in self._pins
                for item in self._field_items(cell, PIN_COLOUR, f"{cell[0]},{cell[1]}")]
        self._replace_layer("pins", pins)
        top = [item for rank, cell in enumerate(self.top_cells(), start=1)
               for item in self._field_items(cell, TOP_K_COLOUR, str(rank))]
        self._replace_layer("top", top)

    def _field_items(self, cell: Cell, colour: QColor, badge: str | None,
                     own: bool = False) -> list[QGraphicsItem]:
        assert self._rf is not None
        height, width = self._size
        full = self._rf.cell_rect(*cell)
        inside = self._rf.clipped_cell_rect(*cell, height, width)
        items: list[QGraphicsItem] = [FieldRectItem(cell, full, inside, self.image_rect(),
                                                    colour)]
        region = self.cell_region(cell)
        if own and region is not None:
            items.append(FieldRectItem(cell, region, region, self.image_rect(), QColor("white")))
        if badge is not None:
            items.append(CellBadge(badge, colour, self._badge_position(cell)))
        return items

    def cell_region(self, cell: Cell) -> Rect | None:
        """Pixels coloured by ``cell`` in the heat map (those nearest its field centre)."""
        if self._indices is None:
            return None
        rows = np.flatnonzero(self._indices[0] == cell[0])
        cols = np.flatnonzero(self._indices[1] == cell[1])
        if rows.size == 0 or cols.size == 0:
            return None
        return Rect(int(rows[0]), int(cols[0]), int(rows[-1]), int(cols[-1]))

    def _badge_position(self, cell: Cell) -> QPointF:
        assert self._rf is not None
        y, x = self._rf.cell_center(*cell)
        height, width = self._size
        return QPointF(min(max(x + 0.5, 0.0), width), min(max(y + 0.5, 0.0), height))

    def _replace_layer(self, layer: str, items: list[QGraphicsItem]) -> None:
        for item in self._layers[layer]:
            self._scene.removeItem(item)
        z = {"top": 2, "pins": 3, "hover": 4}[layer]
        for item in items:
            item.setZValue(z + (0.5 if isinstance(item, CellBadge) else 0))
            self._scene.addItem(item)
        self._layers[layer] = items

    def _rebuild_grid(self) -> None:
        if self._grid_item is not None:
            self._scene.removeItem(self._grid_item)
            self._grid_item = None
        if self._grid_visible and self._indices is not None:
            rows, cols = (cell_boundaries(a) for a in self._indices)
            self._grid_item = GridItem(rows, cols, self._size[1], self._size[0])
            self._grid_item.setZValue(1.5)
            self._scene.addItem(self._grid_item)

    # ---- mouse -> cells --------------------------------------------------------------
    def cell_at(self, scene_pos: QPointF) -> Cell | None:
        """The cell whose field centre is nearest the pixel at ``scene_pos`` (None: off image)."""
        grid, rf = self.grid_shape(), self._rf
        x, y = math.floor(scene_pos.x()), math.floor(scene_pos.y())
        if grid is None or rf is None or not (0 <= y < self._size[0] and 0 <= x < self._size[1]):
            return None
        return rf.nearest_cell(y, x, grid[0], grid[1])

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        super().mouseMoveEvent(event)
        cell = self.cell_at(self.map_to_scene(event.position()))
        if cell != self._hover:
            self.set_hover(cell)
            self.cell_hovered.emit(self._hover)

    def leaveEvent(self, event: QEvent) -> None:
        super().leaveEvent(event)
        if self._hover is not None:
            self.set_hover(None)
            self.cell_hovered.emit(None)

    def _on_self_clicked_at(self, scene_pos: QPointF) -> None:
        cell = self.cell_at(scene_pos)
        if cell is not None:
            self.cell_clicked.emit(cell)

    # ---- export ----------------------------------------------------------------------
    def composite_image(self) -> QImage:
        """Image + heat map + pinned and most-fake fields, scaled up when small."""
        source = self.image_rect()
        for layer in ("pins", "top"):
            for item in self.field_items(layer):
                source = source.united(item.full_rect())
        source = source.adjusted(-2, -2, 2, 2)
        factor = max(1, min(16, math.ceil(EXPORT_MIN_SIDE / max(source.width(),
                                                                  source.height()))))
        hover = self._hover
        self.set_hover(None)
        image = self.render_crisp(source, factor)
        self.set_hover(hover)
        return image

    def export_png(self, path: str | Path) -> bool:
        """Save ``composite_image`` as a PNG; False if it could not be written."""
        # PySide6 takes the format as str at run time; its stubs say bytes.
        return self.composite_image().save(str(path), "PNG")  # type: ignore[call-overload]
