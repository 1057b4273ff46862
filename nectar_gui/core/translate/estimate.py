"""Progress of a whole-image translation, estimated from its size and a measured rate.

A whole image goes through the generator in one call that reports nothing until it
returns: 47 s for 3000×2000 on a laptop CPU. Its time is close to proportional to the
number of pixels, so the seconds per megapixel of the images translated before (on the
same model and device) predict the next one well enough for a percentage and a time
left. Torch-free, so the UI can run the clock on its own timer.
"""

from __future__ import annotations

from dataclasses import dataclass

_MEGA = 1e6
# A running image never shows 100 % before it is done, however wrong the estimate.
_MOST = 0.99


@dataclass(frozen=True)
class Estimate:
    """How far a running translation probably is.

    Attributes:
        fraction: 0…0.99 (1.0 only once it has finished).
        seconds_left: None until a rate has been measured.
    """

    fraction: float
    seconds_left: float | None


class RateEstimator:
    """Seconds per megapixel, learnt from the translations that finished.

    Args:
        smoothing: weight of the newest measurement in the running rate (1 keeps only
            the latest; lower values ride out one slow image on a busy machine).
    """

    def __init__(self, smoothing: float = 0.5) -> None:
        if not 0.0 < smoothing <= 1.0:
            raise ValueError(f"smoothing must be in (0, 1], got {smoothing}")
        self.smoothing = smoothing
        self.seconds_per_mp: float | None = None

    def record(self, pixels: int, seconds: float) -> None:
        """Learn from a translation of ``pixels`` that took ``seconds``."""
        if pixels <= 0 or seconds <= 0:
            return
        rate = seconds / (pixels / _MEGA)
        old = self.seconds_per_mp
        self.seconds_per_mp = rate if old is None else (
            self.smoothing * rate + (1.0 - self.smoothing) * old)

    def expected_seconds(self, pixels: int) -> float | None:
        """How long ``pixels`` should take, or None before anything was measured."""
        if self.seconds_per_mp is None:
            return None
        return self.seconds_per_mp * pixels / _MEGA

    def estimate(self, pixels: int, elapsed: float) -> Estimate:
        """Where a translation of ``pixels`` started ``elapsed`` seconds ago probably is.

        Past its expected time it holds at 99 % and the time left is unknown (None):
        a made-up countdown past zero would mislead more than saying nothing.
        """
        expected = self.expected_seconds(pixels)
        if expected is None or expected <= 0:
            return Estimate(0.0, None)
        if elapsed < expected:
            return Estimate(min(elapsed / expected, _MOST), expected - elapsed)
        return Estimate(_MOST, None)
