"""D's health over a run: its patch accuracies and both networks' gradient norms, and the
verdict on the tug-of-war in plain words (``core.diagnosis``).

Fed with the same records as the loss plot (``metrics.jsonl`` lines carry a ``d_health``
object; live ``LossReport``s carry ``d_health``), so live, resumed, opened and followed
runs show the same. Redrawn from a timer, like the loss plot.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFontMetrics, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from nectar_gui.core.diagnosis import Diagnosis, HealthTracker, MetricPoint
from nectar_gui.core.training.reports import LossReport
from nectar_gui.ui.widgets.plots.colours import (
    PlotColours,
    ThemedPlots,
    plot_colours_for,
    style_axes,
)
from nectar_gui.ui.widgets.plots.items import LossAxis, StepAxis

REDRAW_INTERVAL_MS = 1000
STATE_COLOURS = {"healthy": "#2e8b57", "d_overpowering": "#b9770e", "d_blind": "#b9770e",
                 "g_copying": "#b9770e", "g_collapse": "#c0392b", "diverging": "#c0392b"}
NO_SIGNALS = ("No D-health signals in this run yet. Runs trained with this version log "
              "D's patch accuracy and the gradient norms with the losses.")


def signal_group(name: str) -> str | None:
    """Which plot a d_health key belongs to: "acc", "grad", or None (scores: readout only)."""
    if name.startswith("acc_"):
        return "acc"
    if name.startswith("grad_norm_"):
        return "grad"
    return None


def signal_label(name: str) -> str:
    """``acc_fake_B`` → "D_B right on fake"; ``grad_norm_G`` → "‖∇G‖"."""
    if name.startswith("grad_norm_"):
        return f"‖∇{name.removeprefix('grad_norm_')}‖"
    parts = name.split("_")  # acc, real|fake, [A|B]
    who = f"D_{parts[2]}" if len(parts) > 2 else "D"
    return f"{who} right on {parts[1]}"


def diagnosis_html(diagnosis: Diagnosis) -> str:
    """The verdict as a short rich text: title, evidence, and what to try."""
    tips = "".join(f"<li>{html.escape(tip)}</li>" for tip in diagnosis.suggestions)
    return (f"<b>{html.escape(diagnosis.title)}</b> — {html.escape(diagnosis.evidence)}"
            + (f"<ul style='margin:2px 0 0 -20px'>{tips}</ul>" if tips else ""))


class HealthPlot(ThemedPlots):
    """Accuracy (top) and gradient norms (bottom, log scale) over steps, and the verdict.

    ``diagnosis_changed`` fires when the verdict changes, in state or evidence (the strip
    over the Training tab shows it); ``diagnosis()`` is the latest verdict.
    """

    diagnosis_changed = Signal(object)  # Diagnosis: a new state, or fresh evidence for it

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._steps: list[int] = []
        self._values: dict[str, list[float]] = {}
        self._tracker = HealthTracker()
        self._shown: Diagnosis | None = None  # the verdict last announced
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._colours = plot_colours_for(self.palette())
        self._build_ui()
        self._apply_colours(self._colours)

    def _build_ui(self) -> None:
        self.verdict = QLabel(NO_SIGNALS)
        self.verdict.setWordWrap(True)
        self.verdict.setTextFormat(Qt.TextFormat.RichText)
        self.verdict.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumHeight(160)
        self.plots = {group: self._make_plot(row, title)
                      for row, (group, title) in enumerate((("acc", "accuracy"),
                                                            ("grad", "grad norm")))}
        self.plots["grad"].setXLink(self.plots["acc"])
        self.plots["grad"].setLogMode(x=False, y=True)
        self.plots["acc"].setYRange(0, 1, padding=0.02)
        self.plots["acc"].addItem(pg.InfiniteLine(0.5, angle=0, movable=False,
                                                  pen=pg.mkPen("#888888", width=1,
                                                               style=Qt.PenStyle.DotLine)))
        self._timer = QTimer(self, singleShot=True, interval=REDRAW_INTERVAL_MS)
        self._timer.timeout.connect(self.refresh)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.verdict)
        layout.addWidget(self.graphics, 1)

    def _make_plot(self, row: int, title: str) -> pg.PlotItem:
        plot = self.graphics.addPlot(row=row, col=0, axisItems={
            "left": LossAxis("left"), "bottom": StepAxis("bottom")})
        plot.setLabel("left", title)
        plot.showGrid(x=True, y=True, alpha=0.15)
        plot.setMenuEnabled(False)
        plot.addLegend(offset=(-4, 4), labelTextSize="8pt", verSpacing=-6)
        return plot

    # ---- data in ------------------------------------------------------------------------
    def add_report(self, report: LossReport) -> None:
        """A live loss report (its ``d_health`` values)."""
        self._add(report.step, report.d_health, report)

    def add_points(self, records: Sequence[Mapping[str, Any]]) -> None:
        """metrics.jsonl records, oldest first (a resumed history, or a followed run)."""
        for record in records:
            point = MetricPoint.from_record(record)
            self._add(point.step, point.d_health, point)

    def clear(self) -> None:
        """Forget everything (a new run, or a rewritten history)."""
        self._steps, self._values, self._tracker = [], {}, HealthTracker()
        self._shown = None
        for group, plot in self.plots.items():
            for name in [n for n in self._curves if signal_group(n) == group]:
                plot.legend.removeItem(self._curves[name])
                plot.removeItem(self._curves.pop(name))
        self.verdict.setText(NO_SIGNALS)

    def diagnosis(self) -> Diagnosis | None:
        """The latest verdict (None before any point)."""
        return self._tracker.current

    def signal_names(self) -> list[str]:
        """The d_health keys seen so far."""
        return list(self._values)

    def _add(self, step: int, signals: Mapping[str, float], point: Any) -> None:
        if self._steps and step <= self._steps[-1]:  # a resumed run went back: drop after
            keep = int(np.searchsorted(np.array(self._steps), step))
            self._steps = self._steps[:keep]
            self._values = {k: v[:keep] for k, v in self._values.items()}
        for name in signals:
            self._values.setdefault(name, [math.nan] * len(self._steps))
        self._steps.append(step)
        for name, column in self._values.items():
            column.append(float(signals.get(name, math.nan)))
        self._tracker.add(point)
        current = self._tracker.current
        if current is not None and current != self._shown:  # new state, or new evidence
            self._shown = current
            self.diagnosis_changed.emit(current)
        if not self._timer.isActive():
            self._timer.start()

    # ---- drawing ------------------------------------------------------------------------
    def refresh(self) -> None:
        """Redraw now (the timer calls this after new points)."""
        self._timer.stop()
        steps = np.array(self._steps, dtype=float)
        for name, column in self._values.items():
            group = signal_group(name)
            if group is None:
                continue
            if name not in self._curves:
                self._curves[name] = self._new_curve(name, group)
            values = np.array(column, dtype=float)
            if group == "grad":  # log scale: non-positive values cannot be drawn
                values = np.where(values > 0, values, np.nan)
            self._curves[name].setData(steps, values, connect="finite")
        current = self._tracker.current
        if current is not None and self._values:
            self.verdict.setText(diagnosis_html(current))
        elif not self._values:
            self.verdict.setText(NO_SIGNALS)

    def _new_curve(self, name: str, group: str) -> pg.PlotDataItem:
        index = sum(signal_group(n) == group for n in self._curves)
        colour = self._colours.curves[index % len(self._colours.curves)]
        style = Qt.PenStyle.DashLine if "fake" in name else Qt.PenStyle.SolidLine
        curve = pg.PlotDataItem(name=signal_label(name),
                                pen=pg.mkPen(colour, width=1, style=style))
        self.plots[group].addItem(curve)
        return curve

    # ---- theme --------------------------------------------------------------------------
    def _apply_colours(self, colours: PlotColours) -> None:
        self._colours = colours
        self.graphics.setBackground(colours.background)
        for plot in self.plots.values():
            style_axes(plot, colours)


class HealthBadge(QLabel):
    """The health strip: the verdict's title, coloured by how worrying it is, and its
    evidence on the same line (cut to fit); what to try is in its tooltip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self._diagnosis: Diagnosis | None = None
        self.show_diagnosis(None)

    def show_diagnosis(self, diagnosis: Diagnosis | None) -> None:
        """Show ``diagnosis`` (None: nothing to judge yet)."""
        self._diagnosis = diagnosis
        self.setToolTip(diagnosis_html(diagnosis) if diagnosis is not None else "")
        self._render()

    def plain_text(self) -> str:
        """The strip's text without markup (for tests and screen readers)."""
        d = self._diagnosis
        return "" if d is None else f"D vs G: {d.title} — {d.evidence}"

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._render()

    def _render(self) -> None:
        d = self._diagnosis
        if d is None:
            self.setText("")
            return
        colour = STATE_COLOURS.get(d.state, "#888888")
        bold = self.font()
        bold.setBold(True)  # the title is drawn bold: measure it so
        head = (self.fontMetrics().horizontalAdvance("● D vs G:  — ")
                + QFontMetrics(bold).horizontalAdvance(d.title))
        room = self.width() - head - 12
        evidence = self.fontMetrics().elidedText(d.evidence, Qt.TextElideMode.ElideRight,
                                                 max(room, 0))
        self.setText(f"<span style='color:{colour}'>●</span> D vs G: "
                     f"<b>{html.escape(d.title)}</b> — {html.escape(evidence)}")
