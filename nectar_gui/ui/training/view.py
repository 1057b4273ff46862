"""The Training tab: progress, loss and validation curves and samples, live or opened."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSplitter, QTabWidget, QVBoxLayout, QWidget

from nectar_gui.ui.training.health_plot import HealthBadge, HealthPlot
from nectar_gui.ui.training.loss_plot import LossPlot
from nectar_gui.ui.training.probe_timeline import ProbeTimeline
from nectar_gui.ui.training.progress_strip import ProgressStrip
from nectar_gui.ui.training.sample_view import SampleView
from nectar_gui.ui.training.validation_plot import ValidationPlot


class TrainingView(QWidget):
    """Progress strip over a splitter of the curves (top) and the sample view (bottom).

    The curves are the loss plots with the validation metrics beside them.

    The main window feeds it from the training worker or from a run follower; this
    widget only shows what it is given.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()

    def _build_ui(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)  # every pixel counts on a 640-pixel screen
        layout.setSpacing(4)
        self.source_label = QLabel()
        self.source_label.setObjectName("sourceLabel")
        self.source_label.setTextFormat(Qt.TextFormat.PlainText)
        self.source_label.setWordWrap(True)  # a long run path wraps instead of widening
        self.progress = ProgressStrip()
        self.loss_plot = LossPlot()
        self.validation_plot = ValidationPlot()
        self.health_plot = HealthPlot()
        self.health_badge = HealthBadge()
        self.side = QTabWidget()  # beside the losses: measured quality, and D's health
        self.side.setDocumentMode(True)
        self.side.addTab(self.validation_plot, "Quality")
        self.side.addTab(self.health_plot, "D's health")
        self.probes = ProbeTimeline()
        self.side.addTab(self.probes, "Probes")
        self.sample_view = SampleView()
        # Quality beside the losses: it shares their steps but not their scale.
        self.curves = QSplitter(Qt.Orientation.Horizontal)
        self.curves.addWidget(self.loss_plot)
        self.curves.addWidget(self.side)
        self.curves.setStretchFactor(0, 3)
        self.curves.setStretchFactor(1, 1)
        self.curves.setCollapsible(0, False)  # the quality panel may be folded away
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.curves)
        splitter.addWidget(self.sample_view)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(self.source_label)
        top = QHBoxLayout()
        top.addWidget(self.progress, 3)
        top.addWidget(self.health_badge, 2)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        self.health_plot.diagnosis_changed.connect(self.health_badge.show_diagnosis)
        self.set_source(None)

    def set_source(self, text: str | None) -> None:
        """Say what is shown: a live run, an opened run folder, or nothing yet."""
        self.source_label.setText(text or "No run yet — press Start, or open a run folder.")

    def clear(self) -> None:
        """Forget the curves and samples (a new run or another run folder)."""
        self.loss_plot.clear()
        self.validation_plot.clear()
        self.health_plot.clear()
        self.probes.set_run(None)
        self.health_badge.show_diagnosis(None)
        self.sample_view.clear()
        self.progress.reset()
