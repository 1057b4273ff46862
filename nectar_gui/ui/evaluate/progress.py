"""The Evaluate tab's progress line: a bar with its percentage, what is measured, Cancel."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

from nectar_gui.workers.evaluate import EvalProgress

_BAR_STEPS = 1000


class ProgressStrip(QWidget):
    """Shows a running evaluation (with Cancel) and how the last one ended."""

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bar = QProgressBar()
        self.bar.setRange(0, _BAR_STEPS)
        self.bar.setFixedWidth(160)
        self.bar.setFormat("%p%")
        self.label = QLabel()
        self.label.setMinimumWidth(1)
        self.label.setWordWrap(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop before the next image; checkpoints already "
                                      "measured stay in the table")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)
        self.idle("")

    def busy(self, text: str) -> None:
        """Started: an empty bar, Cancel available."""
        self.show()
        self.bar.show()
        self.bar.setValue(0)
        self.label.setText(text)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)

    def show_progress(self, p: EvalProgress) -> None:
        """Checkpoint k of n, image i of m."""
        if not self.cancel_button.isEnabled():
            return  # "Cancelling…" stays until the job ends
        self.bar.setValue(round(p.fraction * _BAR_STEPS))
        which = f"checkpoint {p.index + 1} of {p.count} (step {p.step:,})"
        images = f": image {p.done} of {p.total}" if p.total else ": loading…"
        self.label.setText(f"Evaluating {which}{images}")

    def idle(self, text: str) -> None:
        """Nothing running; ``text`` says how the last evaluation ended."""
        self.bar.hide()
        self.cancel_button.hide()
        self.label.setText(text)
        self.setVisible(bool(text))  # no empty line between the controls and the rest

    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")
        self.cancel_requested.emit()
