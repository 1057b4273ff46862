"""The views a run feeds — live or opened — so both routes share one way to reach them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from nectar_gui.ui.inspector import InspectorTab
from nectar_gui.ui.shell.log_panel import LogPanel
from nectar_gui.ui.training.view import TrainingView


@dataclass(frozen=True)
class RunViews:
    """The Training tab, the Inspector and the log: where a run's reports are shown."""

    training_view: TrainingView
    inspector: InspectorTab
    log_panel: LogPanel

    def clear(self) -> None:
        """Forget the previous run's curves and samples."""
        self.training_view.clear()
        self.inspector.clear()
        self.inspector.set_run(None)

    def set_sample_steps(self, steps: Sequence[int], load: Callable[[int], Any]) -> None:
        """Saved sample steps (``load(step)`` reads one) for the sample view and inspector."""
        self.training_view.sample_view.set_steps(steps, load)
        self.inspector.set_steps(steps, load)
