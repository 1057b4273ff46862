"""The progress strip keeps a paused or stopped run's progress and fills on completion."""

from __future__ import annotations

from typing import Any

from nectar_gui.core.training.reports import ProgressReport
from nectar_gui.ui.training.progress_strip import ProgressStrip


def report(step: int) -> ProgressReport:
    return ProgressReport(step=step, epoch=0, total_steps=200, steps_per_epoch=100,
                          it_per_s=5.0, eta_s=30.0)


def test_pause_keeps_progress_after_the_busy_bar(qtbot: Any) -> None:
    strip = ProgressStrip()
    qtbot.addWidget(strip)
    strip.show_progress(report(50))
    assert (strip.bar.value(), strip.bar.maximum()) == (50, 200)
    strip.set_busy("Pausing after this step…")
    assert strip.bar.maximum() == 0  # indeterminate while waiting
    strip.hold("Paused at step 50")
    assert (strip.bar.value(), strip.bar.maximum()) == (50, 200)
    assert strip.label.text() == "Paused at step 50"


def test_completed_run_fills_the_bar_and_reset_empties_it(qtbot: Any) -> None:
    strip = ProgressStrip()
    qtbot.addWidget(strip)
    strip.show_progress(report(190))
    strip.hold("Finished at step 200 (completed)", complete=True)
    assert strip.bar.value() == strip.bar.maximum() == 200
    strip.reset()
    assert (strip.bar.value(), strip.bar.maximum()) == (0, 1)
    assert strip.label.text() == "Not training"
