"""Generators and discriminators: parameter counts, checkpoint key layout, shapes."""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nectar_gui.core.models import (
    build_discriminator,
    build_generator,
    count_parameters,
    init_weights,
)
from nectar_gui.core.models.generators import UnetSkipBlock
from nectar_gui.core.receptive_field import receptive_field


def _meta_generator(**kwargs: Any) -> nn.Module:
    # Meta tensors: full-size networks without allocating or initialising 54 M weights.
    args: dict[str, Any] = dict(input_nc=3, output_nc=3, ngf=64, dropout=False) | kwargs
    with torch.device("meta"):
        return build_generator(**args)


def _meta_discriminator(**kwargs: Any) -> nn.Module:
    args: dict[str, Any] = dict(arch="patch", input_nc=3, ndf=64, n_layers=3) | kwargs
    with torch.device("meta"):
        return build_discriminator(**args)


# REFERENCE.md "Parameter counts".
@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(arch="resnet", norm="instance", n_blocks=9), 11_378_179),
        (dict(arch="resnet", norm="batch", n_blocks=9), 11_383_427),
        (dict(arch="resnet", norm="instance", n_blocks=6), 7_837_699),
        (dict(arch="unet", norm="instance", n_downs=8), 54_409_603),
        (dict(arch="unet", norm="batch", n_downs=8), 54_413_955),
        (dict(arch="unet", norm="instance", n_downs=7), 41_825_667),
    ],
)
def test_generator_parameter_counts_match_reference(kwargs: dict[str, Any], expected: int) -> None:
    assert count_parameters(_meta_generator(**kwargs)) == expected


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (dict(n_layers=3, norm="instance"), 2_764_737),
        (dict(n_layers=3, norm="batch", input_nc=6), 2_768_705),
        (dict(n_layers=1, norm="instance"), 136_385),
        (dict(n_layers=2, norm="instance"), 662_977),
        (dict(n_layers=4, norm="instance"), 6_959_553),
        (dict(n_layers=5, norm="instance"), 11_154_369),
        (dict(arch="pixel", norm="instance"), 8_705),
    ],
)
def test_discriminator_parameter_counts_match_reference(
    kwargs: dict[str, Any], expected: int
) -> None:
    assert count_parameters(_meta_discriminator(**kwargs)) == expected


def test_resnet_state_dict_keys_match_reference_layout() -> None:
    state = _meta_generator(arch="resnet", norm="instance", n_blocks=9).state_dict()
    assert len(state) == 48
    assert state["model.1.weight"].shape == (64, 3, 7, 7)
    assert state["model.26.weight"].shape == (3, 64, 7, 7)
    for block in range(10, 19):
        for conv in (1, 5):
            assert state[f"model.{block}.conv_block.{conv}.weight"].shape == (256, 256, 3, 3)
            assert f"model.{block}.conv_block.{conv}.bias" in state
    assert not any("running_mean" in key for key in state)  # instance norm keeps no stats


def test_resnet_dropout_shifts_second_conv_like_reference() -> None:
    state = _meta_generator(arch="resnet", norm="instance", n_blocks=2, dropout=True).state_dict()
    assert "model.10.conv_block.6.weight" in state
    assert "model.10.conv_block.5.weight" not in state


def test_unet_state_dict_keys_match_reference_layout() -> None:
    state = _meta_generator(arch="unet", norm="batch", n_downs=8).state_dict()
    assert len(state) == 82
    assert state["model.model.0.weight"].shape == (64, 3, 4, 4)
    assert "model.model.0.bias" not in state  # conv before batch norm: no bias
    assert state["model.model.3.weight"].shape == (128, 3, 4, 4)  # ConvTranspose (in, out)
    assert "model.model.3.bias" in state  # the output conv keeps its bias
    assert state["model.model.1.model.1.weight"].shape == (128, 64, 4, 4)
    innermost = "model.model.1" + ".model.3" * 6 + ".model"  # level 8 of 8
    assert state[f"{innermost}.1.weight"].shape == (512, 512, 4, 4)
    assert state[f"{innermost}.3.weight"].shape == (512, 512, 4, 4)
    assert f"{innermost}.4.running_mean" in state


def test_unet_depth_follows_n_downs() -> None:
    keys = _meta_generator(arch="unet", norm="instance", n_downs=7).state_dict()
    deepest = max(key.count(".model.") for key in keys)
    assert deepest == 7  # one ".model." per level


def test_patch_discriminator_keys_match_reference_layout() -> None:
    batch = _meta_discriminator(n_layers=3, norm="batch").state_dict()
    assert {"model.0.weight", "model.0.bias", "model.2.weight", "model.3.weight"} <= set(batch)
    assert "model.2.bias" not in batch
    assert "model.3.running_var" in batch
    assert batch["model.11.weight"].shape == (1, 512, 4, 4)
    instance = _meta_discriminator(n_layers=3, norm="instance").state_dict()
    assert "model.2.bias" in instance
    assert not any(key.startswith("model.3.") for key in instance)


