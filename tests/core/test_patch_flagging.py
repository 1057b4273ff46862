"""A discriminator whose answer is known by construction flags exactly the right fields.

A real ``PatchDiscriminator`` gets hand-set weights: the first conv measures "redness"
(R − G − B, zero on mid-grey, on the zero padding and on yellow, positive on pure red)
and every later conv averages that one channel with all-positive 4×4 kernels, so a cell's
output drops below its "real" value exactly when its receptive field holds a red pixel.
Ranked with ``most_fake``, the most flagged cells must be those whose ``cell_rect``
overlaps the red patch, no more and no fewer.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.models import build_discriminator
from nectar_gui.core.models.discriminators import PatchDiscriminator
from nectar_gui.core.patch_scores import most_fake, reading
from nectar_gui.core.receptive_field import receptive_field
from tests.fields import patchgan_field

RED = (1.0, -1.0, -1.0)  # images in [-1, 1]; R − G − B = 3
YELLOW = (1.0, 1.0, 0.0)  # R − G − B = 0: a bright colour D must ignore


def red_detector(n_layers: int) -> PatchDiscriminator:
    """A PatchGAN that scores 1 ("real") unless its field contains red, then less."""
    net = PatchDiscriminator(input_nc=3, ndf=2, n_layers=n_layers, norm="none")
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        for conv in convs:
            conv.weight.zero_()
            if conv.bias is not None:
                conv.bias.zero_()
        convs[0].weight[0] = torch.tensor(
            [1.0, -1.0, -1.0]).view(3, 1, 1).expand(3, 4, 4) / 16  # redness, every tap
        for conv in convs[1:-1]:
            conv.weight[0, 0] = 1.0 / 16  # average the redness channel, all taps positive
        convs[-1].weight[0, 0] = -1.0  # more red → lower score → more fake
        assert convs[-1].bias is not None
        convs[-1].bias[0] = 1.0
    return net.eval()


def image_with_patches(size: int, red: tuple[int, int, int, int],
                       yellow: tuple[int, int, int, int]) -> torch.Tensor:
    """Mid-grey (0) image with a red and a yellow rectangle (top, left, bottom, right)."""
    image = torch.zeros(1, 3, size, size)
    for (top, left, bottom, right), colour in ((red, RED), (yellow, YELLOW)):
        image[0, :, top:bottom + 1, left:right + 1] = torch.tensor(colour).view(3, 1, 1)
    return image  # (1, 3, H, W)


def overlaps(rf: ReceptiveField, cell: tuple[int, int], box: tuple[int, int, int, int]) -> bool:
    r = rf.cell_rect(*cell)
    top, left, bottom, right = box
    return r.top <= bottom and top <= r.bottom and r.left <= right and left <= r.right


@pytest.mark.parametrize(("n_layers", "size", "red", "yellow"), [
    (3, 64, (2, 3, 6, 8), (50, 50, 60, 60)),
    (2, 64, (30, 5, 33, 12), (45, 45, 60, 60)),
    (3, 96, (0, 70, 4, 95), (50, 10, 70, 30)),  # touching the border: padding fields count
])
@pytest.mark.parametrize("gan_mode", ["lsgan", "vanilla", "hinge"])
def test_most_flagged_fields_are_exactly_those_holding_the_patch(
        n_layers: int, size: int, red: tuple[int, int, int, int],
        yellow: tuple[int, int, int, int], gan_mode: str) -> None:
    net = red_detector(n_layers)
    rf = receptive_field(net)
    with torch.no_grad():
        patch_map = net(image_with_patches(size, red, yellow))[0, 0].numpy()  # (h, w)
    grid = patch_map.shape
    assert grid == (rf.output_size(size),) * 2
    holding = {(i, j) for i in range(grid[0]) for j in range(grid[1])
               if overlaps(rf, (i, j), red)}
    assert 0 < len(holding) < grid[0] * grid[1]

    flagged = most_fake(patch_map, gan_mode, len(holding))
    assert set(flagged) == holding
    readings = reading(patch_map, gan_mode)
    others = [readings[c] for c in np.ndindex(*grid) if c not in holding]
    assert max(readings[c] for c in holding) < min(others)  # a clean gap, no tie at the edge
    assert all(patch_map[c] == 1.0 for c in np.ndindex(*grid) if c not in holding)


@pytest.mark.parametrize("n_layers", [1, 2, 3, 4, 5])
def test_test_geometries_equal_the_real_discriminators(n_layers: int) -> None:
    net = build_discriminator(arch="patch", input_nc=6, ndf=2, n_layers=n_layers, norm="batch")
    assert receptive_field(net) == patchgan_field(n_layers)
