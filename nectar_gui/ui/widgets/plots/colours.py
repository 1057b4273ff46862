"""Colours of the pyqtgraph plots for the dark and the light theme.

pyqtgraph draws with colours of its own rather than the widget palette, so a plot reads
the palette (``plot_colours_for``) and restyles itself when the palette changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QEvent
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QWidget


@dataclass(frozen=True)
class PlotColours:
    """Everything a plot paints with, for one theme."""

    background: str
    foreground: str  # axis values and titles, legend text
    muted: str  # axis lines, epoch markers, readout headings
    crosshair: tuple[int, int, int, int]  # RGBA: solid, a little stronger than the markers
    curves: tuple[str, ...]  # one per loss term, in order of appearance


DARK_PLOT = PlotColours(
    background="#1e1e1e", foreground="#d4d4d4", muted="#8a8a8a",
    crosshair=(235, 235, 235, 150),
    curves=("#4e9fe6", "#f28e2b", "#59c36a", "#e15759", "#b07aa1", "#edc948", "#76b7b2",
            "#ff9da7"),
)
# The same hues, darker, so thin lines keep their contrast on white.
LIGHT_PLOT = PlotColours(
    background="#ffffff", foreground="#2b2b2b", muted="#707070",
    crosshair=(30, 30, 30, 140),
    curves=("#1f6fc0", "#e06c00", "#2e9443", "#cc2f3a", "#8a55b0", "#a87f00", "#1b8c86",
            "#d63f73"),
)


def plot_colours_for(palette: QPalette) -> PlotColours:
    """The plot colours that go with a widget palette (dark window → dark plots)."""
    dark = palette.color(QPalette.ColorRole.Window).lightness() < 128
    return DARK_PLOT if dark else LIGHT_PLOT


def style_axes(plot: pg.PlotItem, colours: PlotColours) -> None:
    """Axis lines, tick values and axis titles of one plot."""
    for side in ("left", "bottom", "top"):
        axis = plot.getAxis(side)
        axis.setTextPen(colours.foreground)
        axis.setPen(colours.muted)
        if axis.labelText:
            axis.setLabel(axis.labelText, color=colours.foreground)


def style_legend(legend: pg.LegendItem, colours: PlotColours) -> None:
    """Legend text, including entries already shown (pyqtgraph only styles new ones)."""
    legend.setLabelTextColor(colours.foreground)
    for _sample, label in legend.items:
        label.setText(label.text)  # re-renders with the colour just set


class ThemedPlots(QWidget):
    """A widget drawing pyqtgraph plots that restyles them when the palette changes.

    Subclasses set ``self._colours`` (``plot_colours_for(self.palette())``) before their
    first ``_apply_colours`` and restyle everything they draw in ``_apply_colours``.
    """

    _colours: PlotColours

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            colours = plot_colours_for(self.palette())
            if colours != self._colours:
                self._apply_colours(colours)
        super().changeEvent(event)

    def _apply_colours(self, colours: PlotColours) -> None:
        raise NotImplementedError
