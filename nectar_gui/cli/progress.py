"""Turns training reports into terminal output for ``nectar train``.

On a terminal one line is redrawn in place (a bar, step, epoch, it/s, ETA, losses), cut
to the terminal's width; in a log file (a cluster job) a plain line is printed every
``log_every_s`` seconds instead. When the run's diagnosis (``core.diagnosis``) changes
state, its title, evidence and suggestions are printed on lines of their own.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from nectar_gui.core.diagnosis import Diagnosis, HealthTracker
from nectar_gui.core.formatting import format_duration
from nectar_gui.core.training.reports import (
    CheckpointReport,
    ErrorReport,
    LogReport,
    LossReport,
    ProgressReport,
    Report,
    StartedReport,
)


def _bar(fraction: float, width: int = 20) -> str:
    """'[#####---------------]' for 0.25 (ASCII: any terminal encoding can show it)."""
    filled = round(min(max(fraction, 0.0), 1.0) * width)
    return f"[{'#' * filled}{'-' * (width - filled)}]"


class ProgressPrinter:
    """Prints reports; ``show`` returns 1 for an error report, else 0."""

    def __init__(self, *, enabled: bool = True, stream: TextIO | None = None,
                 log_every_s: float = 10.0) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.log_every_s = log_every_s
        self._losses: dict[str, float] = {}
        self._last_line = float("-inf")
        self._drawn = False
        self._health = HealthTracker()

    def show(self, report: Report) -> int:
        if isinstance(report, ErrorReport):
            one_line = "; ".join(ln.strip() for ln in report.message.splitlines() if ln.strip())
            self._println(f"nectar: error: {one_line}", force=True)
            return 1
        if not self.enabled:
            return 0
        if isinstance(report, LossReport):
            self._losses = report.losses
            self._diagnosis(self._health.add(report))
        elif isinstance(report, ProgressReport):
            self._progress(report)
        elif isinstance(report, StartedReport):
            where = f"Run folder: {report.run_dir}" if report.run_dir else "Not saving a run"
            how = f"resumed at step {report.step}" if report.resumed else "new run"
            self._println(f"{where} ({how})")
        elif isinstance(report, LogReport):
            self._println(("warning: " if report.level == "warning" else "") + report.message)
        elif isinstance(report, CheckpointReport) and not self.tty:
            self._println(f"checkpoint saved: {report.path}")
        return 0

    def _progress(self, p: ProgressReport) -> None:
        pct = 100.0 * p.step / max(p.total_steps, 1)
        losses = "  ".join(f"{k} {v:.3g}" for k, v in self._losses.items())
        where = (f"step {p.step}/{p.total_steps} ({pct:.0f}%)  epoch {p.epoch + 1}  "
                 f"{p.it_per_s:.2f} it/s  ETA {format_duration(p.eta_s)}  ")
        line = (where + losses).rstrip()
        if self.tty:
            # A line wider than the terminal wraps, and "\r" cannot redraw a wrapped line:
            # cut it to fit, dropping the bar first, then losses.
            width = max(shutil.get_terminal_size().columns - 1, 20)
            bar = _bar(p.step / max(p.total_steps, 1)) + " "
            line = (bar + line if len(bar + where) <= width else line)[:width]
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()
            self._drawn = True
        elif time.monotonic() - self._last_line >= self.log_every_s:
            self._println(line)
            self._last_line = time.monotonic()

    def _diagnosis(self, diagnosis: Diagnosis | None) -> None:
        """Print a changed diagnosis (the initial "too early" is not news)."""
        if diagnosis is None or diagnosis.state == "too_early":
            return
        self._println(f"health: {diagnosis.title}. {diagnosis.evidence}")
        if diagnosis.state != "healthy":
            for suggestion in diagnosis.suggestions:
                self._println(f"  try: {suggestion}")

    def _println(self, text: str, force: bool = False) -> None:
        if not (self.enabled or force):
            return
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
        self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
