"""Dashed vertical lines where a new epoch began, on every plot that shares a step axis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from nectar_gui.ui.widgets.plots.items import marker_stride

LABELLED_EPOCH_MARKERS = 12  # epoch numbers are written on the lines up to this many


class EpochMarkers:
    """Keeps one line per (thinned) epoch start on each plot; redraws only on a change.

    Epochs arrive 0-based, as logged, and are labelled counting from 1, as the CLI
    prints them. Only the plot named ``labelled_plot`` carries the labels, so stacked
    plots don't repeat them.
    """

    def __init__(self, plots: Sequence[pg.PlotItem], *, labelled_plot: pg.PlotItem) -> None:
        self.plots = list(plots)
        self.labelled_plot = labelled_plot
        self.colour = "#888888"
        self.lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._steps: tuple[float, ...] = ()

    def steps(self) -> list[float]:
        """Steps where a marker line is drawn now."""
        return list(self._steps)

    def set_colour(self, colour: str) -> None:
        """Redraw the lines in ``colour`` (a theme change)."""
        self.colour = colour
        self._steps = ()  # forces the next ``show`` to redraw

    def show(self, steps: np.ndarray | Sequence[float],
             epochs: np.ndarray | Sequence[float]) -> None:
        """Draw markers at these epoch starts (thinned to a readable number)."""
        stride = marker_stride(len(steps))
        chosen = [(float(s), int(e)) for s, e in zip(steps, epochs, strict=True)
                  if e % stride == 0]
        if tuple(s for s, _ in chosen) == self._steps:
            return
        self._steps = tuple(s for s, _ in chosen)
        for plot, line in self.lines:
            plot.removeItem(line)
        self.lines = []
        labelled = len(chosen) <= LABELLED_EPOCH_MARKERS
        pen = pg.mkPen(self.colour, width=1, style=Qt.PenStyle.DashLine)
        for plot in self.plots:
            for step, epoch in chosen:
                label = f"epoch {epoch + 1}" if labelled and plot is self.labelled_plot else None
                line = pg.InfiniteLine(step, angle=90, movable=False, pen=pen, label=label,
                                       labelOpts={"position": 0.08, "color": self.colour})
                plot.addItem(line, ignoreBounds=True)
                self.lines.append((plot, line))
