"""Colours of the heat map and the full-resolution heat image laid over a sample.

Why the map is not simply stretched over the image: D's cell (i, j) looks at a field
that starts in the padding (at −23 px for the 70×70 PatchGAN) and the cells sit one
jump apart (8 px), so a 30×30 map over a 256 px image has its cell centres at
11.5 + 8·i — not at the (i + ½)·256/30 a naive stretch would put them. Stretching
shifts every cell by up to several pixels and, on tiny grids (2×2 at 64 px with
n_layers 4), by a large part of the image. Here each pixel takes the colour of the
cell whose field centre is nearest to it (``ReceptiveField.nearest_cell``, the same
rule the mouse uses), i.e. the map is upsampled on the jump grid aligned with the
receptive-field centres: what is coloured under the cursor is the cell the readout
names.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor

from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.patch_scores import ScoreScale, nearest_cells_along

# Diverging, colour-blind safe (after ColorBrewer RdYlBu): blue looks real, red looks fake.
_STOPS = np.array([
    (69, 117, 180),   # looks real
    (145, 191, 219),
    (255, 255, 191),  # undecided
    (252, 141, 89),
    (215, 48, 39),    # looks fake
], dtype=np.float64)
LUT_SIZE = 256


def _lut() -> np.ndarray:
    positions = np.linspace(0.0, 1.0, len(_STOPS))
    t = np.linspace(0.0, 1.0, LUT_SIZE)
    channels = [np.interp(t, positions, _STOPS[:, c]) for c in range(3)]
    return np.rint(np.stack(channels, axis=1)).astype(np.uint8)  # (LUT_SIZE, 3)


COLOUR_LUT = _lut()


def fakeness_colours(fakeness: np.ndarray) -> np.ndarray:
    """uint8 RGB colours (…, 3) for legend positions in [0, 1] (0 real … 1 fake)."""
    index = np.rint(np.clip(fakeness, 0.0, 1.0) * (LUT_SIZE - 1)).astype(np.intp)
    return COLOUR_LUT[index]


def colour_at(fakeness: float) -> QColor:
    """The legend's colour at one position (0 looks real … 1 looks fake)."""
    r, g, b = (int(v) for v in fakeness_colours(np.array([fakeness]))[0])
    return QColor(r, g, b)


def cell_index_maps(rf: ReceptiveField, height: int, width: int,
                    grid: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-row and per-column cell indices of an image (nearest field centre)."""
    return (nearest_cells_along(rf, height, grid[0]), nearest_cells_along(rf, width, grid[1]))


def heat_rgba(readings: np.ndarray, scale: ScoreScale, rf: ReceptiveField,
              height: int, width: int) -> np.ndarray:
    """The heat image: uint8 (height, width, 4), each pixel coloured by its nearest cell."""
    rows, cols = cell_index_maps(rf, height, width, (readings.shape[0], readings.shape[1]))
    cell_colours = fakeness_colours(scale.fakeness(readings))  # (h, w, 3)
    rgba = np.empty((height, width, 4), dtype=np.uint8)
    rgba[:, :, :3] = cell_colours[rows[:, None], cols[None, :]]
    rgba[:, :, 3] = 255
    return rgba


def cell_boundaries(indices: np.ndarray) -> list[int]:
    """Pixel positions where one cell's region ends and the next begins (grid lines)."""
    return [int(p) for p in np.flatnonzero(np.diff(indices)) + 1]
