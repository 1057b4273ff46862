"""Normalisation layer factory shared by the generators and discriminators.

The three choices follow the reference pix2pix / CycleGAN code so that its checkpoints
load unchanged: instance norm keeps no affine parameters and no running statistics,
batch norm keeps both, and "none" inserts an ``nn.Identity`` so layer indices (and hence
state-dict keys) stay where the reference puts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import nn

NORM_CHOICES: tuple[str, ...] = ("instance", "batch", "none")

NormFactory = Callable[[int], nn.Module]
"""Builds a normalisation layer for a given number of channels."""


def require_choice(kind: str, value: str, choices: Sequence[str]) -> None:
    """Raise a ``ValueError`` naming the bad value and every allowed choice.

    Args:
        kind: What is being chosen, e.g. "generator" or "norm"; starts the message.
        value: The name the caller passed.
        choices: Allowed names, listed in the message so the user can fix the input.

    Raises:
        ValueError: If ``value`` is not one of ``choices``.
    """
    if value not in choices:
        raise ValueError(f"Unknown {kind} {value!r}. Choose one of: {', '.join(choices)}.")


def norm_factory(norm: str) -> NormFactory:
    """Return a callable that builds the chosen norm layer for ``channels`` channels.

    Args:
        norm: One of ``NORM_CHOICES``.

    Raises:
        ValueError: If ``norm`` is unknown.
    """
    require_choice("norm", norm, NORM_CHOICES)
    if norm == "instance":
        return _instance_norm
    if norm == "batch":
        return _batch_norm
    return _identity


def conv_bias(norm: str) -> bool:
    """Whether a conv followed by this norm needs its own bias.

    Batch norm's affine shift makes a preceding bias redundant, so the reference drops
    it; instance norm here has no affine shift, so the conv keeps its bias, and without
    any norm the bias is the only offset the layer has.
    """
    require_choice("norm", norm, NORM_CHOICES)
    return norm != "batch"


def _instance_norm(channels: int) -> nn.Module:
    return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)


def _batch_norm(channels: int) -> nn.Module:
    return nn.BatchNorm2d(channels, affine=True, track_running_stats=True)


def _identity(channels: int) -> nn.Module:
    return nn.Identity()
