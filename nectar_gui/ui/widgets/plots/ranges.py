"""View ranges that follow growing curves without moving on every redraw.

pyqtgraph's auto-range refits the view to the data on every update, so the axes
regenerate their ticks and text each time — the largest part of a redraw. Here the
x range grows in steps of a quarter of the span and the y range changes only when the
data leave it or fill less than half of it; between those moments the axes (drawn once
into a cache) are not redrawn at all. Zooming or panning by hand stops the following
until :meth:`RangeFollower.follow` is called again (double-click, or a new run).
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

X_GROWTH = 0.25  # extra room to the right, as a fraction of the span
Y_PAD = 0.08  # padding above and below, as a fraction of the data's height
Y_SHRINK = 0.5  # refit when the data fill less than this part of the view


EMPTY_STEPS = 100  # the step axis shown before anything is logged


class RangeFollower:
    """Keeps a set of x-linked plots framed on their data, with hysteresis."""

    def __init__(self, plots: list[pg.PlotItem]) -> None:
        self.plots = plots
        self.following = True
        self._force = True
        for plot in plots:
            plot.disableAutoRange()
            plot.vb.sigRangeChangedManually.connect(self._on_range_changed_manually)
            for side in ("left", "bottom"):
                plot.getAxis(side).setCacheMode(
                    QGraphicsItem.CacheMode.DeviceCoordinateCache)

    def follow(self) -> None:
        """Frame the data again from the next update on."""
        self.following = True
        self._force = True

    def update(self, x: tuple[float, float] | None,
               ys: list[tuple[float, float] | None]) -> None:
        """Adjust the ranges to the data's bounds (in view coordinates) if outgrown.

        Args:
            x: first and last step of the shared x axis (None: no data).
            ys: per plot, the lowest and highest value drawn (None: nothing drawn).
        """
        force, self._force = self._force, False
        if x is None:  # nothing logged yet: a plain 0–100 step frame, not 0.0–1.0
            self.plots[0].setXRange(0, EMPTY_STEPS, padding=0)
            for plot in self.plots:
                plot.setYRange(0, 1, padding=0)
            return
        if not self.following:
            return
        vx0, vx1 = self.plots[0].vb.viewRange()[0]
        if force or x[1] > vx1 or x[0] < vx0:
            self.plots[0].setXRange(x[0], x[1] + X_GROWTH * max(x[1] - x[0], 1.0), padding=0)
        for plot, y in zip(self.plots, ys, strict=True):
            if y is None:
                continue
            vy0, vy1 = plot.vb.viewRange()[1]
            height = max(y[1] - y[0], 1e-9)
            if force or y[0] < vy0 or y[1] > vy1 or height < Y_SHRINK * (vy1 - vy0):
                plot.setYRange(y[0] - Y_PAD * height, y[1] + Y_PAD * height, padding=0)

    def _on_range_changed_manually(self, *_args: object) -> None:
        self.following = False


def value_bounds(columns: list[np.ndarray], *, log: bool) -> tuple[float, float] | None:
    """Lowest and highest finite value over ``columns`` (log10 of positives when ``log``)."""
    lows, highs = [], []
    for values in columns:
        shown = np.log10(values[values > 0]) if log else values
        shown = shown[np.isfinite(shown)]
        if shown.size:
            lows.append(float(shown.min()))
            highs.append(float(shown.max()))
    return (min(lows), max(highs)) if lows else None
