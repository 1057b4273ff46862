"""ScoreLegend: the heat map's colour bar, labelled in the discriminator's own terms."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QLinearGradient, QPainter, QPaintEvent, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from nectar_gui.core.patch_scores import ScoreScale
from nectar_gui.ui.inspector.heatmap import colour_at

_BAR_HEIGHT = 12
_SIDE = 8


class ScoreLegend(QWidget):
    """Colour bar from "looks fake" (left) to "looks real" (right) with the objective's ends.

    Numbers grow left to right, as on any axis: for the vanilla objective 0.0 … 1.0
    (probability of real), for LSGAN 0 … 1, for hinge −1 … +1. A marker shows the
    hovered cell's reading (clamped to the bar; the readout gives the true value).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._scale: ScoreScale | None = None
        self._marker: float | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(self.sizeHint().height())

    def sizeHint(self) -> QSize:
        line = self.fontMetrics().height()
        return QSize(400, 2 * line + _BAR_HEIGHT + 10)

    def set_scale(self, scale: ScoreScale | None) -> None:
        """The objective's scale (None: no map shown, the legend is empty)."""
        self._scale = scale
        self._marker = None
        self.setToolTip("" if scale is None else
                        f"Heat-map colours: {scale.explanation}\nBlue: D thinks the patch "
                        "is real. Red: D thinks it is fake. Pale yellow: undecided.")
        self.update()

    def set_marker(self, value: float | None) -> None:
        """Mark a reading on the bar (None hides the marker)."""
        self._marker = value
        self.update()

    def labels(self) -> tuple[str, str, str]:
        """Texts at the left end, the middle and the right end (for tests)."""
        s = self._scale
        if s is None:
            return ("", "", "")
        return (f"{s.format(s.fake_value)} looks fake", f"{s.format(s.midpoint)} undecided",
                f"looks real {s.format(s.real_value)}")

    def title(self) -> str:
        s = self._scale
        if s is None:
            return ""
        return f"Heat map: D's {s.quantity} for each patch ({s.gan_mode} objective)"

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        if self._scale is None:
            painter.end()
            return
        metrics = self.fontMetrics()
        line = metrics.height()
        bar = QRectF(_SIDE, line + 2, self.width() - 2 * _SIDE, _BAR_HEIGHT)
        palette = self.palette()
        painter.setPen(palette.windowText().color())
        painter.drawText(QRectF(_SIDE, 0, bar.width(), line),
                         Qt.AlignmentFlag.AlignLeft, self.title())
        gradient = QLinearGradient(bar.topLeft(), bar.topRight())
        for t in np.linspace(0.0, 1.0, 9):
            gradient.setColorAt(float(t), colour_at(1.0 - float(t)))  # left end: fake
        painter.fillRect(bar, gradient)
        left, middle, right = self.labels()
        below = QRectF(_SIDE, bar.bottom() + 2, bar.width(), line)
        painter.setPen(palette.placeholderText().color())
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, left)
        painter.drawText(below, Qt.AlignmentFlag.AlignHCenter, middle)
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, right)
        if self._marker is not None:
            self._paint_marker(painter, bar)
        painter.end()

    def _paint_marker(self, painter: QPainter, bar: QRectF) -> None:
        assert self._scale is not None and self._marker is not None
        fake = float(self._scale.fakeness(np.array(self._marker)))
        x = bar.left() + (1.0 - fake) * bar.width()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QColor("black"))
        painter.setBrush(QColor("#ffd400"))
        top = bar.top()
        painter.drawPolygon(QPolygonF([QPointF(x - 5, top - 1), QPointF(x + 5, top - 1),
                                       QPointF(x, top + 7)]))
        painter.drawLine(QPointF(x, top), QPointF(x, bar.bottom()))
