"""Learning-rate schedule and the time-based gates that pace reports.

The rate is a pure function of the epoch, so a resumed run needs no scheduler state
to continue on exactly the same curve.
"""

from __future__ import annotations

import time
from typing import NamedTuple

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


class MeterValues(NamedTuple):
    """Averages fetched by :meth:`LossMeter.take_values`: losses and D-health signals."""

    losses: dict[str, float]
    d_health: dict[str, float]


class LossMeter:
    """Sums loss tensors on the device; fetches them in one transfer when asked.

    Calling ``float()`` on a loss every step forces the host to wait for the device;
    summing device tensors does not. The D-health signals ride along in the same stacked
    tensor, so they cost no transfer of their own.
    """

    def __init__(self) -> None:
        self._names: list[str] = []
        self._n_losses = 0
        self._sum: Tensor | None = None
        self._count = 0

    def add(self, losses: dict[str, Tensor], d_health: dict[str, Tensor] | None = None) -> None:
        """Add one step's losses (and its D-health signals) to the running sums."""
        named = {**losses, **{_HEALTH + k: v for k, v in (d_health or {}).items()}}
        values = torch.stack([v.float() for v in named.values()])  # (n_values,)
        if self._sum is None or list(named) != self._names:
            self._names, self._sum, self._count = list(named), values.clone(), 1
            self._n_losses = len(losses)
        else:
            self._sum += values
            self._count += 1

    def take(self, reduce: bool = False) -> dict[str, float]:
        """Loss averages since the last call (optionally averaged over all ranks), then reset."""
        return self.take_values(reduce).losses

    def take_values(self, reduce: bool = False) -> MeterValues:
        """Loss and D-health averages since the last call, in one transfer; then reset."""
        if self._sum is None:
            return MeterValues({}, {})
        mean = self._sum / self._count
        if reduce:
            import torch.distributed as dist

            dist.all_reduce(mean)
            mean /= dist.get_world_size()
        values = mean.cpu().tolist()  # the one host transfer
        self._sum, self._count = None, 0
        n = self._n_losses
        return MeterValues(dict(zip(self._names[:n], values[:n], strict=True)),
                           {k.removeprefix(_HEALTH): v
                            for k, v in zip(self._names[n:], values[n:], strict=True)})


#: keeps D-health names apart from loss names inside the meter
_HEALTH = "d_health/"
