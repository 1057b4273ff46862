"""The Translate tab's progress line: a bar, what is happening, Cancel, Open folder."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from nectar_gui.core.formatting import format_duration
from nectar_gui.workers.translate_batch import BatchProgress

_BAR_STEPS = 1000


class TaskStrip(QWidget):
    """Shows a running translation or batch (with Cancel) and the last outcome."""

    cancel_requested = Signal()
    open_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setFixedWidth(220)
        self.bar.setTextVisible(False)
        self.label = QLabel()
        self.label.setMinimumWidth(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop after the current tile; nothing half-done is "
                                      "written")
        self.folder_button = QPushButton("Open folder")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.folder_button)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.folder_button.clicked.connect(self.open_folder_requested)
        self.idle("")

    def busy(self, text: str) -> None:
        """An indeterminate bar with Cancel (loading, the first tile)."""
        self.bar.show()
        self.bar.setRange(0, 0)
        self.label.setText(text)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.folder_button.hide()

    def fraction(self, done: float, text: str, seconds_left: float | None) -> None:
        """Progress of one image as a share (tiles done, or an estimate) and time left."""
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setValue(round(done * _BAR_STEPS))
        left = f" · about {format_duration(seconds_left)} left" if seconds_left else ""
        self.label.setText(f"{text} {done:.0%}{left}")

    def batch(self, p: BatchProgress) -> None:
        """Progress of a batch: files done, the current one, the time left."""
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setValue(round(p.fraction * _BAR_STEPS))
        eta = f" · about {format_duration(p.eta_s)} left" if p.eta_s is not None else ""
        current = f" · {p.current}" if p.current else ""
        self.label.setText(f"{p.done} of {p.total} images done{current}{eta}")

    def idle(self, text: str, *, folder: bool = False) -> None:
        """Nothing running; ``text`` says how the last task ended."""
        self.bar.hide()
        self.cancel_button.hide()
        self.folder_button.setVisible(folder)
        self.label.setText(text)

    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")
        self.cancel_requested.emit()
