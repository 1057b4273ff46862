"""PatchGAN and PixelGAN discriminators.

Both return raw logits (no sigmoid) so the loss can pick BCE-with-logits or MSE, and
both keep the reference attribute names (``model`` / ``net``) so its checkpoints load.
"""

from __future__ import annotations

import torch
from torch import nn

from nectar_gui.core.models.norms import conv_bias, norm_factory

_KERNEL = 4
_PADDING = 1
_LEAKY_SLOPE = 0.2
_MAX_MULT = 8


class PatchDiscriminator(nn.Module):
    """PatchGAN: classifies overlapping patches instead of the whole image.

    With kernel 4 and padding 1, the first ``n_layers`` convs have stride 2 and the last
    two stride 1. Each output cell therefore sees a square patch of the input: 16, 34,
    70, 142 and 286 px for ``n_layers`` = 1 … 5 (70 px and a 30x30 grid at 256² for the
    default 3). ``core.receptive_field.receptive_field`` derives these from the layers.

    Args:
        input_nc: Input channels (6 for pix2pix's conditional cat(A, B)).
        ndf: Filters in the first conv; doubled per layer, capped at ndf*8.
        n_layers: Number of stride-2 convs.
        norm: Norm name; the first conv never has one.
    """

    def __init__(self, *, input_nc: int, ndf: int, n_layers: int, norm: str) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1 for the PatchGAN, got {n_layers}.")
        make_norm, bias = norm_factory(norm), conv_bias(norm)
        layers: list[nn.Module] = [
            nn.Conv2d(input_nc, ndf, _KERNEL, stride=2, padding=_PADDING),
            nn.LeakyReLU(_LEAKY_SLOPE, inplace=True),
        ]
        mult = 1
        for n in range(1, n_layers + 1):
            prev, mult = mult, min(2**n, _MAX_MULT)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(
                    ndf * prev, ndf * mult, _KERNEL, stride=stride, padding=_PADDING, bias=bias
                ),
                make_norm(ndf * mult),
                nn.LeakyReLU(_LEAKY_SLOPE, inplace=True),
            ]
        layers.append(nn.Conv2d(ndf * mult, 1, _KERNEL, stride=1, padding=_PADDING))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score every patch of ``x``; higher logits mean "looks real"."""
        return self.model(x)  # (B, 1, H', W')


class PixelDiscriminator(nn.Module):
    """PixelGAN: 1x1 convs, so each output judges a single pixel's colour.

    Args:
        input_nc: Input channels.
        ndf: Filters in the first conv.
        norm: Norm name.
    """

    def __init__(self, *, input_nc: int, ndf: int, norm: str) -> None:
        super().__init__()
        make_norm, bias = norm_factory(norm), conv_bias(norm)
        self.net = nn.Sequential(
            nn.Conv2d(input_nc, ndf, kernel_size=1),
            nn.LeakyReLU(_LEAKY_SLOPE, inplace=True),
            nn.Conv2d(ndf, ndf * 2, kernel_size=1, bias=bias),
            make_norm(ndf * 2),
            nn.LeakyReLU(_LEAKY_SLOPE, inplace=True),
            # The reference ties this bias to the norm choice too; kept for its checkpoints.
            nn.Conv2d(ndf * 2, 1, kernel_size=1, bias=bias),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Score every pixel of ``x``."""
        return self.net(x)  # (B, 1, H, W)
