"""Loss curves of a training run: generator terms above, discriminator terms below."""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPointF, Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from nectar_gui.core.loss_names import LossGroup, loss_group
from nectar_gui.core.training.reports import LossReport
from nectar_gui.ui.loss_history import LossHistory
from nectar_gui.ui.plot_colours import (
    PlotColours,
    plot_colours_for,
    style_axes,
    style_legend,
)
from nectar_gui.ui.plot_items import (
    SMOOTHING_SLIDER_STEPS,
    LossAxis,
    ToggleLegend,
    marker_stride,
    smoothing_weight,
)
from nectar_gui.ui.plot_ranges import RangeFollower, value_bounds

# At most one redraw a second, however fast reports arrive: a redraw and its paint take
# ~20 ms of UI-thread time, which a small model's training thread waits out for the GIL.
REDRAW_INTERVAL_MS = 1000
REDRAW_COST_FACTOR = 10  # … and at least 10× the time the last redraw took …
MAX_REDRAW_INTERVAL_MS = 3000  # … but never less often than this
DOWNSAMPLE_POINTS_PER_PIXEL = 1.5  # logged points per pixel before peak downsampling
LABELLED_EPOCH_MARKERS = 12  # epoch numbers are written on the lines up to this many
GROUP_TITLES: dict[LossGroup, str] = {"G": "Generator loss", "D": "Discriminator loss"}
AXIS_TITLES: dict[LossGroup, str] = {"G": "G loss", "D": "D loss"}  # fit short plots


def _format_value(value: float) -> str:
    return "–" if not math.isfinite(value) else f"{value:.4g}"


