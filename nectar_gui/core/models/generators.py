"""ResNet and U-Net generators for CycleGAN and pix2pix.

Layer order and attribute names mirror the reference implementation so that its
``state_dict`` checkpoints load without renaming: the ResNet generator keeps one
``nn.Sequential`` called ``model`` and the U-Net nests skip blocks, each holding its own
``model`` Sequential.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from nectar_gui.core.models.norms import conv_bias, norm_factory

_DROPOUT_P = 0.5
_LEAKY_SLOPE = 0.2


class ResnetBlock(nn.Module):
    """Two 3x3 convs with a residual connection, reflection-padded to avoid border seams.

    Args:
        dim: Channels in and out.
        norm: Norm name (see ``norms.NORM_CHOICES``).
        dropout: Insert dropout 0.5 between the convs (shifts the second conv to index 6,
            as in the reference).
    """

    def __init__(self, *, dim: int, norm: str, dropout: bool) -> None:
        super().__init__()
        make_norm, bias = norm_factory(norm), conv_bias(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, kernel_size=3, bias=bias),
            make_norm(dim),
            nn.ReLU(inplace=True),
        ]
        if dropout:
            layers.append(nn.Dropout(_DROPOUT_P))
        layers += [
            nn.ReflectionPad2d(1),
            nn.Conv2d(dim, dim, kernel_size=3, bias=bias),
            make_norm(dim),
        ]
        self.conv_block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the block's correction to its input."""
        return x + self.conv_block(x)  # (B, C, H, W)


