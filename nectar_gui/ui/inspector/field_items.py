"""Scene items of the overlay: receptive-field rectangles, number badges and the cell grid.

Scene coordinates are image pixels: pixel (row r, column c) covers [c, c+1) × [r, r+1),
so an inclusive ``Rect`` from core becomes ``QRectF(left, top, width, height)``. Pens
are cosmetic, so lines stay thin and visible at any zoom.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem, QWidget

from nectar_gui.core.geometry import Rect

HOVER_COLOUR = QColor("#ffd400")
PIN_COLOUR = QColor("#22e0ff")
TOP_K_COLOUR = QColor("#ff4fd8")
_HALO = QColor(0, 0, 0, 170)


def to_qrect(rect: Rect) -> QRectF:
    """The scene rectangle covering an inclusive pixel rectangle."""
    return QRectF(rect.left, rect.top, rect.width, rect.height)


class FieldRectItem(QGraphicsItem):
    """One cell's receptive field: solid inside the image, dashed and hatched in the padding.

    Args:
        cell: The output cell (row, column) this field belongs to.
        full: The whole field, padding included (``ReceptiveField.cell_rect``).
        inside: Its part inside the image (``clipped_cell_rect``), or None.
        image_rect: The image's scene rectangle.
        colour: Outline colour (hover, pinned or most fake).
    """

    def __init__(self, cell: tuple[int, int], full: Rect, inside: Rect | None,
                 image_rect: QRectF, colour: QColor) -> None:
        super().__init__()
        self.cell = cell
        self.full = full
        self.inside = inside
        self._full = to_qrect(full)
        self._inside = to_qrect(inside) if inside is not None else None
        self._image_rect = QRectF(image_rect)
        self._colour = QColor(colour)
        self._padding = QPainterPath()
        self._padding.addRect(self._full)
        image_path = QPainterPath()
        image_path.addRect(self._image_rect)
        self._padding = self._padding.subtracted(image_path)

    def full_rect(self) -> QRectF:
        """Scene rectangle of the whole field (what is drawn dashed where it is padding)."""
        return QRectF(self._full)

    def inside_rect(self) -> QRectF | None:
        """Scene rectangle of the part inside the image (drawn solid)."""
        return None if self._inside is None else QRectF(self._inside)

    def boundingRect(self) -> QRectF:
        return self._full.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        if not self._padding.isEmpty():
            hatch = QColor(self._colour)
            hatch.setAlpha(150)
            painter.fillPath(self._padding, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
            dashed = QPen(self._colour, 1.5, Qt.PenStyle.DashLine)
            dashed.setCosmetic(True)
            painter.setPen(dashed)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self._full)
        if self._inside is not None:
            painter.setBrush(Qt.BrushStyle.NoBrush)
            for colour, width in ((_HALO, 4.0), (self._colour, 2.0)):
                pen = QPen(colour, width)
                pen.setCosmetic(True)
                pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
                painter.setPen(pen)
                painter.drawRect(self._inside)


class CellBadge(QGraphicsItem):
    """A small label (a rank or a cell index) that keeps its size at any zoom."""

    def __init__(self, text: str, colour: QColor, centre: QPointF) -> None:
        super().__init__()
        self.text = text
        self._colour = QColor(colour)
        self._font = QFont()
        self._font.setPointSizeF(8.5)
        self._font.setBold(True)
        metrics = QFontMetricsF(self._font)
        width = metrics.horizontalAdvance(text) + 8
        height = metrics.height() + 2
        self._box = QRectF(-width / 2, -height / 2, width, height)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self.setPos(centre)

    def boundingRect(self) -> QRectF:
        return self._box.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(0, 0, 0, 200), 1))
        painter.setBrush(self._colour)
        painter.drawRoundedRect(self._box, 4, 4)
        painter.setFont(self._font)
        painter.setPen(QColor("#000000"))
        painter.drawText(self._box, Qt.AlignmentFlag.AlignCenter, self.text)


class GridItem(QGraphicsItem):
    """Lines between neighbouring cells' regions (one jump apart), over the image only."""

    def __init__(self, rows: list[int], cols: list[int], width: int, height: int) -> None:
        super().__init__()
        self.rows, self.cols = rows, cols
        self._rect = QRectF(0, 0, width, height)

    def boundingRect(self) -> QRectF:
        return self._rect.adjusted(-1, -1, 1, 1)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        pen = QPen(QColor(255, 255, 255, 110), 1)
        pen.setCosmetic(True)
        painter.setPen(pen)
        for y in self.rows:
            painter.drawLine(QPointF(0, y), QPointF(self._rect.width(), y))
        for x in self.cols:
            painter.drawLine(QPointF(x, 0), QPointF(x, self._rect.height()))