def test_pixel_discriminator_keys_match_reference_layout() -> None:
    state = _meta_discriminator(arch="pixel", norm="batch").state_dict()
    assert {"net.0.weight", "net.0.bias", "net.2.weight", "net.3.weight", "net.5.weight"} <= set(
        state
    )
    assert "net.5.bias" not in state


@pytest.mark.parametrize("norm", ["instance", "batch", "none"])
@pytest.mark.parametrize(
    ("arch", "extra", "sizes"),
    [
        ("resnet", dict(n_blocks=2), [(32, 32), (48, 64)]),
        ("unet", dict(n_downs=5), [(32, 32), (64, 96)]),
    ],
)
def test_generator_output_matches_input_size(
    arch: str, extra: dict[str, Any], sizes: list[tuple[int, int]], norm: str
) -> None:
    torch.manual_seed(0)
    net = build_generator(
        arch=arch, input_nc=3, output_nc=2, ngf=8, norm=norm, dropout=True, **extra
    )
    for height, width in sizes:
        out = net(torch.randn(2, 3, height, width))  # (B, 2, H, W)
        assert out.shape == (2, 2, height, width)
        assert out.abs().max() <= 1.0
        out.mean().backward()  # in-place activations must not break autograd


def test_unet_skip_carries_activated_input_like_reference() -> None:
    torch.manual_seed(0)
    block = UnetSkipBlock(outer_nc=4, inner_nc=8, norm="none")
    x = torch.randn(1, 4, 8, 8)
    out = block(x)  # (1, 8, 8, 8)
    torch.testing.assert_close(out[:, :4], F.leaky_relu(x, 0.2))


# REFERENCE.md "PatchGAN geometry": output side at 256² and 128².
@pytest.mark.parametrize(
    ("n_layers", "side_256", "side_128"),
    [(1, 126, 62), (2, 62, 30), (3, 30, 14), (4, 14, 6), (5, 6, 2)],
)
def test_patch_discriminator_output_grid(n_layers: int, side_256: int, side_128: int) -> None:
    net = build_discriminator(arch="patch", input_nc=6, ndf=4, n_layers=n_layers, norm="instance")
    rf = receptive_field(net)
    with torch.no_grad():
        for side, expected in ((256, side_256), (128, side_128)):
            assert net(torch.randn(1, 6, side, side)).shape == (1, 1, expected, expected)
            assert rf.output_size(side) == expected


def test_pixel_discriminator_keeps_resolution() -> None:
    net = build_discriminator(arch="pixel", input_nc=3, ndf=4, n_layers=3, norm="batch")
    assert net(torch.randn(2, 3, 20, 24)).shape == (2, 1, 20, 24)


_G_ARGS: dict[str, Any] = dict(
    arch="resnet", input_nc=3, output_nc=3, ngf=8, norm="instance", dropout=False
)
_D_ARGS: dict[str, Any] = dict(arch="patch", input_nc=3, ndf=8, n_layers=3, norm="instance")


_UNKNOWN_NAMES = [
    (build_generator, _G_ARGS | {"arch": "resnt"}, "generator 'resnt'", "resnet, unet."),
    (build_generator, _G_ARGS | {"norm": "group"}, "norm 'group'", "instance, batch, none."),
    (build_discriminator, _D_ARGS | {"arch": "multi"}, "discriminator 'multi'", "patch, pixel."),
    (build_discriminator, _D_ARGS | {"norm": "layer"}, "norm 'layer'", "instance, batch, none."),
]


@pytest.mark.parametrize(("builder", "kwargs", "bad", "choices"), _UNKNOWN_NAMES)
def test_unknown_names_list_the_choices(
    builder: Any, kwargs: dict[str, Any], bad: str, choices: str
) -> None:
    with pytest.raises(ValueError) as info:
        builder(**kwargs)
    assert str(info.value) == f"Unknown {bad}. Choose one of: {choices}"


def test_out_of_range_depths_are_rejected() -> None:
    with pytest.raises(ValueError, match="n_downs"):
        _meta_generator(arch="unet", norm="batch", n_downs=4)
    with pytest.raises(ValueError, match="n_layers"):
        _meta_discriminator(n_layers=0, norm="batch")


def test_builders_do_not_choose_a_device() -> None:
    assert {p.device.type for p in _meta_generator(arch="resnet", norm="batch").parameters()} == {
        "meta"
    }
    net = build_discriminator(arch="patch", input_nc=3, ndf=4, n_layers=2, norm="batch")
    assert {p.device.type for p in net.parameters()} == {"cpu"}


def test_init_weights_follows_paper_recipe() -> None:
    torch.manual_seed(0)
    net = build_discriminator(arch="patch", input_nc=3, ndf=32, n_layers=3, norm="batch")
    init_weights(net, gain=0.02)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    weights = torch.cat([c.weight.flatten() for c in convs])
    assert weights.mean().abs() < 1e-3
    assert weights.std().item() == pytest.approx(0.02, rel=0.05)
    assert all(not c.bias.any() for c in convs if c.bias is not None)
    scales = torch.cat([n.weight for n in norms])
    assert scales.mean().item() == pytest.approx(1.0, abs=0.01)
    assert 0.0 < scales.std().item() < 0.05
    assert all(not n.bias.any() for n in norms)
