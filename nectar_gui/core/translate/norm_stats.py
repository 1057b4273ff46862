"""Instance-norm statistics captured from one forward and frozen into a network.

Translation no longer uses this: :mod:`.streaming` measures every instance norm's exact
whole-image statistics for images of any size. What remains serves ``bench/translate.py``
to show why *estimated* statistics were rejected: statistics taken from a shrunk copy of
the image, or pooled over tiles, were sometimes further from the whole-image result than
per-tile statistics, because features change with scale and errors compound through the
layers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor, nn

Stats = list[tuple[Tensor, Tensor]]
"""Per instance-norm layer, in ``instance_norms`` order: mean and variance, (1, C, 1, 1)."""


class FixedInstanceNorm(nn.Module):
    """Instance norm with given statistics instead of the input's own.

    Args:
        mean: (1, C, 1, 1) channel means.
        var: (1, C, 1, 1) channel variances (biased, as instance norm computes them).
        eps: the replaced layer's epsilon.
    """

    def __init__(self, mean: Tensor, var: Tensor, eps: float) -> None:
        super().__init__()
        self.mean: Tensor
        self.inv_std: Tensor
        self.register_buffer("mean", mean)
        self.register_buffer("inv_std", torch.rsqrt(var + eps))

    def forward(self, x: Tensor) -> Tensor:
        """Normalise ``x`` (B, C, H, W) with the stored statistics."""
        return (x - self.mean) * self.inv_std  # (B, C, H, W)


def instance_norms(net: nn.Module) -> list[tuple[nn.Module, str, nn.InstanceNorm2d]]:
    """Every affine-free instance-norm layer as (parent, attribute name, layer)."""
    found = []
    for parent in net.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.InstanceNorm2d) and not child.affine:
                found.append((parent, name, child))
    return found


def capture_stats(net: nn.Module, x: Tensor) -> Stats:
    """Run ``net`` on ``x`` (1, C, H, W) and record each instance norm's input statistics."""
    layers = [layer for _, _, layer in instance_norms(net)]
    found: dict[int, tuple[Tensor, Tensor]] = {}

    def record(module: nn.Module, args: tuple[Tensor, ...]) -> None:
        var, mean = torch.var_mean(args[0].float(), dim=(2, 3), keepdim=True, correction=0)
        found[id(module)] = (mean, var)  # (1, C, 1, 1) each

    hooks = [layer.register_forward_pre_hook(record) for layer in layers]
    try:
        with torch.inference_mode():
            net(x)
    finally:
        for hook in hooks:
            hook.remove()
    return [found[id(layer)] for layer in layers]


@contextmanager
def frozen_stats(net: nn.Module, stats: Stats) -> Iterator[None]:
    """Swap the instance norms of ``net`` for :class:`FixedInstanceNorm` while inside.

    The original layers are put back on exit, even after an exception.
    """
    layers = instance_norms(net)
    if len(layers) != len(stats):
        raise ValueError(f"{len(stats)} statistics for {len(layers)} instance-norm layers")
    for (parent, name, layer), (mean, var) in zip(layers, stats, strict=True):
        setattr(parent, name, FixedInstanceNorm(mean, var, layer.eps))
    try:
        yield
    finally:
        for parent, name, layer in layers:
            setattr(parent, name, layer)