class LossPlot(QWidget):
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
        self._marker_steps: tuple[float, ...] = ()
        self._epoch_lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._hover_step: float | None = None
        self._build_ui()
        self._connect()

    # ---- construction ------------------------------------------------------------------
    def _build_ui(self) -> None:
        toolbar = self._build_toolbar()
        self._readout = QLabel()
        self._readout.setTextFormat(Qt.TextFormat.RichText)
        self._readout.setWordWrap(True)
        self._readout.setMinimumHeight(3 * self._readout.fontMetrics().lineSpacing() + 10)
        self._readout.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self._graphics = pg.GraphicsLayoutWidget()
        self._plots = {"G": self._make_plot("G", row=0), "D": self._make_plot("D", row=1)}
        self._plots["D"].setXLink(self._plots["G"])  # G always has curves; D follows it
        self._plots["G"].getAxis("bottom").setStyle(showValues=False)
        self._plots["D"].setLabel("bottom", "Training step")
        self._graphics.ci.layout.setRowStretchFactor(0, 3)
        self._graphics.ci.layout.setRowStretchFactor(1, 2)
        self._crosshairs = [self._add_crosshair(plot) for plot in self._plots.values()]
        self._ranges = RangeFollower([self._plots["G"], self._plots["D"]])
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_INTERVAL_MS)
        self._apply_colours(self._colours)
        layout = QVBoxLayout(self)
        layout.addLayout(toolbar)
        layout.addWidget(self._readout)
        layout.addWidget(self._graphics, 1)
        layout.setSpacing(0)
        self._show_readout_text("No losses logged yet.", "No losses logged yet.")

    def _build_toolbar(self) -> QHBoxLayout:
        self._smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self._smoothing_slider.setRange(0, SMOOTHING_SLIDER_STEPS)
        self._smoothing_slider.setMaximumWidth(220)
        self._smoothing_slider.setToolTip("Exponential moving average of the displayed "
                                          "curves; the logged values are kept as they are")
        self._smoothing_value = QLabel("off")
        self._smoothing_value.setMinimumWidth(52)
        self._smoothing_value.setIndent(6)
        self._log_check = QCheckBox("Log scale")
        self._csv_button = QPushButton("Export CSV…")
        self._png_button = QPushButton("Export PNG…")
        toolbar = QHBoxLayout()
        for widget in (QLabel("Smoothing"), self._smoothing_slider, self._smoothing_value,
                       self._log_check):
            toolbar.addWidget(widget)
        toolbar.addStretch(1)
        toolbar.addWidget(self._csv_button)
        toolbar.addWidget(self._png_button)
        toolbar.setContentsMargins(0, 0, 0, 6)
        return toolbar

    def _make_plot(self, group: LossGroup, *, row: int) -> pg.PlotItem:
        plot = self._graphics.addPlot(row=row, col=0, axisItems={"left": LossAxis("left")})
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setLabel("left", AXIS_TITLES[group])
        plot.setClipToView(True)  # the PlotItem imposes these on every curve it holds
        plot.setDownsampling(auto=True, mode="peak")
        plot.setMenuEnabled(False)
        for side in ("left", "bottom"):
            plot.getAxis(side).enableAutoSIPrefix(False)
        plot.getAxis("left").setWidth(64)  # equal widths keep the two step axes aligned
        # In its own column right of the plot: over the curves it hid data on short plots.
        legend = ToggleLegend(colCount=2 if group == "G" else 1,
                              labelTextSize="9pt", verSpacing=-4)
        legend.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)  # no stretch
        self._graphics.addItem(legend, row=row, col=1)
        self._graphics.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop)
        plot.legend = legend  # PlotItem.addItem then lists every named curve in it
        return plot

    @staticmethod
    def _add_crosshair(plot: pg.PlotItem) -> pg.InfiniteLine:
        line = pg.InfiniteLine(angle=90, movable=False)
        line.setZValue(10)
        line.hide()
        plot.addItem(line, ignoreBounds=True)
        return line

    def _connect(self) -> None:
        self._smoothing_slider.valueChanged.connect(self._on_smoothing_slider_value_changed)
        self._log_check.toggled.connect(self._on_log_check_toggled)
        self._csv_button.clicked.connect(self._on_csv_button_clicked)
        self._png_button.clicked.connect(self._on_png_button_clicked)
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
        self._set_epoch_markers((), ())
        self._ranges.follow()
        self._hover_step = None
        for line in self._crosshairs:
            line.hide()
        self._show_readout_text("No losses logged yet.", "No losses logged yet.")

    def point_count(self) -> int:
        """Logged points held (one per step, however many loss terms it has)."""
        return len(self._history)

    def history(self) -> LossHistory:
        """The stored, unsmoothed history (read it; add points through this widget)."""
        return self._history

    # ---- display options ---------------------------------------------------------------
    def smoothing(self) -> float:
        """The EMA weight applied on display: 0 (off) to 0.999."""
        return smoothing_weight(self._smoothing_slider.value())

    def set_smoothing_position(self, position: int) -> None:
        """Move the smoothing slider (0 … SMOOTHING_SLIDER_STEPS)."""
        self._smoothing_slider.setValue(position)

    def set_log_scale(self, enabled: bool) -> None:
        self._log_check.setChecked(enabled)

    def is_log_scale(self) -> bool:
        return self._log_check.isChecked()

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
        return list(self._marker_steps)

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
        self._set_epoch_markers(*self._history.epoch_starts())
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

    def _set_epoch_markers(self, steps: np.ndarray | Sequence[float],
                           epochs: np.ndarray | Sequence[float]) -> None:
        stride = marker_stride(len(steps))
        chosen = [(float(s), int(e)) for s, e in zip(steps, epochs, strict=True)
                  if e % stride == 0]
        if tuple(s for s, _ in chosen) == self._marker_steps:
            return
        self._marker_steps = tuple(s for s, _ in chosen)
        for plot, line in self._epoch_lines:
            plot.removeItem(line)
        self._epoch_lines = []
        labelled = len(chosen) <= LABELLED_EPOCH_MARKERS
        muted = self._colours.muted
        pen = pg.mkPen(muted, width=1, style=Qt.PenStyle.DashLine)
        for group, plot in self._plots.items():
            for step, epoch in chosen:
                label = f"epoch {epoch + 1}" if labelled and group == "D" else None
                line = pg.InfiniteLine(step, angle=90, movable=False, pen=pen, label=label,
                                       labelOpts={"position": 0.08, "color": muted})
                plot.addItem(line, ignoreBounds=True)
                self._epoch_lines.append((plot, line))

    # ---- hover readout -----------------------------------------------------------------
    def show_readout_at(self, step: float | None) -> str:
        """Show the values at the logged step nearest ``step`` (None: the latest point,
        no crosshair) and return the readout as plain text."""
        self._hover_step = step
        return self._update_readout()

    def readout_text(self) -> str:
        return self._readout_plain

    def _update_readout(self) -> str:
        latest = None if len(self._history) == 0 else len(self._history) - 1
        row = latest if self._hover_step is None else self._history.nearest_row(
            self._hover_step)
        for line in self._crosshairs:
            line.setVisible(row is not None and self._hover_step is not None)
        if row is None:
            return self._show_readout_text("No losses logged yet.", "No losses logged yet.")
        step = float(self._history.steps()[row])
        for line in self._crosshairs:
            line.setPos(step)
        return self._show_readout_text(*self._readout_lines(row))

    def _readout_lines(self, row: int) -> tuple[str, str]:
        epoch = self._history.epochs()[row]
        header = f"step {int(self._history.steps()[row]):,}"
        header += "" if math.isnan(epoch) else f" · epoch {int(epoch) + 1}"
        weight = self.smoothing()
        plain, rich = [header], [f"<b>{header}</b>"]
        for group, title in GROUP_TITLES.items():
            names = [n for n in self.group_curve_names(group) if self.is_curve_visible(n)]
            parts_plain, parts_rich = [], []
            for name in names:
                raw = float(self._history.values(name)[row])
                shown = float(self._history.smoothed(name, weight)[row])
                text = _format_value(shown)
                text += f" (raw {_format_value(raw)})" if weight > 0 else ""
                colour = self._curves[name].opts["pen"].color().name()
                parts_plain.append(f"{name} {text}")
                parts_rich.append(f"<span style='color:{colour}'>■ {html.escape(name)}</span>"
                                  f" {html.escape(text)}")
            if names:
                plain.append(f"{title}: " + "  ".join(parts_plain))
                rich.append(f"<span style='color:{self._colours.muted}'>{title}:</span> "
                            + "&nbsp;&nbsp;".join(parts_rich))
        return "\n".join(plain), "<br>".join(rich)

    def _show_readout_text(self, plain: str, rich: str) -> str:
        self._readout_plain = plain
        self._readout.setText(rich)
        return plain

    # ---- theme ------------------------------------------------------------------------
    def plot_colours(self) -> PlotColours:
        """The colours the plots are drawn with now (they follow the palette)."""
        return self._colours

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange:
            colours = plot_colours_for(self.palette())
            if colours != self._colours:
                self._apply_colours(colours)
        super().changeEvent(event)

    def _curve_pen_colour(self, name: str) -> str:
        curves = self._colours.curves
        return curves[self._curve_colour[name] % len(curves)]

    def _apply_colours(self, colours: PlotColours) -> None:
        self._colours = colours
        # the readout shares the plots' background so the curve colours read alike
        self._readout.setStyleSheet(f"QLabel {{ background: {colours.background}; color: "
                                    f"{colours.foreground}; padding: 4px 8px; }}")
        self._graphics.setBackground(colours.background)
        for plot in self._plots.values():
            style_axes(plot, colours)
            style_legend(plot.legend, colours)
        for line in self._crosshairs:
            line.setPen(pg.mkPen(colours.crosshair, width=1))
        for name, curve in self._curves.items():
            curve.setPen(pg.mkPen(self._curve_pen_colour(name), width=1))
        self._marker_steps = ()  # redrawn in the new colour
        self._set_epoch_markers(*self._history.epoch_starts())
        self._update_readout()

    # ---- handlers ----------------------------------------------------------------------
    def _on_scene_mouse_moved(self, pos: QPointF) -> None:
        for plot in self._plots.values():
            if plot.vb.sceneBoundingRect().contains(pos):
                self.show_readout_at(plot.vb.mapSceneToView(pos).x())
                return
        if self._hover_step is not None:
            self.show_readout_at(None)

    def _on_smoothing_slider_value_changed(self, position: int) -> None:
        weight = smoothing_weight(position)
        self._smoothing_value.setText("off" if weight == 0 else f"{weight:.3f}")
        self._schedule_redraw()

    def _on_log_check_toggled(self, checked: bool) -> None:
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

    def _on_csv_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export losses as CSV", "losses.csv",
                                              "CSV files (*.csv)")
        if path:
            self._export(self.export_csv, path)

    def _on_png_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export loss plot as PNG",
                                              "losses.png", "PNG images (*.png)")
        if path:
            self._export(self.export_png, path)

    def _export(self, write: Any, path: str) -> None:
        try:
            write(path)
        except OSError as exc:
            QMessageBox.warning(self, "Export failed", f"Could not write {path}: {exc}")
