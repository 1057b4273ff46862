"""numpy images → owned QImages, for any widget that draws arrays from the workers."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

from nectar_gui.core.sample_grid import to_rgb


def to_qimage(name: str, image: np.ndarray) -> QImage:
    """An owned RGB QImage of a uint8 grey, RGB or RGBA array (ValueError if not one).

    ``name`` only labels the error message. The copy matters: a QImage built on a numpy
    buffer does not keep the buffer alive.
    """
    rgb = to_rgb(name, image)  # contiguous (H, W, 3)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    """An owned QImage of a uint8 (H, W, 4) array."""
    array = np.ascontiguousarray(rgba)
    height, width = array.shape[:2]
    return QImage(array.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()
