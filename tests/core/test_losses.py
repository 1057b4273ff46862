"""GAN objectives: the values each one gives for clear-cut scores."""

from __future__ import annotations

import math

import pytest
import torch

from nectar_gui.core.losses import GanLoss, l1


def test_lsgan_is_squared_distance_to_the_target() -> None:
    loss = GanLoss("lsgan")
    pred = torch.full((1, 1, 2, 2), 0.5)
    assert loss.discriminator(pred, True).item() == pytest.approx(0.25)
    assert loss.discriminator(pred, False).item() == pytest.approx(0.25)
    assert loss.generator(torch.ones(1, 1, 2, 2)).item() == pytest.approx(0.0)


def test_vanilla_uses_logits() -> None:
    loss = GanLoss("vanilla")
    zero = torch.zeros(1, 1, 3, 3)  # logit 0 = probability 0.5
    assert loss.discriminator(zero, True).item() == pytest.approx(math.log(2))
    big = torch.full((1, 1, 3, 3), 50.0)  # no overflow with logits
    assert loss.discriminator(big, True).item() == pytest.approx(0.0, abs=1e-6)
    assert loss.realness(zero).flatten()[0].item() == pytest.approx(0.5)


def test_hinge_penalises_only_inside_the_margin() -> None:
    loss = GanLoss("hinge")
    assert loss.discriminator(torch.full((1, 1, 1, 1), 2.0), True).item() == 0.0
    assert loss.discriminator(torch.full((1, 1, 1, 1), 0.5), True).item() == pytest.approx(0.5)
    assert loss.discriminator(torch.full((1, 1, 1, 1), -2.0), False).item() == 0.0
    assert loss.generator(torch.full((1, 1, 1, 1), 3.0)).item() == pytest.approx(-3.0)


def test_vanilla_works_under_bf16_autocast() -> None:
    pred = torch.randn(2, 1, 4, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = GanLoss("vanilla").discriminator(pred.to(torch.bfloat16), True)
    assert value.dtype == torch.float32 and torch.isfinite(value)


def test_unknown_objective_names_the_choices() -> None:
    with pytest.raises(ValueError, match="lsgan, vanilla, hinge"):
        GanLoss("wgan")


def test_l1() -> None:
    assert l1(torch.zeros(4), torch.ones(4)).item() == 1.0
