"""Receptive-field geometry: computed values, grid sizes and empirical gradient support."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from torch import nn

from nectar_gui.core.geometry import ReceptiveField, Rect, describe_grid
from nectar_gui.core.models import build_discriminator, init_weights
from nectar_gui.core.receptive_field import receptive_field

# REFERENCE.md "PatchGAN geometry": n_layers -> (size, jump, first covered, last covered).
REFERENCE_GEOMETRY = {
    1: (16, 2, -5, 10),
    2: (34, 4, -11, 22),
    3: (70, 8, -23, 46),
    4: (142, 16, -47, 94),
    5: (286, 32, -95, 190),
}


def _patch_rf(n_layers: int) -> ReceptiveField:
    net = build_discriminator(arch="patch", input_nc=3, ndf=4, n_layers=n_layers, norm="instance")
    return receptive_field(net)


@pytest.mark.parametrize("n_layers", sorted(REFERENCE_GEOMETRY))
def test_patchgan_field_matches_reference_table(n_layers: int) -> None:
    size, jump, first, last = REFERENCE_GEOMETRY[n_layers]
    rf = _patch_rf(n_layers)
    assert (rf.size, rf.jump, rf.start) == (size, jump, first)
    assert rf.cell_rect(0, 0) == Rect(first, first, last, last)


def test_pixel_discriminator_field_is_one_pixel() -> None:
    net = build_discriminator(arch="pixel", input_nc=3, ndf=4, n_layers=3, norm="batch")
    rf = receptive_field(net)
    assert (rf.size, rf.jump, rf.start) == (1, 1, 0)
    assert rf.output_size(37) == 37


@pytest.mark.parametrize("n_layers", [1, 3, 5])
@pytest.mark.parametrize("side", [70, 101, 130])
def test_output_size_matches_network(n_layers: int, side: int) -> None:
    net = build_discriminator(arch="patch", input_nc=3, ndf=2, n_layers=n_layers, norm="none")
    rf = receptive_field(net)
    expected = rf.output_size(side)
    if expected == 0:
        with pytest.raises(RuntimeError):
            net(torch.zeros(1, 3, side, side))
    else:
        assert net(torch.zeros(1, 3, side, side)).shape[-1] == expected


def test_output_size_is_zero_for_inputs_too_small() -> None:
    assert _patch_rf(3).output_size(8) == 0
    assert _patch_rf(3).output_size(0) == 0


def test_clipped_cell_rect_keeps_the_in_image_part() -> None:
    rf = _patch_rf(3)
    rect = rf.clipped_cell_rect(0, 0, 256, 256)
    assert rect == Rect(0, 0, 46, 46)
    assert rect is not None and (rect.height, rect.width) == (47, 47)
    assert rf.clipped_cell_rect(29, 0, 256, 200) == Rect(209, 0, 255, 46)
    assert rf.clipped_cell_rect(40, 0, 256, 256) is None


def test_cell_center_and_nearest_cell() -> None:
    rf = _patch_rf(3)  # cell i centred at -23 + 8 i + 34.5 = 11.5 + 8 i
    assert rf.cell_center(0, 2) == (11.5, 27.5)
    assert rf.nearest_cell(11, 28, 30, 30) == (0, 2)
    assert rf.nearest_cell(15.5, 15.5, 30, 30) == (0, 0)  # halfway: smaller index wins
    assert rf.nearest_cell(15.50001, 15.49999, 30, 30) == (1, 0)
    assert rf.nearest_cell(-50, 10_000, 30, 30) == (0, 29)  # clamped to the grid
    with pytest.raises(ValueError):
        rf.nearest_cell(0, 0, 0, 30)


def test_rect_rejects_empty_bounds() -> None:
    with pytest.raises(ValueError):
        Rect(5, 0, 4, 0)


def test_round_trips_through_json() -> None:
    rf = _patch_rf(4)
    restored = ReceptiveField.from_dict(json.loads(json.dumps(rf.to_dict())))
    assert restored == rf
    assert restored.output_size(256) == 14


def test_inconsistent_fields_are_rejected() -> None:
    data = _patch_rf(3).to_dict() | {"size": 34}
    with pytest.raises(ValueError, match="do not match"):
        ReceptiveField.from_dict(data)


def test_describe_grid() -> None:
    info = describe_grid(_patch_rf(3), 256)
    assert info == {
        "input_size": 256,
        "grid_size": 30,
        "receptive_field": 70,
        "jump": 8,
        "cell0_first": -23,
        "cell0_last": 46,
    }


def test_geometry_module_does_not_import_torch() -> None:
    code = "import sys, nectar_gui.core.geometry; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_pooling_layers_are_followed() -> None:
    net = nn.Sequential(
        nn.Conv2d(1, 1, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(1, 1, 3)
    )
    rf = receptive_field(net)
    assert (rf.size, rf.jump, rf.start) == (8, 2, -1)
    assert rf.output_size(10) == 3


@pytest.mark.parametrize(
    ("layer", "message"),
    [
        (nn.ConvTranspose2d(1, 1, 4), "ConvTranspose2d"),
        (nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), "zero padding"),
        (nn.Conv2d(1, 1, (3, 5)), "non-square kernel_size"),
        (nn.Conv2d(1, 1, 3, padding="same"), "explicit integer padding"),
        (nn.MaxPool2d(2, ceil_mode=True), "ceil_mode"),
        (nn.Upsample(scale_factor=2), "Upsample"),
    ],
)
def test_unknown_layers_raise_clear_errors(layer: nn.Module, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), layer))


def test_modules_with_unknown_forward_order_are_rejected() -> None:
    class TwoBranches(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.a = nn.Conv2d(1, 1, 3)
            self.b = nn.Conv2d(1, 1, 3)

    with pytest.raises(ValueError, match="TwoBranches"):
        receptive_field(TwoBranches())


def _support_bbox(grad: torch.Tensor) -> Rect:
    support = grad.abs().sum(dim=(0, 1)) > 0  # (H, W)
    rows = support.any(dim=1).nonzero().flatten()
    cols = support.any(dim=0).nonzero().flatten()
    return Rect(int(rows.min()), int(cols.min()), int(rows.max()), int(cols.max()))


@pytest.mark.parametrize(
    ("n_layers", "shapes"),
    [
        (1, [(64, 64), (64, 96)]),
        (2, [(64, 64), (64, 96)]),
        (3, [(64, 64), (96, 72)]),
        (4, [(160, 160), (160, 192)]),
        (5, [(160, 160), (192, 160)]),
    ],
)
def test_gradient_support_equals_clipped_cell_rect(
    n_layers: int, shapes: list[tuple[int, int]]
) -> None:
    # Without normalisation each cell depends only on its conv field. Random normal
    # weights and a leaky activation make exact zeros inside the field vanishingly rare.
    torch.manual_seed(n_layers)
    net = build_discriminator(arch="patch", input_nc=3, ndf=4, n_layers=n_layers, norm="none")
    init_weights(net)
    net = net.double()
    rf = receptive_field(net)
    for height, width in shapes:
        x = torch.randn(1, 3, height, width, dtype=torch.float64, requires_grad=True)
        out = net(x)  # (1, 1, grid_h, grid_w)
        grid_h, grid_w = out.shape[-2:]
        assert (grid_h, grid_w) == (rf.output_size(height), rf.output_size(width))
        assert grid_h >= 2 and grid_w >= 2
        cells = [(grid_h // 2, grid_w // 2), (0, 0), (0, grid_w - 1)]
        cells += [(grid_h - 1, 0), (grid_h - 1, grid_w - 1)]
        for i, j in cells:
            (grad,) = torch.autograd.grad(out[0, 0, i, j], x, retain_graph=True)
            assert _support_bbox(grad) == rf.clipped_cell_rect(i, j, height, width), (i, j)
