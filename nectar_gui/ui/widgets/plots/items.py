"""pyqtgraph pieces every plot of a run shares: stacked plots with a legend column, a
crosshair, log-axis ticks that fit, and the arithmetic of the plot controls."""

from __future__ import annotations

import math
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

SMOOTHING_SLIDER_STEPS = 300
MAX_EPOCH_MARKERS = 100  # beyond this, only every 2nd, 5th, 10th … epoch gets a line
# pixels per decade needed → minor log ticks labelled (closest pair ≥ ~18 px apart)
_LOG_MINOR_TICKS = ((400, (2, 3, 4, 5, 6, 7, 8, 9)), (100, (2, 3, 5)), (60, (2, 5)), (0, ()))


class LossAxis(pg.AxisItem):
    """A value axis that labels only as many log-scale minor ticks as fit.

    pyqtgraph labels 2…9 in every decade, which overlap on a short axis.
    """

    def logTickValues(self, minVal: float, maxVal: float, size: float,
                      stdTicks: list[tuple[float, list[float]]]) -> list[Any]:
        ticks: list[Any] = [(s, t) for s, t in stdTicks if s >= 1.0]
        if len(ticks) >= 3:
            return ticks
        per_decade = size / max(maxVal - minVal, 1e-9)  # pixels
        mantissas = next(m for need, m in _LOG_MINOR_TICKS if per_decade >= need)
        if not ticks:
            mantissas = (1, *mantissas)
        minor = [decade + math.log10(m) for decade in range(math.floor(minVal),
                                                             math.ceil(maxVal))
                 for m in mantissas]
        ticks.append((None, [v for v in minor if minVal < v < maxVal]))
        return ticks


class StepAxis(pg.AxisItem):
    """A step axis: steps are whole numbers, so no tick falls between two of them."""

    def tickSpacing(self, minVal: float, maxVal: float, size: float) -> list[Any]:
        levels = super().tickSpacing(minVal, maxVal, size)
        whole = [(spacing, offset) for spacing, offset in levels if spacing >= 1]
        return whole or [(1.0, 0.0)]


class ToggleLegend(pg.LegendItem):
    """A legend whose entries toggle their curve when the line or the name is clicked."""

    def mouseClickEvent(self, event: Any) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        for sample, label in self.items:
            if label.geometry().contains(event.pos()):
                sample.mouseClickEvent(event)  # toggles the curve, emits sigSampleClicked
                return


def smoothing_weight(position: int) -> float:
    """Slider position → EMA weight: 0 is off, the end is 0.999, finer steps near 1."""
    if position <= 0:
        return 0.0
    return round(1.0 - 10.0 ** (-3.0 * position / SMOOTHING_SLIDER_STEPS), 4)


def marker_stride(count: int) -> int:
    """Smallest of 1, 2, 5, 10, 20, 50, … that keeps at most MAX_EPOCH_MARKERS lines."""
    stride = 1
    while count / stride > MAX_EPOCH_MARKERS:
        stride = stride * 5 // 2 if str(stride)[0] == "2" else stride * 2
    return stride


def add_stacked_plot(graphics: pg.GraphicsLayoutWidget, *, row: int, axis_title: str,
                     legend_columns: int = 1) -> pg.PlotItem:
    """A plot in ``row`` of ``graphics`` with its legend in its own column to the right.

    Over the curves a legend hid data on short plots. Curves are clipped to the view and
    peak-downsampled (the PlotItem imposes both on every curve it holds), and the value
    axis has a fixed width so that stacked plots keep their step axes aligned.
    """
    plot = graphics.addPlot(row=row, col=0, axisItems={
        "left": LossAxis("left"), "bottom": StepAxis("bottom"), "top": StepAxis("top")})
    plot.hideAxis("top")  # passed in so the caller may show it (epoch numbers), off by default
    plot.showGrid(x=True, y=True, alpha=0.15)
    plot.setLabel("left", axis_title)
    plot.setClipToView(True)
    plot.setDownsampling(auto=True, mode="peak")
    plot.setMenuEnabled(False)
    for side in ("left", "bottom"):
        plot.getAxis(side).enableAutoSIPrefix(False)
    plot.getAxis("left").setWidth(64)
    legend = ToggleLegend(colCount=legend_columns, labelTextSize="9pt", verSpacing=-4)
    legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # no stretch
    graphics.addItem(legend, row=row, col=1)
    graphics.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
    plot.legend = legend  # PlotItem.addItem then lists every named curve in it
    return plot


def add_crosshair(plot: pg.PlotItem) -> pg.InfiniteLine:
    """A hidden vertical line over ``plot``'s curves, for the hovered step."""
    line = pg.InfiniteLine(angle=90, movable=False)
    line.setZValue(10)
    line.hide()
    plot.addItem(line, ignoreBounds=True)
    return line
