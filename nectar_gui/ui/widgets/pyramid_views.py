"""Zoomable image views for before/after comparison, fluid at 6000×4000.

Each image arrives as a pyramid of QImages (full size, then halves). ``PyramidItem``
draws only the exposed part from the smallest level that still has at least one source
pixel per screen pixel, so a zoomed-out 24-megapixel photo is drawn from a copy of a
few hundred thousand pixels and no paint ever touches numpy.

``ZoomView`` zooms with the wheel about the cursor and pans by dragging. ``SplitView``
stacks the output over the input and shows the output only left of a draggable
divider. Views report every zoom or pan with ``view_changed`` so the compare widget
can keep them in step.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRect, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPalette,
    QPen,
    QResizeEvent,
    QTransform,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QGraphicsScene,
    QGraphicsView,
    QStyleOptionGraphicsItem,
    QWidget,
)

MIN_SCALE = 1 / 64
MAX_SCALE = 32.0
WHEEL_STEP = 1.25  # zoom factor per wheel notch
_GRAB_PX = 8  # how close to the divider a press grabs it


class PyramidItem(QGraphicsItem):
    """An image drawn from the pyramid level that suits the current zoom.

    ``clip_right`` (item coordinates, None for none) hides everything right of it; the
    split view uses it to show the output only left of the divider.
    """

    def __init__(self, levels: tuple[QImage, ...]) -> None:
        super().__init__()
        self.levels = levels
        self.clip_right: float | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption)

    def boundingRect(self) -> QRectF:
        return QRectF(0, 0, self.levels[0].width(), self.levels[0].height())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem,
              widget: QWidget | None = None) -> None:
        full = self.levels[0]
        area = option.exposedRect.intersected(self.boundingRect())  # type: ignore[attr-defined]
        if self.clip_right is not None:
            shown = QRectF(0, 0, max(0.0, self.clip_right), full.height())
            painter.setClipRect(shown, Qt.ClipOperation.IntersectClip)
            area = area.intersected(shown)
        if area.isEmpty():
            return
        lod = QStyleOptionGraphicsItem.levelOfDetailFromTransform(painter.worldTransform())
        image = self.levels[self._level_for(lod)]
        sx, sy = image.width() / full.width(), image.height() / full.height()
        # Whole level pixels only, so neighbouring partial repaints line up exactly.
        left, top = math.floor(area.left() * sx), math.floor(area.top() * sy)
        right = min(math.ceil(area.right() * sx), image.width())
        bottom = min(math.ceil(area.bottom() * sy), image.height())
        source = QRectF(left, top, right - left, bottom - top)
        target = QRectF(left / sx, top / sy, (right - left) / sx, (bottom - top) / sy)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, lod < 1.0)
        painter.drawImage(target, image, source)

    def _level_for(self, lod: float) -> int:
        """The smallest level with at least one pixel per screen pixel."""
        level = 0
        while level + 1 < len(self.levels) and 2.0 ** -(level + 1) >= lod:
            level += 1
        return level


class ZoomView(QGraphicsView):
    """One image (or a stack of them) with wheel zoom about the cursor and drag-to-pan.

    In "fit" mode the picture follows the view's size; any zoom leaves fit mode.
    """

    view_changed = Signal()  # the user zoomed or panned

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setBackgroundBrush(self.palette().color(QPalette.ColorRole.AlternateBase))
        self.setAcceptDrops(False)  # drops go to the tab, which knows what to do
        self.viewport().setAcceptDrops(False)
        self.placeholder = ""
        self.fit_mode = True
        self._syncing = False
        self.horizontalScrollBar().valueChanged.connect(self._on_scroll_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scroll_changed)

    def image_size(self) -> tuple[int, int] | None:
        rect = self.sceneRect()
        return None if rect.isEmpty() else (int(rect.width()), int(rect.height()))

    def set_items(self, items: list[PyramidItem]) -> None:
        """Show ``items`` (drawn in order); the scene takes the first one's size."""
        scene = self.scene()
        for item in scene.items():
            scene.removeItem(item)
        for item in items:
            scene.addItem(item)
        rect = items[0].boundingRect() if items else QRectF()
        scene.setSceneRect(rect)
        self.setSceneRect(rect)
        self.viewport().update()

    # ---- zoom and pan -------------------------------------------------------------------
    def scale_factor(self) -> float:
        return float(self.transform().m11())

    def center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    def fit(self) -> None:
        """Fit the whole picture in the view (and keep it fitted on resize)."""
        self.fit_mode = True
        if self.image_size() is not None:
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
        self.view_changed.emit()

    def zoom_to(self, scale: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``scale`` (1.0 = one image pixel per screen pixel), keeping the scene
        point under ``anchor`` (viewport pixels; default the centre) where it is."""
        scale = min(MAX_SCALE, max(MIN_SCALE, scale))
        self.fit_mode = False
        if anchor is None:
            anchor = QPointF(self.viewport().rect().center())
        fixed = self.mapToScene(anchor.toPoint())
        self.setTransform(QTransform.fromScale(scale, scale))
        # Scroll by whole pixels so the fixed point lands back under the anchor.
        moved = self.viewportTransform().map(fixed) - anchor
        for bar, delta in ((self.horizontalScrollBar(), moved.x()),
                           (self.verticalScrollBar(), moved.y())):
            bar.setValue(bar.value() + round(delta))
        self.view_changed.emit()

    def apply_view(self, scale: float, center: QPointF, fit_mode: bool) -> None:
        """Take another view's zoom and centre without reporting it back."""
        self._syncing = True
        try:
            self.fit_mode = fit_mode
            if fit_mode and self.image_size() is not None:
                self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)
            else:
                self.setTransform(QTransform.fromScale(scale, scale))
                self.centerOn(center)
        finally:
            self._syncing = False

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.image_size() is None:
            return
        notches = event.angleDelta().y() / 120.0
        if notches:
            self.zoom_to(self.scale_factor() * WHEEL_STEP ** notches, event.position())
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.fit_mode and self.image_size() is not None and not self._syncing:
            self.fitInView(self.sceneRect(), Qt.AspectRatioMode.KeepAspectRatio)

    def _on_scroll_changed(self, _value: int) -> None:
        if not self._syncing and self.image_size() is not None:
            self.view_changed.emit()

    # ---- empty state --------------------------------------------------------------------
    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        if self.image_size() is not None or not self.placeholder:
            return
        painter.save()
        painter.resetTransform()
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        painter.setFont(font)
        area = self.viewport().rect().adjusted(24, 24, -24, -24)
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                         self.placeholder)
        painter.restore()


