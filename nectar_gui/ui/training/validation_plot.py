"""Measured quality over a run: a validation metric per validated step, the best marked.

Losses say how the two networks pull against each other; they do not say whether the
pictures get better. This plot shows what the validation images say instead (PSNR, SSIM
and L1 against the targets for paired data, cycle L1 and D's scores for unpaired data),
one metric at a time, with the step ``checkpoints/BEST`` names marked by a star.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QWidget

from nectar_gui.core.evaluation.best import BestMark
from nectar_gui.core.evaluation.records import (
    HIGHER_IS_BETTER,
    METRIC_NAMES,
    ValidationRecord,
    better_direction,
    metric_name,
)
from nectar_gui.core.training.reports import ValidationReport
from nectar_gui.ui.widgets.flow_layout import FlowLayout
from nectar_gui.ui.widgets.plots.colours import (
    PlotColours,
    ThemedPlots,
    plot_colours_for,
    style_axes,
)
from nectar_gui.ui.widgets.plots.items import LossAxis, StepAxis

METRIC_ORDER = tuple(METRIC_NAMES)
EMPTY_TEXT = ("No validation yet. The validation images are measured at every checkpoint "
              "(logging.validate_every_steps) and at the end of the run.")


def metric_title(name: str) -> str:
    """A metric's name for people, with its unit and which way is better."""
    return f"{metric_name(name)} — {better_direction(name)}"


class ValidationPlot(ThemedPlots):
    """One validation metric over steps; the best step starred; a one-line readout.

    Fed like the loss plot: ``add_report`` while training live, ``set_records`` for an
    opened or resumed run (its ``val.jsonl``), ``set_best`` with what ``BEST`` names.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: dict[int, dict[str, float]] = {}  # step → metrics
        self._best: int | None = None  # the step BEST names, when known
        self._colours = plot_colours_for(self.palette())
        self._build_ui()
        self.metric_combo.currentIndexChanged.connect(lambda _i: self._redraw())
        self._apply_colours(self._colours)
        self._redraw()

    def _build_ui(self) -> None:
        self.metric_combo = QComboBox()
        self.metric_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.metric_combo.setToolTip("Which measurement to plot")
        self.readout = QLabel(EMPTY_TEXT)
        self.readout.setWordWrap(True)
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(120)
        self.plot = self.graphics.addPlot(axisItems={"left": LossAxis("left"),
                                                     "bottom": StepAxis("bottom")})
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.setMenuEnabled(False)
        self.curve = pg.PlotDataItem(symbol="o", symbolSize=5)
        self.star = pg.ScatterPlotItem(symbol="star", size=16)
        self.plot.addItem(self.curve)
        self.plot.addItem(self.star)
        header = QWidget()
        flow = FlowLayout(header, spacing=6)
        flow.addWidget(QLabel("<b>Quality on validation images</b>"))
        flow.addWidget(self.metric_combo)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(header)
        layout.addWidget(self.graphics, 1)
        layout.addWidget(self.readout)

    # ---- data in ------------------------------------------------------------------------
    def add_report(self, report: ValidationReport) -> None:
        """A live validation; its ``best_step`` is where BEST points now."""
        self._points[report.step] = dict(report.metrics)
        self._best = report.best_step
        self._redraw()

    def set_records(self, records: Iterable[ValidationRecord]) -> None:
        """Every validation of an opened, followed or resumed run (replaces what is shown)."""
        self._points = {r.step: dict(r.metrics) for r in records}
        self._redraw()

    def set_best(self, mark: BestMark | None) -> None:
        """What ``checkpoints/BEST`` names (None: no best chosen yet)."""
        self._best = mark.step if mark is not None else None
        self._redraw()

    def clear(self) -> None:
        """Forget every point (a new run)."""
        self._points, self._best = {}, None
        self._redraw()

    # ---- reading back -------------------------------------------------------------------
    def steps(self) -> list[int]:
        """Validated steps, ascending."""
        return sorted(self._points)

    def shown_metric(self) -> str | None:
        """The metric plotted now."""
        data = self.metric_combo.currentData()
        return str(data) if data else None

    def starred_step(self) -> int | None:
        """The step marked best: BEST's step when it was validated, else the best value."""
        metric = self.shown_metric()
        if metric is None or not self._points:
            return None
        if self._best in self._points:
            return self._best
        values = [(v, s) for s, m in self._points.items()
                  if math.isfinite(v := m.get(metric, math.nan))]
        if not values:
            return None
        pick = max if metric in HIGHER_IS_BETTER else min
        return pick(values)[1]

    # ---- drawing ------------------------------------------------------------------------
    def _redraw(self) -> None:
        self._update_choices()
        metric, steps = self.shown_metric(), self.steps()
        if metric is None or not steps:
            self.curve.setData([], [])
            self.star.setData([], [])
            self.readout.setText(EMPTY_TEXT)
            return
        values = np.array([self._points[s].get(metric, math.nan) for s in steps], float)
        self.curve.setData(np.array(steps, float), values, connect="finite")
        self.plot.setLabel("left", metric_name(metric))
        star = self.starred_step()
        star_value = self._points[star].get(metric, math.nan) if star is not None else math.nan
        self.star.setData([star] if math.isfinite(star_value) else [],
                          [star_value] if math.isfinite(star_value) else [])
        self.readout.setText(self._readout_text(metric, steps[-1], star))

    def _readout_text(self, metric: str, last: int, star: int | None) -> str:
        def value(step: int) -> str:
            number = self._points[step].get(metric, math.nan)
            return "–" if not math.isfinite(number) else f"{number:.4g}"

        text = f"{metric_title(metric)}. Step {last:,}: {value(last)}"
        if star is not None:
            which = "the BEST checkpoint" if star == self._best else "best so far"
            text += f" · {which}: {value(star)} at step {star:,}"
        return text

    def _update_choices(self) -> None:
        present = {name for metrics in self._points.values() for name in metrics}
        names = [n for n in METRIC_ORDER if n in present] + sorted(present - set(METRIC_ORDER))
        if names == [self.metric_combo.itemData(i) for i in range(self.metric_combo.count())]:
            return
        current = self.shown_metric()
        self.metric_combo.blockSignals(True)
        self.metric_combo.clear()
        for name in names:
            self.metric_combo.addItem(metric_name(name), name)
        index = names.index(current) if current in names else 0
        self.metric_combo.setCurrentIndex(index if names else -1)
        self.metric_combo.blockSignals(False)
        self.metric_combo.setEnabled(bool(names))

    # ---- theme --------------------------------------------------------------------------
    def _apply_colours(self, colours: PlotColours) -> None:
        self._colours = colours
        self.graphics.setBackground(colours.background)
        style_axes(self.plot, colours)
        pen = pg.mkPen(colours.curves[2 % len(colours.curves)], width=1)
        self.curve.setPen(pen)
        self.curve.setSymbolPen(pen)
        self.curve.setSymbolBrush(pg.mkBrush(colours.curves[2 % len(colours.curves)]))
        self.star.setPen(pg.mkPen(colours.foreground, width=1))
        self.star.setBrush(pg.mkBrush("#f2c12e"))
