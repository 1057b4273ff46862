"""Which checkpoint is BEST, how it was chosen, and the two ways to change it.

Translate, export and Ask D load the checkpoint ``checkpoints/BEST`` names by default,
so the panel says plainly which one that is and who chose it: the user, an automatic
choice by a metric, or validation during training.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from nectar_gui.core.evaluation.best import BestMark, write_best
from nectar_gui.core.evaluation.records import StepEvaluation, metric_name, ranking_value
from nectar_gui.ui.evaluate.metrics import format_value

_HOW = {"user": "marked by hand", "eval": "chosen by evaluation",
        "validation": "chosen by validation during training"}


FILE_NOTE = ("A generator file is not a run: there is no best checkpoint to mark. "
             "Evaluate several files, or a run, to compare checkpoints.")


def mark_by_user(checkpoints_dir: Path, step: int, metric: str,
                 shown: StepEvaluation | None) -> BestMark:
    """Write BEST for ``step``, the user's choice; with its ``metric`` mean when evaluated.

    Raises:
        OSError, ValueError: BEST could not be written.
    """
    value = ranking_value(shown.mean, metric) if shown and metric else None
    chosen_by = metric if shown else None
    write_best(checkpoints_dir, step, metric=chosen_by, value=value, by="user")
    return BestMark(step, chosen_by, value, "user")


def describe_best(mark: BestMark | None) -> str:
    """Rich text: "★ BEST: step 400 — chosen by evaluation, PSNR (dB) 23.41"."""
    if mark is None:
        return ("<span style='color:gray'>No best checkpoint is marked yet: Translate and "
                "export use the latest one.</span>")
    how = _HOW.get(mark.by or "", f"chosen by {escape(mark.by)}" if mark.by else "")
    value = (f", {escape(metric_name(mark.metric))} {format_value(mark.value)}"
             if mark.metric and mark.value is not None else
             f", by {escape(metric_name(mark.metric))}" if mark.metric else "")
    tail = f" — {how}{value}" if how or value else ""
    return f"<b>★ BEST: step {mark.step:,}</b>{tail}"


class BestPanel(QWidget):
    """BEST's step and origin; "Mark step N as best"; "Pick the best by <metric>"."""

    mark_requested = Signal()
    auto_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.RichText)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.mark_button = QPushButton("Mark as best")
        self.mark_button.setToolTip("Point checkpoints/BEST at the checkpoint shown; "
                                    "Translate, export and Ask D then use it by default")
        self.auto_button = QPushButton("Pick the best")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.status)
        layout.addWidget(self.mark_button)
        layout.addWidget(self.auto_button)
        self.mark_button.clicked.connect(self.mark_requested)
        self.auto_button.clicked.connect(self.auto_requested)
        self.set_mark(None)
        self.update_state(step=None, metric="", evaluated=0, busy=False)

    def set_mark(self, mark: BestMark | None, *, file: bool = False) -> None:
        """Say what BEST is; a generator file has none (its buttons hide)."""
        self.status.setText(FILE_NOTE if file else describe_best(mark))
        self.mark_button.setVisible(not file)
        self.auto_button.setVisible(not file)

    def update_state(self, *, step: int | None, metric: str, evaluated: int,
                     busy: bool) -> None:
        """Button texts and whether they can be used now."""
        self.mark_button.setText(f"Mark step {step:,} as best" if step is not None
                                 else "Mark as best")
        self.mark_button.setEnabled(step is not None and not busy)
        label = metric_name(metric) if metric else "a metric"
        self.auto_button.setText(f"Pick the best by {label}")
        self.auto_button.setToolTip(
            f"Mark the evaluated checkpoint with the best mean {label} as BEST "
            f"({evaluated} evaluated on this split)" if evaluated else
            "Evaluate some checkpoints first; the best of them by the chosen metric "
            "becomes BEST")
        self.auto_button.setEnabled(evaluated > 0 and bool(metric) and not busy)
