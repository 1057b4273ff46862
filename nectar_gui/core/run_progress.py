"""Where a run written elsewhere has got to: its progress and an ETA, from its files.

A run folder opened in the app may still be written by a headless or multi-GPU run. Its
``plan.json`` says how many steps it is meant to take; the wall times in
``metrics.jsonl`` say how fast it has been going lately. No torch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nectar_gui.core.rundir import RunPlan
from nectar_gui.core.training.reports import ProgressReport

RATE_WINDOW = 20  # latest metrics lines used for the speed: resumes leave gaps further back
QUIET_MIN_S = 120.0  # a run silent this long (and 10 logging intervals) is not running now


def last_written(records: Sequence[Mapping[str, Any]], now: float) -> float | None:
    """Seconds since the newest line was written, when the run looks stopped, else None.

    "Stopped" means silent for longer than both QUIET_MIN_S and ten times its usual
    interval between lines, so a slow run that logs every minute is not called stopped.
    """
    try:
        times = [float(r["time"]) for r in records[-RATE_WINDOW:]]
    except (KeyError, TypeError, ValueError):
        return None
    if not times:
        return None
    usual = (times[-1] - times[0]) / max(len(times) - 1, 1)
    quiet = now - times[-1]
    return quiet if quiet > max(QUIET_MIN_S, 10 * usual) else None


def opened_run_progress(records: Sequence[Mapping[str, Any]], plan: RunPlan | None
                        ) -> ProgressReport | None:
    """A progress report for the newest metrics line, or None without a plan or lines.

    The speed comes from the last ``RATE_WINDOW`` lines (steps over wall-clock seconds);
    with fewer than two lines, or no time between them, there is no ETA.
    """
    if plan is None or not records:
        return None
    last = records[-1]
    step, epoch = int(last.get("step", 0)), int(last.get("epoch") or 0)
    window = list(records[-RATE_WINDOW:])
    rate = _rate(window[0], last) if len(window) > 1 else 0.0
    left = max(plan.total_steps - step, 0)
    eta = left / rate if rate > 0 else (0.0 if left == 0 else None)
    return ProgressReport(step=step, epoch=epoch, total_steps=plan.total_steps,
                          steps_per_epoch=plan.steps_per_epoch, it_per_s=rate, eta_s=eta)


def _rate(first: Mapping[str, Any], last: Mapping[str, Any]) -> float:
    try:
        seconds = float(last["time"]) - float(first["time"])
        steps = int(last["step"]) - int(first["step"])
    except (KeyError, TypeError, ValueError):
        return 0.0
    return steps / seconds if seconds > 0 and steps > 0 else 0.0
