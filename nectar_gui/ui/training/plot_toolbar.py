"""The loss plot's controls: smoothing, log scale, and export buttons."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton, QSlider, QWidget

from nectar_gui.ui.widgets.flow_layout import FlowLayout, flow_group
from nectar_gui.ui.widgets.plots.items import SMOOTHING_SLIDER_STEPS, smoothing_weight


class PlotToolbar(QWidget):
    """A row of controls over the plots; it only reports what the user asked for."""

    smoothing_changed = Signal(float)  # EMA weight, 0 (off) … 0.999
    log_scale_toggled = Signal(bool)
    export_csv_requested = Signal()
    export_png_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self._connect()

    def _build_ui(self) -> None:
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, SMOOTHING_SLIDER_STEPS)
        self.smoothing_slider.setFixedWidth(160)
        self.smoothing_slider.setToolTip("Exponential moving average of the displayed "
                                         "curves; the logged values are kept as they are")
        self.smoothing_value = QLabel("off")
        self.smoothing_value.setMinimumWidth(52)
        self.smoothing_value.setIndent(6)
        self.log_check = QCheckBox("Log scale")
        self.csv_button = QPushButton("Export CSV…")
        self.png_button = QPushButton("Export PNG…")
        flow = FlowLayout(self, spacing=8)  # wraps beside the quality plot on small screens
        flow.setContentsMargins(0, 0, 0, 6)
        for group in (flow_group(QLabel("Smoothing"), self.smoothing_slider,
                                 self.smoothing_value),
                      flow_group(self.log_check),
                      flow_group(self.csv_button, self.png_button)):
            flow.addWidget(group)

    def _connect(self) -> None:
        self.smoothing_slider.valueChanged.connect(self._on_smoothing_slider_value_changed)
        self.log_check.toggled.connect(self.log_scale_toggled)
        self.csv_button.clicked.connect(self.export_csv_requested)
        self.png_button.clicked.connect(self.export_png_requested)

    def smoothing(self) -> float:
        """The EMA weight the slider stands at."""
        return smoothing_weight(self.smoothing_slider.value())

    def _on_smoothing_slider_value_changed(self, _position: int) -> None:
        weight = self.smoothing()
        self.smoothing_value.setText("off" if weight == 0 else f"{weight:.3f}")
        self.smoothing_changed.emit(weight)
