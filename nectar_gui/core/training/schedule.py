"""Learning-rate schedule and the time-based gates that pace reports.

The rate is a pure function of the epoch, so a resumed run needs no scheduler state
to continue on exactly the same curve.
"""

from __future__ import annotations

import time

import torch
from torch import Tensor


def lr_factor(epoch: int, n_epochs: int, n_epochs_decay: int) -> float:
    """Constant for ``n_epochs``, then linear decay towards zero over ``n_epochs_decay``.

    ``epoch`` counts from 0, as the reference schedule does with its epoch count of 1.
    """
    return 1.0 - max(0, epoch + 1 - n_epochs) / float(n_epochs_decay + 1)


class TimeGate:
    """Opens at most once per ``interval`` seconds (interval 0: every time)."""

    def __init__(self, interval: float, *, open_first: bool = True) -> None:
        self.interval = interval
        self._last = float("-inf") if open_first else time.monotonic()
        self._closed_until = float("-inf")

    def ready(self) -> bool:
        """True (and restarts the interval) when the interval has passed."""
        now = time.monotonic()
        if now - self._last >= self.interval and now >= self._closed_until:
            self._last = now
            return True
        return False

    def hold(self, seconds: float) -> None:
        """Stay closed for at least ``seconds`` from now (whatever the interval)."""
        self._closed_until = time.monotonic() + seconds


class LossMeter:
    """Sums loss tensors on the device; fetches them in one transfer when asked.

    Calling ``float()`` on a loss every step forces the host to wait for the device;
    summing device tensors does not.
    """

    def __init__(self) -> None:
        self._names: list[str] = []
        self._sum: Tensor | None = None
        self._count = 0

    def add(self, losses: dict[str, Tensor]) -> None:
        values = torch.stack([v.float() for v in losses.values()])  # (n_losses,)
        if self._sum is None or list(losses) != self._names:
            self._names, self._sum, self._count = list(losses), values.clone(), 1
        else:
            self._sum += values
            self._count += 1

    def take(self, reduce: bool = False) -> dict[str, float]:
        """Averages since the last call (optionally averaged over all ranks), then reset."""
        if self._sum is None:
            return {}
        mean = self._sum / self._count
        if reduce:
            import torch.distributed as dist

            dist.all_reduce(mean)
            mean /= dist.get_world_size()
        values = mean.cpu().tolist()  # the one host transfer
        self._sum, self._count = None, 0
        return dict(zip(self._names, values, strict=True))
