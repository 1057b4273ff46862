"""Dashed vertical lines where a new epoch began, on every plot that shares a step axis.

The epoch numbers are written on an axis above the plots, never over the curves, and
only as many as fit side by side.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from nectar_gui.ui.widgets.plots.items import marker_stride

LABEL_SPACING = 64  # pixels between epoch labels, so "epoch 12" never touches "epoch 13"


class EpochMarkers:
    """Keeps one line per (thinned) epoch start on each plot; redraws only on a change.

    Epochs arrive 0-based, as logged, and are labelled counting from 1, as the CLI
    prints them, on ``label_axis`` (the top axis of the uppermost plot).
    """

    def __init__(self, plots: Sequence[pg.PlotItem], *, label_axis: pg.AxisItem) -> None:
        self.plots = list(plots)
        self.label_axis = label_axis
        self.colour = "#888888"
        self.lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._steps: tuple[float, ...] = ()
        self._chosen: list[tuple[float, int]] = []
        self._labels: list[tuple[float, str]] = []
        label_axis.setTicks([[], []])  # no epoch yet: no numbers (not step values)
        # Labels are thinned by their spacing on screen: redo it when that changes.
        view = self.plots[0].vb
        view.sigResized.connect(lambda *_: self._label(self._chosen))
        view.sigXRangeChanged.connect(lambda *_: self._label(self._chosen))

    def steps(self) -> list[float]:
        """Steps where a marker line is drawn now."""
        return list(self._steps)

    def labels(self) -> list[tuple[float, str]]:
        """The epoch labels on the axis now: (step, text)."""
        return list(self._labels)

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
        self._chosen = chosen
        self._label(chosen)
        if tuple(s for s, _ in chosen) == self._steps:
            return
        self._steps = tuple(s for s, _ in chosen)
        for plot, line in self.lines:
            plot.removeItem(line)
        self.lines = []
        pen = pg.mkPen(self.colour, width=1, style=Qt.PenStyle.DashLine)
        for plot in self.plots:
            for step, _epoch in chosen:
                line = pg.InfiniteLine(step, angle=90, movable=False, pen=pen)
                plot.addItem(line, ignoreBounds=True)
                self.lines.append((plot, line))

    def _label(self, chosen: list[tuple[float, int]]) -> None:
        """Every k-th marker gets its number, k such that labels are ≥ LABEL_SPACING apart."""
        view = self.plots[0].vb
        (x0, x1), width = view.viewRange()[0], max(view.width(), 1.0)
        per_step = width / max(x1 - x0, 1e-9)  # pixels
        gaps = [b - a for (a, _), (b, _) in itertools.pairwise(chosen)]
        gap = min(gaps, default=float("inf")) * per_step
        every = max(1, math.ceil(LABEL_SPACING / gap)) if gap > 0 else 1
        labels = [(s, f"epoch {e + 1}") for i, (s, e) in enumerate(chosen) if i % every == 0]
        if labels != self._labels:
            self._labels = labels
            self.label_axis.setTicks([labels, []])
