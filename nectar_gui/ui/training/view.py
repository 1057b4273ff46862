"""The Training tab: progress, live loss curves and samples, for a live run or an opened one."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from nectar_gui.ui.training.loss_plot import LossPlot
from nectar_gui.ui.training.progress_strip import ProgressStrip
from nectar_gui.ui.training.sample_view import SampleView


class TrainingView(QWidget):
    """Progress strip over a splitter of loss plots (top) and the sample view (bottom).

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
        self.progress = ProgressStrip()
        self.loss_plot = LossPlot()
        self.sample_view = SampleView()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.loss_plot)
        splitter.addWidget(self.sample_view)
        splitter.setStretchFactor(0, 4)
        splitter.setStretchFactor(1, 3)
        layout.addWidget(self.source_label)
        layout.addWidget(self.progress)
        layout.addWidget(splitter, 1)
        self.set_source(None)

    def set_source(self, text: str | None) -> None:
        """Say what is shown: a live run, an opened run folder, or nothing yet."""
        self.source_label.setText(text or "No run yet — press Start, or open a run folder.")

    def clear(self) -> None:
        """Forget the curves and samples (a new run or another run folder)."""
        self.loss_plot.clear()
        self.sample_view.clear()
        self.progress.reset()