class SplitView(ZoomView):
    """The output left of a draggable divider, the input right of it, in one view."""

    divider_moved = Signal(float)  # divider position, 0…1 of the image width

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.divider = 0.5
        self.labels = ("Output", "Input")
        self._input: PyramidItem | None = None
        self._output: PyramidItem | None = None
        self._dragging = False
        self.viewport().setMouseTracking(True)

    def set_pair(self, input_levels: tuple[QImage, ...] | None,
                 output_levels: tuple[QImage, ...] | None) -> None:
        self._input = PyramidItem(input_levels) if input_levels else None
        self._output = PyramidItem(output_levels) if output_levels else None
        self.set_items([i for i in (self._input, self._output) if i is not None])
        self._update_clip()

    def set_divider(self, fraction: float) -> None:
        self.divider = min(1.0, max(0.0, fraction))
        self._update_clip()
        self.divider_moved.emit(self.divider)

    def divider_x(self) -> float:
        """The divider's x in viewport pixels."""
        size = self.image_size()
        width = size[0] if size else 0
        return float(self.mapFromScene(QPointF(self.divider * width, 0)).x())

    def _update_clip(self) -> None:
        size = self.image_size()
        if self._output is not None and size is not None:
            self._output.clip_right = self.divider * size[0]
            self._output.update()
        self.viewport().update()

    def _near_divider(self, x: float) -> bool:
        return self._output is not None and abs(x - self.divider_x()) <= _GRAB_PX

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._near_divider(
                event.position().x()):
            self._dragging = True
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        x = event.position().x()
        size = self.image_size()
        if self._dragging and size is not None:
            self.set_divider(self.mapToScene(event.position().toPoint()).x() / size[0])
            event.accept()
            return
        shape = (Qt.CursorShape.SplitHCursor if self._near_divider(x)
                 else Qt.CursorShape.OpenHandCursor)
        if not event.buttons():
            self.viewport().setCursor(shape)
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._dragging:
            self._dragging = False
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def drawForeground(self, painter: QPainter, rect: QRectF | QRect) -> None:
        super().drawForeground(painter, rect)
        if self._output is None:
            return
        painter.save()
        painter.resetTransform()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        x = self.divider_x()
        height = self.viewport().height()
        painter.setPen(QPen(QColor(255, 255, 255, 230), 2))
        painter.drawLine(QPointF(x, 0), QPointF(x, height))
        painter.setBrush(QColor(40, 40, 40, 200))
        painter.drawEllipse(QPointF(x, height / 2), 11, 11)
        painter.drawText(QRectF(x - 11, height / 2 - 11, 22, 22),
                         Qt.AlignmentFlag.AlignCenter, "⇔")
        self._draw_tag(painter, x - 8, self.labels[0], Qt.AlignmentFlag.AlignRight)
        self._draw_tag(painter, x + 8, self.labels[1], Qt.AlignmentFlag.AlignLeft)
        painter.restore()

    @staticmethod
    def _draw_tag(painter: QPainter, x: float, text: str, align: Qt.AlignmentFlag) -> None:
        width = painter.fontMetrics().horizontalAdvance(text) + 14
        box = QRectF(x - width if align == Qt.AlignmentFlag.AlignRight else x, 10, width, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(30, 30, 30, 190))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
