"""The Translate tab's progress line: a bar, what is happening, Cancel, Open folder."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QWidget

from nectar_gui.core.formatting import format_duration
from nectar_gui.ui.widgets.task_progress import TaskProgress
from nectar_gui.workers.translate_batch import BatchProgress


class TaskStrip(TaskProgress):
    """Shows a running translation or batch (with Cancel) and the last outcome."""

    open_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, bar_width=220, cancel_tip="Stop after the current tile; "
                         "nothing half-done is written")
        self.folder_button = QPushButton("Open folder")
        self.row.insertWidget(self.row.indexOf(self.cancel_button), self.folder_button)
        self.folder_button.clicked.connect(self.open_folder_requested)
        self.idle("")

    def busy(self, text: str, *, indeterminate: bool = True) -> None:
        """A moving bar with Cancel (loading, the first tile)."""
        super().busy(text, indeterminate=indeterminate)
        self.folder_button.hide()

    def fraction(self, done: float, text: str, seconds_left: float | None) -> None:
        """Progress of one image as a share (tiles done, or an estimate) and time left."""
        left = f" · about {format_duration(seconds_left)} left" if seconds_left else ""
        self.set_progress(done, f"{text} {done:.0%}{left}")

    def batch(self, p: BatchProgress) -> None:
        """Progress of a batch: files done, the current one, the time left."""
        eta = f" · about {format_duration(p.eta_s)} left" if p.eta_s is not None else ""
        current = f" · {p.current}" if p.current else ""
        self.set_progress(p.fraction, f"{p.done} of {p.total} images done{current}{eta}")

    def idle(self, text: str, *, folder: bool = False) -> None:
        """Nothing running; ``text`` says how the last task ended."""
        super().idle(text)
        self.folder_button.setVisible(folder)
