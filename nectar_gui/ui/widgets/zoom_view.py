"""ZoomPanView: an image in a QGraphicsView that zooms about the cursor and pans by dragging.

Scene coordinates are image pixels. The view starts fitted to the image and stays
fitted while the user has not zoomed; views can be kept in step with ``match``. A press
and release without dragging is reported as a click at a scene position.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QMouseEvent, QPainter, QPixmap, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QGraphicsPixmapItem,
    QGraphicsScene,
    QGraphicsView,
    QWidget,
)

BACKGROUND = QColor("#1b1b1b")
MAX_ZOOM = 64.0  # screen pixels per image pixel
FIT_MARGIN = 0.04  # of the image's longer side, kept around it when fitted


class ZoomPanView(QGraphicsView):
    """One image, zoomable with the wheel (about the cursor) and pannable by dragging."""

    view_changed = Signal()  # zoom or pan changed (to keep other views in step)
    clicked_at = Signal(QPointF)  # scene position of a click made without dragging

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scene = QGraphicsScene(self)
        self._scene.setBackgroundBrush(BACKGROUND)
        self.setScene(self._scene)
        self._image_item = QGraphicsPixmapItem()
        self._scene.addItem(self._image_item)
        self._size = (0, 0)  # image (height, width)
        self._fitted = True
        self._press: QPoint | None = None
        self.setDragMode(QGraphicsView.DragMode.ScrollHandDrag)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.AnchorUnderMouse)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        # Fields and badges are drawn with cosmetic pens outside their scene bounds.
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.FullViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        self.horizontalScrollBar().valueChanged.connect(lambda _v: self.view_changed.emit())
        self.verticalScrollBar().valueChanged.connect(lambda _v: self.view_changed.emit())

    def set_image(self, image: QImage) -> bool:
        """Show ``image``; True when its size differs from the previous one."""
        self._image_item.setPixmap(QPixmap.fromImage(image))
        size = (image.height(), image.width())
        resized, self._size = size != self._size, size
        return resized

    def image_size(self) -> tuple[int, int]:
        """(height, width) of the image shown."""
        return self._size

    def image_rect(self) -> QRectF:
        return QRectF(0, 0, self._size[1], self._size[0])

    # ---- coordinates -----------------------------------------------------------------
    def map_to_scene(self, pos: QPointF) -> QPointF:
        """Viewport position to scene position, without rounding to whole pixels."""
        inverse, _ok = self.viewportTransform().inverted()
        return inverse.map(pos)

    def scene_to_viewport(self, x: float, y: float) -> QPoint:
        """Viewport pixel showing scene point (x, y)."""
        return self.viewportTransform().map(QPointF(x, y)).toPoint()

    # ---- zoom and pan ----------------------------------------------------------------
    def fit(self) -> None:
        """Show the whole image, as large as the view allows."""
        if self._size == (0, 0):
            return
        margin = max(self._size) * FIT_MARGIN
        self.fitInView(self.image_rect().adjusted(-margin, -margin, margin, margin),
                       Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True
        self._after_zoom()

    def is_fitted(self) -> bool:
        """True while the view follows its size (the user has not zoomed since fitting)."""
        return self._fitted

    def zoom(self) -> float:
        """Screen pixels per image pixel."""
        return float(self.transform().m11())

    def zoom_by(self, factor: float) -> None:
        """Zoom about the mouse (or the centre), kept between a quarter of fit and 64×."""
        if self._size == (0, 0):
            return
        low = min(self.viewport().width() / self._size[1],
                  self.viewport().height() / self._size[0]) / 4
        target = min(max(self.zoom() * factor, low), MAX_ZOOM)
        self.scale(target / self.zoom(), target / self.zoom())
        self._fitted = False
        self._after_zoom()

    def match(self, other: ZoomPanView) -> None:
        """Take ``other``'s zoom and centre (views kept in step)."""
        self.setTransform(other.transform())
        self.centerOn(other.map_to_scene(QPointF(other.viewport().rect().center())))
        self._fitted = other.is_fitted()
        self._after_zoom()

    def render_crisp(self, source: QRectF, factor: int) -> QImage:
        """The scene's ``source`` rectangle rendered ``factor`` times larger, pixels kept sharp."""
        image = QImage(int(source.width() * factor), int(source.height() * factor),
                       QImage.Format.Format_RGB32)
        image.fill(BACKGROUND)
        self._image_item.setTransformationMode(Qt.TransformationMode.FastTransformation)
        painter = QPainter(image)
        self._scene.render(painter, QRectF(image.rect()), source)
        painter.end()
        self._after_zoom()
        return image

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.zoom_by(1.25 ** steps)
        event.accept()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self._fitted:
            self.fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press = event.position().toPoint()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        event.accept()
        self.viewport().setCursor(Qt.CursorShape.CrossCursor)
        press, self._press = self._press, None
        if press is None or event.button() != Qt.MouseButton.LeftButton:
            return
        if (event.position().toPoint() - press).manhattanLength() < \
                QApplication.startDragDistance():
            self.clicked_at.emit(self.map_to_scene(event.position()))

    def _after_zoom(self) -> None:
        # Smooth when shrinking a large image; crisp pixels when magnifying a small one.
        mode = (Qt.TransformationMode.SmoothTransformation if self.zoom() < 1
                else Qt.TransformationMode.FastTransformation)
        self._image_item.setTransformationMode(mode)
        self.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, self.zoom() < 1)
        self.view_changed.emit()
