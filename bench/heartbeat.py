"""A UI heartbeat for the GUI benches: how late a precise timer's ticks arrive.

The event loop runs the timer's slot only when it is free, so the lateness of each tick
is how long the UI was busy (or waiting for the GIL) at that moment.
"""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, Qt, QTimer


class Heartbeat:
    """A precise timer that records how late each tick arrives, in milliseconds."""

    def __init__(self, interval_ms: int = 10) -> None:
        self.interval = interval_ms
        self.lateness_ms: list[float] = []
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        elapsed = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.lateness_ms.append(max(0.0, elapsed - self.interval))


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0…1) of ``values`` (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]
