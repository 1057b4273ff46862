"""Quality over the run: the ranking metric per evaluated checkpoint, against steps.

Two curves: the checkpoints measured in this tab (means over the split's images), and,
when the run has a ``val.jsonl``, what validation during training measured, so a user
sees whether a few evaluated checkpoints agree with the whole history. The checkpoint
BEST names is starred; the checkpoint shown in the table has a vertical line; clicking
an evaluated point shows that checkpoint.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nectar_gui.core.evaluation.records import (
    StepEvaluation,
    ValidationRecord,
    ranking_value,
)
from nectar_gui.ui.evaluate.metrics import axis_title, metric_tip
from nectar_gui.ui.widgets.plots.colours import (
    PlotColours,
    ThemedPlots,
    plot_colours_for,
    style_axes,
    style_legend,
)
from nectar_gui.ui.widgets.plots.items import add_stacked_plot


def _points(values: Iterable[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    pairs = sorted((s, v) for s, v in values if math.isfinite(v))
    return (np.array([s for s, _ in pairs], float), np.array([v for _, v in pairs], float))


class MetricPlot(ThemedPlots):
    """Metric vs step for the evaluated checkpoints and the run's validation history.

    ``step_clicked`` carries the step of an evaluated point the user clicked.
    """

    step_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._colours = plot_colours_for(self.palette())
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(110)
        self.plot = add_stacked_plot(self.graphics, row=0, axis_title="")
        self.plot.setClipToView(False)  # a handful of points; keep the markers whole
        self.validation = self.plot.plot([], [], name="validation while training")
        self.evaluated = self.plot.plot([], [], name="evaluated here", symbol="o",
                                        symbolSize=8)
        self.star = pg.ScatterPlotItem(symbol="star", size=18, name="BEST")
        self.plot.addItem(self.star)
        self.current = pg.InfiniteLine(angle=90, movable=False)
        self.current.hide()
        self.plot.addItem(self.current, ignoreBounds=True)
        self.validation.setZValue(1)  # dashes stay visible where the two curves agree
        self.star.setZValue(2)
        self.evaluated.sigPointsClicked.connect(self._on_points_clicked)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.graphics)
        self._apply_colours(self._colours)

    def show_metric(self, metric: str, evaluations: Iterable[StepEvaluation],
                    validations: Iterable[ValidationRecord], best: int | None) -> None:
        """Redraw everything for ``metric``; ``best`` is the step BEST names."""
        evaluated = {e.step: ranking_value(e.mean, metric) for e in evaluations}
        x, y = _points(evaluated.items())
        self.evaluated.setData(x, y)
        vx, vy = _points((r.step, ranking_value(r.metrics, metric)) for r in validations)
        self.validation.setData(vx, vy)
        self.validation.setVisible(len(vx) > 0)
        star = evaluated.get(best, math.nan) if best is not None else math.nan
        self.star.setData([best] if math.isfinite(star) else [],
                          [star] if math.isfinite(star) else [])
        self.plot.setLabel("left", axis_title(metric))
        self.graphics.setToolTip(f"Mean {metric_tip(metric)}, per checkpoint; the star is "
                                 f"BEST; click a point to see that checkpoint's images")
        self.plot.enableAutoRange()

    def set_current(self, step: int | None) -> None:
        """The vertical line at the checkpoint whose images the table shows."""
        self.current.setVisible(step is not None)
        if step is not None:
            self.current.setValue(step)

    def evaluated_points(self) -> list[tuple[float, float]]:
        """(step, value) of the evaluated curve, for tests and readouts."""
        x, y = self.evaluated.getData()
        return [] if x is None else list(zip(x.tolist(), y.tolist(), strict=True))

    def star_point(self) -> tuple[float, float] | None:
        data = self.star.getData()
        return (float(data[0][0]), float(data[1][0])) if len(data[0]) else None

    def _on_points_clicked(self, _item: Any, points: Any, *_args: Any) -> None:
        if len(points):
            self.step_clicked.emit(round(points[0].pos().x()))

    # ---- theme --------------------------------------------------------------------------
    def _apply_colours(self, colours: PlotColours) -> None:
        self._colours = colours
        self.graphics.setBackground(colours.background)
        style_axes(self.plot, colours)
        style_legend(self.plot.legend, colours)
        main, other = colours.curves[0], colours.curves[1]
        self.evaluated.setPen(pg.mkPen(main, width=2))
        self.evaluated.setSymbolPen(pg.mkPen(main))
        self.evaluated.setSymbolBrush(pg.mkBrush(main))
        self.validation.setPen(pg.mkPen(other, width=1, style=Qt.PenStyle.DashLine))
        self.star.setPen(pg.mkPen(colours.foreground, width=1))
        self.star.setBrush(pg.mkBrush("#f2c12e"))
        self.current.setPen(pg.mkPen(colours.crosshair, width=1))
