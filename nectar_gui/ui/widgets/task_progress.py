"""One progress line for a background task: a bar, what is happening, and Cancel.

The Translate and Evaluate tabs each show one; they differ only in how they word the
progress, so the bar, the label and the Cancel handshake ("Cancelling…" until the task
ends) live here once.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QWidget

BAR_STEPS = 1000


class TaskProgress(QWidget):
    """A bar, a label and Cancel; ``idle`` hides the bar and Cancel.

    Args:
        cancel_tip: what Cancel does, for its tooltip.
        bar_width: the bar's fixed width in pixels.
        percent: draw the percentage on the bar.
        hide_when_idle: hide the whole strip while idle with nothing to say.
    """

    cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None, *, cancel_tip: str, bar_width: int,
                 percent: bool = False, hide_when_idle: bool = False) -> None:
        super().__init__(parent)
        self._hide_when_idle = hide_when_idle
        self.bar = QProgressBar()
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setFixedWidth(bar_width)
        self.bar.setTextVisible(percent)
        self.bar.setFormat("%p%")
        self.label = QLabel()
        self.label.setMinimumWidth(1)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip(cancel_tip)
        self.row = QHBoxLayout(self)
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(self.bar)
        self.row.addWidget(self.label, 1)
        self.row.addWidget(self.cancel_button)
        self.cancel_button.clicked.connect(self._on_cancel_clicked)

    def busy(self, text: str, *, indeterminate: bool = False) -> None:
        """Started: an empty (or moving, when the share is unknown) bar, Cancel offered."""
        self.show()
        self.bar.show()
        self.bar.setRange(0, 0 if indeterminate else BAR_STEPS)
        self.bar.setValue(0)
        self.label.setText(text)
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)

    def cancelling(self) -> bool:
        """Cancel was pressed and the task has not ended yet ("Cancelling…" is shown)."""
        return not self.cancel_button.isEnabled()

    def set_progress(self, fraction: float, text: str) -> None:
        """The share done (0–1) and what is happening."""
        self.bar.setRange(0, BAR_STEPS)
        self.bar.setValue(round(fraction * BAR_STEPS))
        self.label.setText(text)

    def idle(self, text: str) -> None:
        """Nothing running; ``text`` says how the last task ended."""
        self.bar.hide()
        self.cancel_button.hide()
        self.label.setText(text)
        if self._hide_when_idle:
            self.setVisible(bool(text))  # no empty line between the controls and the rest

    def _on_cancel_clicked(self) -> None:
        self.cancel_button.setEnabled(False)
        self.label.setText("Cancelling…")
        self.cancel_requested.emit()
