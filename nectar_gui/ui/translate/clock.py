"""A running translation's percentage and time left, even when the worker says nothing.

A whole image goes through the generator in one call: the worker reports no progress
until it returns. This clock estimates instead, from the image's pixels and the speed
measured on the images translated before (``core.translate.estimate``); tiled images
report tiles, and their elapsed time gives the time left.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QTimer

from nectar_gui.core.formatting import format_duration
from nectar_gui.core.translate.estimate import RateEstimator
from nectar_gui.ui.translate.progress import TaskStrip

TICK_MS = 250


class TranslateClock(QObject):
    """Drives the task strip while one image translates."""

    def __init__(self, parent: QObject, strip: TaskStrip) -> None:
        super().__init__(parent)
        self.strip = strip
        self.rate = RateEstimator()
        self._pixels = 0
        self._started = 0.0
        self._tiles: tuple[int, int] | None = None
        self._timer = QTimer(self, interval=TICK_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    def start(self, pixels: int) -> None:
        """A translation of ``pixels`` started now."""
        self._pixels, self._started, self._tiles = pixels, time.monotonic(), None
        self._timer.start()
        self._on_timer_timeout()

    def tiles(self, done: int, total: int) -> None:
        """The worker reported tiles: those beat any estimate."""
        self._tiles = (done, total)
        self._on_timer_timeout()

    def finished(self, seconds: float) -> None:
        """It is done: learn its speed for the next image."""
        self._timer.stop()
        self.rate.record(self._pixels, seconds)

    def stop(self) -> None:
        """Cancelled or failed: nothing to learn."""
        self._timer.stop()

    def text(self) -> str:
        """What the strip says now (also for tests)."""
        return self.strip.label.text()

    def _on_timer_timeout(self) -> None:
        elapsed = time.monotonic() - self._started
        size = f"{self._pixels / 1e6:.1f} MP"
        if self._tiles is not None and self._tiles[1] > 1:
            done, total = self._tiles
            left = elapsed / done * (total - done) if done else None
            self.strip.fraction(done / total, f"Translating {size}… tile {done} of {total}",
                                left)
            return
        estimate = self.rate.estimate(self._pixels, elapsed)
        if self.rate.seconds_per_mp is None:
            self.strip.busy(f"Translating {size}… {format_duration(elapsed)} so far "
                            "(the first image sets the speed for the time left)")
            return
        self.strip.fraction(estimate.fraction, f"Translating {size}…", estimate.seconds_left)
