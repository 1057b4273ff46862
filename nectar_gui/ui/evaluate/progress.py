"""The Evaluate tab's progress line: a bar with its percentage, what is measured, Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from nectar_gui.core.formatting import format_duration
from nectar_gui.ui.widgets.task_progress import TaskProgress
from nectar_gui.workers.evaluate import EvalEnd, EvalProgress


class ProgressStrip(TaskProgress):
    """Shows a running evaluation (with Cancel) and how the last one ended."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, bar_width=160, percent=True, hide_when_idle=True,
                         cancel_tip="Stop before the next image; checkpoints already "
                         "measured stay in the table")
        self.label.setWordWrap(True)
        self.idle("")

    def show_progress(self, p: EvalProgress, file_name: str | None = None) -> None:
        """Checkpoint k of n (or the generator file), image i of m."""
        if self.cancelling():
            return  # "Cancelling…" stays until the job ends
        which = file_name or f"checkpoint {p.index + 1} of {p.count} (step {p.step:,})"
        images = f": image {p.done} of {p.total}" if p.total else ": loading…"
        self.set_progress(p.fraction, f"Evaluating {which}{images}")

    def show_end(self, end: EvalEnd, seconds: float, file_name: str | None = None) -> None:
        """How the evaluation ended, and what it measured."""
        done = (f"{file_name} measured" if file_name and end.evaluated else
                f"{end.evaluated} checkpoint(s) measured")
        took = f"{seconds:.1f} s" if seconds < 60 else format_duration(seconds)
        self.idle({"ok": f"Done: {done} in {took}.",
                   "cancelled": f"Evaluation cancelled; {done} before that.",
                   }.get(end.outcome, f"Evaluation failed; {done} before that."))
