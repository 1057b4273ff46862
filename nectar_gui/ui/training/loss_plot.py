"""Loss curves of a training run: generator terms above, discriminator terms below."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtWidgets import QVBoxLayout, QWidget

from nectar_gui.core.loss_names import LossGroup, loss_group
from nectar_gui.core.training.reports import LossReport
from nectar_gui.ui.training.loss_history import LossHistory
from nectar_gui.ui.training.loss_readout import EMPTY_TEXT, LossReadout, readout_lines
from nectar_gui.ui.training.plot_toolbar import PlotToolbar
from nectar_gui.ui.widgets.export import export_with_dialog
from nectar_gui.ui.widgets.plots.colours import (
    PlotColours,
    ThemedPlots,
    plot_colours_for,
    style_axes,
    style_legend,
)
from nectar_gui.ui.widgets.plots.epoch_markers import EpochMarkers
from nectar_gui.ui.widgets.plots.items import add_crosshair, add_stacked_plot
from nectar_gui.ui.widgets.plots.ranges import RangeFollower, value_bounds

# At most one redraw a second, however fast reports arrive: a redraw and its paint take
# ~20 ms of UI-thread time, which a small model's training thread waits out for the GIL.
REDRAW_INTERVAL_MS = 1000
REDRAW_COST_FACTOR = 10  # … and at least 10× the time the last redraw took …
MAX_REDRAW_INTERVAL_MS = 3000  # … but never less often than this
DOWNSAMPLE_POINTS_PER_PIXEL = 1.5  # logged points per pixel before peak downsampling
GROUPS: tuple[LossGroup, ...] = ("G", "D")
MIN_PLOTS_HEIGHT = 220  # two plots of ~100 px with the step axis: readable, not strips
AXIS_TITLES: dict[LossGroup, str] = {"G": "G loss", "D": "D loss"}  # fit short plots


class LossPlot(ThemedPlots):
    """Every loss term of a run over training steps, G terms above and D terms below.

    The two plots share their step axis. Raw values are kept in growing numpy columns;
    smoothing (an exponential moving average) and the log scale only change what is
    drawn. Curves are clipped to the view and peak-downsampled, and redrawn from a
    timer rather than per report, so a million logged points stay fluid. Hovering
    shows the values at the nearest logged step; clicking a legend entry hides or
    shows its curve; dashed vertical lines mark where a new epoch began. Epochs are
    stored 0-based, as logged, and shown counting from 1, as the CLI prints them.
    The plots are dark or light with the theme (``changeEvent`` on a palette change).
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._history = LossHistory()
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._curve_colour: dict[str, int] = {}  # index into the theme's curve colours
        self._colours = plot_colours_for(self.palette())
        self._colours_used: dict[LossGroup, int] = {"G": 0, "D": 0}
        self._hover_step: float | None = None
        self._build_ui()
        self._connect()

    # ---- construction ------------------------------------------------------------------
    def _build_ui(self) -> None:
        self._toolbar = PlotToolbar()
        self._readout = LossReadout()
        self._graphics = pg.GraphicsLayoutWidget()
        self._graphics.setMinimumHeight(MIN_PLOTS_HEIGHT)  # both plots keep their axes
        self._plots = {g: add_stacked_plot(self._graphics, row=row, axis_title=AXIS_TITLES[g],
                                           legend_columns=2 if g == "G" else 1)
                       for row, g in enumerate(GROUPS)}
        self._plots["D"].setXLink(self._plots["G"])  # G always has curves; D follows it
        self._plots["G"].getAxis("bottom").setStyle(showValues=False)
        grid = self._graphics.ci.layout
        grid.setRowStretchFactor(0, 3)
        grid.setRowStretchFactor(1, 2)
        # Each plot keeps ~70 px of curves: G under its epoch axis, D over its step axis.
        grid.setRowMinimumHeight(0, 96)
        grid.setRowMinimumHeight(1, 112)
        self._crosshairs = [add_crosshair(plot) for plot in self._plots.values()]
        self._plots["G"].showAxis("top")  # epoch numbers go above the curves
        self._markers = EpochMarkers(list(self._plots.values()),
                                     label_axis=self._plots["G"].getAxis("top"))
        self._ranges = RangeFollower([self._plots["G"], self._plots["D"]])
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._apply_colours(self._colours)
        layout = QVBoxLayout(self)
        layout.addWidget(self._toolbar)
        layout.addWidget(self._readout)
        layout.addWidget(self._graphics, 1)
        layout.setSpacing(0)

    def _connect(self) -> None:
        self._toolbar.smoothing_changed.connect(lambda _weight: self._schedule_redraw())
        self._toolbar.log_scale_toggled.connect(self._on_toolbar_log_scale_toggled)
        self._toolbar.export_csv_requested.connect(self._on_toolbar_export_csv_requested)
        self._toolbar.export_png_requested.connect(self._on_toolbar_export_png_requested)
        self._redraw_timer.timeout.connect(self.refresh)
        self._graphics.scene().sigMouseMoved.connect(self._on_scene_mouse_moved)
        self._graphics.scene().sigMouseClicked.connect(self._on_scene_mouse_clicked)
        for plot in self._plots.values():
            plot.legend.sigSampleClicked.connect(self._on_legend_sample_clicked)

    # ---- data in ---------------------------------------------------------------------
    def add_points(self, records: Sequence[Mapping[str, Any]]) -> None:
        """Add metrics dicts ``{"step", "epoch", "time", "losses", "lrs"}`` (run-folder format).

        A step at or below the last one drops the points from that step on first
        (a run resumed from an earlier checkpoint).
        """
        if records:
            self._history.append(records)
            self._schedule_redraw()

    def add_report(self, report: LossReport) -> None:
        """Add one live ``LossReport``."""
        self.add_points([{"step": report.step, "epoch": report.epoch,
                          "time": report.wall_time, "losses": dict(report.losses),
                          "lrs": dict(report.lrs)}])

    def clear(self) -> None:
        """Forget all points and curves (a new run, or the run's files were rewritten)."""
        self._history.clear()
        for name, curve in self._curves.items():
            plot = self._plots[loss_group(name)]
            plot.legend.removeItem(curve)
            plot.removeItem(curve)
        self._curves.clear()
        self._curve_colour.clear()
        self._colours_used = {"G": 0, "D": 0}
        self._markers.show((), ())
        self._ranges.follow()
        self._hover_step = None
        for line in self._crosshairs:
            line.hide()
        self._readout.show_text(EMPTY_TEXT, EMPTY_TEXT)

    def point_count(self) -> int:
        """Logged points held (one per step, however many loss terms it has)."""
        return len(self._history)

    def history(self) -> LossHistory:
        """The stored, unsmoothed history (read it; add points through this widget)."""
        return self._history

    # ---- display options ---------------------------------------------------------------
    def smoothing(self) -> float:
        """The EMA weight applied on display: 0 (off) to 0.999."""
        return self._toolbar.smoothing()

    def set_smoothing_position(self, position: int) -> None:
        """Move the smoothing slider (0 … SMOOTHING_SLIDER_STEPS)."""
        self._toolbar.smoothing_slider.setValue(position)

    def set_log_scale(self, enabled: bool) -> None:
        self._toolbar.log_check.setChecked(enabled)

    def is_log_scale(self) -> bool:
        return self._toolbar.log_check.isChecked()

    def curve_names(self) -> list[str]:
        return list(self._curves)

    def curve(self, name: str) -> pg.PlotDataItem:
        """The plotted curve of one loss term (after the next redraw)."""
        return self._curves[name]

    def group_curve_names(self, group: LossGroup) -> list[str]:
        return [name for name in self._curves if loss_group(name) == group]

    def set_curve_visible(self, name: str, visible: bool) -> None:
        """Hide or show one curve, as a click on its legend entry does."""
        self._curves[name].setVisible(visible)
        for sample, _label in self._plots[loss_group(name)].legend.items:
            sample.update()
        self._update_readout()

    def is_curve_visible(self, name: str) -> bool:
        return bool(self._curves[name].isVisible())

    def epoch_marker_steps(self) -> list[float]:
        """Steps where an epoch marker line is drawn (after the next redraw)."""
        return self._markers.steps()

    # ---- export ------------------------------------------------------------------------
    def export_csv(self, path: str | Path) -> None:
        """Write every logged point, unsmoothed: step, epoch, time, losses, ``lr/<name>``."""
        self._history.write_csv(Path(path))

    def export_png(self, path: str | Path) -> None:
        """Save the plots as they look now (smoothing, log scale and hidden curves)."""
        self.refresh()
        if not self._graphics.grab().save(str(path)):
            raise OSError(f"Could not write the image {path}")

    # ---- drawing -----------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw now from the stored history (the timer calls this after new points)."""
        self._redraw_timer.stop()
        started = time.perf_counter()
        new_names = [n for n in self._history.loss_names if n not in self._curves]
        for name in new_names:
            self._add_curve(name)
        if new_names:  # the legends grew: lay out now, so plot geometry is current at once
            self._graphics.ci.layout.activate()
        steps, weight = self._history.steps(), self.smoothing()
        shown: dict[str, list[np.ndarray]] = {"G": [], "D": []}
        for name, curve in self._curves.items():
            values = self._history.smoothed(name, weight)
            curve.setData(steps, values)
            if curve.isVisible():
                shown[loss_group(name)].append(values)
        self._markers.show(*self._history.epoch_starts())
        log = self.is_log_scale()
        self._ranges.update((float(steps[0]), float(steps[-1])) if len(steps) else None,
                            [value_bounds(shown[g], log=log) for g in ("G", "D")])
        self._update_readout()
        # With a very long history one redraw (this, then the paint it causes) can take
        # a good part of a second; spacing redraws by their cost keeps the UI responsive.
        cost_ms = 1000 * (time.perf_counter() - started)
        self._redraw_timer.setInterval(int(min(max(REDRAW_INTERVAL_MS, REDRAW_COST_FACTOR
                                                   * cost_ms), MAX_REDRAW_INTERVAL_MS)))

    def _schedule_redraw(self) -> None:
        if not self._redraw_timer.isActive():
            self._redraw_timer.start()

    def _add_curve(self, name: str) -> None:
        group = loss_group(name)
        self._curve_colour[name] = self._colours_used[group]
        self._colours_used[group] += 1
        colour = self._curve_pen_colour(name)
        # A 1-pixel pen: Qt draws wider lines far more slowly. Peak downsampling keeps
        # each bin's min and max, so ~2 drawn points per pixel still show every spike.
        curve = pg.PlotDataItem(name=name, pen=pg.mkPen(colour, width=1), connect="finite",
                                autoDownsampleFactor=DOWNSAMPLE_POINTS_PER_PIXEL)
        self._plots[group].addItem(curve)
        self._curves[name] = curve

    # ---- hover readout -----------------------------------------------------------------
    def show_readout_at(self, step: float | None) -> str:
        """Show the values at the logged step nearest ``step`` (None: the latest point,
        no crosshair) and return the readout as plain text."""
        self._hover_step = step
        return self._update_readout()

    def readout_text(self) -> str:
        return self._readout.plain

    def _update_readout(self) -> str:
        latest = None if len(self._history) == 0 else len(self._history) - 1
        row = latest if self._hover_step is None else self._history.nearest_row(
            self._hover_step)
        for line in self._crosshairs:
            line.setVisible(row is not None and self._hover_step is not None)
        if row is None:
            return self._readout.show_text(EMPTY_TEXT, EMPTY_TEXT)
        step = float(self._history.steps()[row])
        for line in self._crosshairs:
            line.setPos(step)
        shown = {group: [(n, self._curves[n].opts["pen"].color().name())
                         for n in self.group_curve_names(group) if self.is_curve_visible(n)]
                 for group in GROUPS}
        return self._readout.show_text(*readout_lines(
            self._history, row, shown, weight=self.smoothing(), muted=self._colours.muted))

    # ---- theme ------------------------------------------------------------------------
    def plot_colours(self) -> PlotColours:
        """The colours the plots are drawn with now (they follow the palette)."""
        return self._colours

    def _curve_pen_colour(self, name: str) -> str:
        curves = self._colours.curves
        return curves[self._curve_colour[name] % len(curves)]

    def _apply_colours(self, colours: PlotColours) -> None:
        self._colours = colours
        self._readout.apply_colours(colours)
        self._graphics.setBackground(colours.background)
        for plot in self._plots.values():
            style_axes(plot, colours)
            style_legend(plot.legend, colours)
        for line in self._crosshairs:
            line.setPen(pg.mkPen(colours.crosshair, width=1))
        for name, curve in self._curves.items():
            curve.setPen(pg.mkPen(self._curve_pen_colour(name), width=1))
        self._markers.set_colour(colours.muted)
        self._markers.show(*self._history.epoch_starts())
        self._update_readout()

    # ---- handlers ----------------------------------------------------------------------
    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        for plot in self._plots.values():
            if plot.vb.sceneBoundingRect().contains(pos):
                self.show_readout_at(plot.vb.mapSceneToView(pos).x())
                return
        if self._hover_step is not None:
            self.show_readout_at(None)

    def _on_toolbar_log_scale_toggled(self, checked: bool) -> None:
        for plot in self._plots.values():
            plot.setLogMode(x=False, y=checked)
        self._ranges.follow()
        self.refresh()

    def _on_scene_mouse_clicked(self, event: object) -> None:
        if getattr(event, "double", lambda: False)():
            self._ranges.follow()  # double-click: frame the data again after a zoom
            self.refresh()

    def _on_legend_sample_clicked(self, _curve: object) -> None:
        self._update_readout()

    def _on_toolbar_export_csv_requested(self) -> None:
        export_with_dialog(self, caption="Export losses as CSV", proposed="losses.csv",
                           suffix=".csv", kind="CSV files", write=self.export_csv)

    def _on_toolbar_export_png_requested(self) -> None:
        export_with_dialog(self, caption="Export loss plot as PNG", proposed="losses.png",
                           suffix=".png", kind="PNG images", write=self.export_png)
