"""Step, epoch, speed and ETA of the current run, with a progress bar."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from nectar_gui.core.formatting import format_duration
from nectar_gui.core.training.reports import ProgressReport


class ProgressStrip(QWidget):
    """Shows a ProgressReport: 'Step 120 / 4,000 · epoch 1 of 20 · 12.3 it/s · ETA 5m12s'."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._build_ui()
        self.reset()

    def _build_ui(self) -> None:
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.bar.setMinimumWidth(80)
        self.bar.setMaximumWidth(220)
        self.label = QLabel()
        self.label.setWordWrap(True)  # a narrow window gets two lines, never a wider window
        layout.addWidget(self.bar)
        layout.addWidget(self.label, 1)

    def reset(self, text: str = "Not training") -> None:
        """Back to idle with ``text``."""
        self._last = (1, 0)  # (total steps, step) of the latest progress report
        self.bar.setRange(0, 1)
        self.bar.setValue(0)
        self.bar.hide()  # an empty bar beside "Not training" reads as something broken
        self.label.setText(text)

    def hold(self, text: str, *, complete: bool = False) -> None:
        """Keep the bar where the run got to (paused, stopped), or fill it (completed)."""
        total, step = self._last  # set_busy may have made the bar indeterminate since
        self.bar.show()
        self.bar.setRange(0, total)
        self.bar.setValue(total if complete else step)
        self.label.setText(text)

    def set_busy(self, text: str) -> None:
        """An indeterminate bar (setting up, stopping)."""
        self.bar.show()
        self.bar.setRange(0, 0)
        self.label.setText(text)

    def show_progress(self, p: ProgressReport) -> None:
        """Update from a progress report."""
        self._last = (max(p.total_steps, 1), p.step)
        self.bar.show()
        self.bar.setRange(0, self._last[0])
        self.bar.setValue(p.step)
        epochs = max(1, -(-p.total_steps // max(p.steps_per_epoch, 1)))
        self.label.setText(
            f"Step {p.step:,} / {p.total_steps:,} · epoch {p.epoch + 1} of {epochs} · "
            f"{p.it_per_s:.2f} it/s · ETA {format_duration(p.eta_s)}")

    def show_stopped(self, p: ProgressReport, quiet_s: float) -> None:
        """A run folder nobody writes now: where it got to, and for how long it has not
        moved (no speed or ETA: they would describe a run that is not running)."""
        self.show_progress(p)
        epochs = max(1, -(-p.total_steps // max(p.steps_per_epoch, 1)))
        self.label.setText(f"Step {p.step:,} / {p.total_steps:,} · epoch {p.epoch + 1} of "
                           f"{epochs} · not written for {format_duration(quiet_s)} "
                           "(stopped, or paused elsewhere)")
