"""Build networks by name, initialise their weights and count their parameters.

Names come from the run config, so an unknown name fails here with a message listing
the choices rather than deep inside a constructor. Builders never move anything to a
device: the caller decides where the network lives.
"""

from __future__ import annotations

import torch
from torch import nn

from nectar_gui.core.models.discriminators import PatchDiscriminator, PixelDiscriminator
from nectar_gui.core.models.generators import ResnetGenerator, UnetGenerator
from nectar_gui.core.models.norms import NORM_CHOICES, require_choice

GENERATOR_CHOICES: tuple[str, ...] = ("resnet", "unet")
DISCRIMINATOR_CHOICES: tuple[str, ...] = ("patch", "pixel")

_CONV_LINEAR = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)


def build_generator(
    *,
    arch: str,
    input_nc: int,
    output_nc: int,
    ngf: int,
    norm: str,
    dropout: bool,
    n_blocks: int = 9,
    n_downs: int = 8,
) -> nn.Module:
    """Build a generator by architecture name.

    Args:
        arch: "resnet" (CycleGAN) or "unet" (pix2pix).
        input_nc: Input image channels.
        output_nc: Output image channels.
        ngf: Filters in the first layer.
        norm: "instance", "batch" or "none".
        dropout: Dropout 0.5 in residual blocks / inner U-Net levels.
        n_blocks: Residual blocks; used by "resnet" only.
        n_downs: Downsamplings; used by "unet" only (7 for 128 px, 8 for 256 px).

    Raises:
        ValueError: On an unknown ``arch`` or ``norm``, or out-of-range sizes.
    """
    require_choice("generator", arch, GENERATOR_CHOICES)
    require_choice("norm", norm, NORM_CHOICES)
    if arch == "resnet":
        return ResnetGenerator(
            input_nc=input_nc,
            output_nc=output_nc,
            ngf=ngf,
            norm=norm,
            dropout=dropout,
            n_blocks=n_blocks,
        )
    return UnetGenerator(
        input_nc=input_nc, output_nc=output_nc, ngf=ngf, norm=norm, dropout=dropout, n_downs=n_downs
    )


def build_discriminator(
    *, arch: str, input_nc: int, ndf: int, n_layers: int, norm: str
) -> nn.Module:
    """Build a discriminator by architecture name.

    Args:
        arch: "patch" (PatchGAN) or "pixel" (1x1 PixelGAN).
        input_nc: Input channels (6 for pix2pix's conditional D).
        ndf: Filters in the first layer.
        n_layers: Stride-2 convs of the PatchGAN; ignored by "pixel".
        norm: "instance", "batch" or "none".

    Raises:
        ValueError: On an unknown ``arch`` or ``norm``, or ``n_layers`` < 1 for "patch".
    """
    require_choice("discriminator", arch, DISCRIMINATOR_CHOICES)
    require_choice("norm", norm, NORM_CHOICES)
    if arch == "patch":
        return PatchDiscriminator(input_nc=input_nc, ndf=ndf, n_layers=n_layers, norm=norm)
    return PixelDiscriminator(input_nc=input_nc, ndf=ndf, norm=norm)


@torch.no_grad()
def init_weights(net: nn.Module, gain: float = 0.02) -> None:
    """Initialise in place as the pix2pix / CycleGAN papers do.

    Conv and linear weights get normal(0, gain) and zero biases; batch-norm scales get
    normal(1, gain) so they start near identity. Instance norm has no parameters here.

    Args:
        net: Network to initialise (any device).
        gain: Standard deviation of the normal draws.
    """
    for module in net.modules():
        if isinstance(module, _CONV_LINEAR):
            nn.init.normal_(module.weight, 0.0, gain)
            if module.bias is not None:
                nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.normal_(module.weight, 1.0, gain)
            nn.init.zeros_(module.bias)


def count_parameters(net: nn.Module) -> int:
    """Number of parameters in ``net`` (trainable or not, buffers excluded)."""
    return sum(p.numel() for p in net.parameters())