class ResnetGenerator(nn.Module):
    """Encoder, residual blocks, decoder: the CycleGAN generator.

    Downsampling twice keeps the residual blocks cheap while the 7x7 stem and output
    convs see enough context for colour and texture changes. Input height and width
    should be multiples of 4 so the decoder restores the exact input size.

    Args:
        input_nc: Input image channels.
        output_nc: Output image channels.
        ngf: Filters in the first conv; doubled at each downsampling.
        norm: Norm name.
        dropout: Dropout 0.5 inside every residual block.
        n_blocks: Number of residual blocks (9 for 256 px, 6 for 128 px in the paper).
    """

    def __init__(
        self, *, input_nc: int, output_nc: int, ngf: int, norm: str, dropout: bool, n_blocks: int
    ) -> None:
        super().__init__()
        if n_blocks < 0:
            raise ValueError(f"n_blocks must be 0 or more, got {n_blocks}.")
        make_norm, bias = norm_factory(norm), conv_bias(norm)
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(input_nc, ngf, kernel_size=7, bias=bias),
            make_norm(ngf),
            nn.ReLU(inplace=True),
        ]
        for mult in (1, 2):
            layers += [
                nn.Conv2d(ngf * mult, ngf * mult * 2, 3, stride=2, padding=1, bias=bias),
                make_norm(ngf * mult * 2),
                nn.ReLU(inplace=True),
            ]
        layers += [ResnetBlock(dim=ngf * 4, norm=norm, dropout=dropout) for _ in range(n_blocks)]
        for mult in (4, 2):
            layers += [
                nn.ConvTranspose2d(
                    ngf * mult, ngf * mult // 2, 3, stride=2, padding=1, output_padding=1, bias=bias
                ),
                make_norm(ngf * mult // 2),
                nn.ReLU(inplace=True),
            ]
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translate a batch of images scaled to [-1, 1]."""
        return self.model(x)  # (B, output_nc, H, W)


class UnetSkipBlock(nn.Module):
    """One U-Net level: downsample, run the inner levels, upsample, concatenate the skip.

    Levels are nested rather than listed so the state-dict keys match the reference
    (``model.model.1.model.1.weight`` ...).

    Args:
        outer_nc: Channels this level returns to the level above (before the skip concat).
        inner_nc: Channels after this level's downsampling conv.
        input_nc: Channels entering this level; defaults to ``outer_nc``.
        submodule: The next inner level, or ``None`` for the innermost one.
        outermost: The top level: no activation before its conv, tanh output, no skip.
        norm: Norm name.
        dropout: Dropout 0.5 after the upsampling (used on the inner ngf*8 levels).
    """

    def __init__(
        self,
        *,
        outer_nc: int,
        inner_nc: int,
        norm: str,
        input_nc: int | None = None,
        submodule: UnetSkipBlock | None = None,
        outermost: bool = False,
        dropout: bool = False,
    ) -> None:
        super().__init__()
        self.outermost = outermost
        make_norm, bias = norm_factory(norm), conv_bias(norm)
        in_nc = outer_nc if input_nc is None else input_nc
        down_conv = nn.Conv2d(in_nc, inner_nc, 4, stride=2, padding=1, bias=bias)
        up_in = inner_nc if submodule is None else inner_nc * 2  # inner output + its skip
        layers: list[nn.Module]
        if outermost:
            if submodule is None:
                raise ValueError("The outermost U-Net level needs inner levels.")
            up_conv = nn.ConvTranspose2d(up_in, outer_nc, 4, stride=2, padding=1)
            layers = [down_conv, submodule, nn.ReLU(inplace=True), up_conv, nn.Tanh()]
        else:
            up_conv = nn.ConvTranspose2d(up_in, outer_nc, 4, stride=2, padding=1, bias=bias)
            down: list[nn.Module] = [nn.LeakyReLU(_LEAKY_SLOPE), down_conv]
            if submodule is not None:  # the innermost level has nothing to normalise at 1x1
                down += [make_norm(inner_nc), submodule]
            layers = [*down, nn.ReLU(inplace=True), up_conv, make_norm(outer_nc)]
            if dropout:
                layers.append(nn.Dropout(_DROPOUT_P))
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Run the level; inner levels return ``cat(skip, features)``."""
        if self.outermost:
            return self.model(x)  # (B, output_nc, H, W)
        # The reference's in-place LeakyReLU rewrites x before the concat, so its skip
        # carries the activated features; we reproduce that explicitly so reference
        # checkpoints give the same images (see lanpa/tensorboardX#215 trace).
        features = self.model(x)  # (B, outer_nc, H, W)
        skip = F.leaky_relu(x, _LEAKY_SLOPE)  # (B, outer_nc, H, W)
        return torch.cat([skip, features], dim=1)  # (B, 2 * outer_nc, H, W)


class UnetGenerator(nn.Module):
    """U-Net generator: the pix2pix default, with skips carrying fine detail across.

    ``n_downs`` halvings bring the input down to 1x1, so the input side must be a
    multiple of ``2 ** n_downs`` (7 downs for 128 px, 8 for 256 px).

    Args:
        input_nc: Input image channels.
        output_nc: Output image channels.
        ngf: Filters in the outermost conv; doubled per level up to ngf*8.
        norm: Norm name.
        dropout: Dropout 0.5 in the ``n_downs - 5`` inner ngf*8 levels (pix2pix's noise).
        n_downs: Number of downsamplings, at least 5.
    """

    def __init__(
        self, *, input_nc: int, output_nc: int, ngf: int, norm: str, dropout: bool, n_downs: int
    ) -> None:
        super().__init__()
        if n_downs < 5:
            raise ValueError(f"n_downs must be at least 5 for the U-Net, got {n_downs}.")
        block = UnetSkipBlock(outer_nc=ngf * 8, inner_nc=ngf * 8, norm=norm)
        for _ in range(n_downs - 5):
            block = UnetSkipBlock(
                outer_nc=ngf * 8, inner_nc=ngf * 8, norm=norm, submodule=block, dropout=dropout
            )
        for mult in (4, 2, 1):
            block = UnetSkipBlock(
                outer_nc=ngf * mult, inner_nc=ngf * mult * 2, norm=norm, submodule=block
            )
        self.model = UnetSkipBlock(
            outer_nc=output_nc,
            inner_nc=ngf,
            input_nc=input_nc,
            norm=norm,
            submodule=block,
            outermost=True,
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Translate a batch of images scaled to [-1, 1]."""
        return self.model(x)  # (B, output_nc, H, W)
