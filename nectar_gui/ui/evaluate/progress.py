"""The Evaluate tab's progress line: a bar with its percentage, what is measured, Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from nectar_gui.ui.widgets.task_progress import TaskProgress
from nectar_gui.workers.evaluate import EvalProgress


class ProgressStrip(TaskProgress):
    """Shows a running evaluation (with Cancel) and how the last one ended."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, bar_width=160, percent=True, hide_when_idle=True,
                         cancel_tip="Stop before the next image; checkpoints already "
                         "measured stay in the table")
        self.label.setWordWrap(True)
        self.idle("")

    def show_progress(self, p: EvalProgress) -> None:
        """Checkpoint k of n, image i of m."""
        if self.cancelling():
            return  # "Cancelling…" stays until the job ends
        which = f"checkpoint {p.index + 1} of {p.count} (step {p.step:,})"
        images = f": image {p.done} of {p.total}" if p.total else ": loading…"
        self.set_progress(p.fraction, f"Evaluating {which}{images}")
