"""Faster layers compute exactly what the stock layers compute, with the same weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nectar_gui.core.models import build_discriminator, build_generator, init_weights
from nectar_gui.core.models.fast_ops import FastInstanceNorm2d, accelerate


@pytest.mark.parametrize("batch", [1, 3])
def test_fast_instance_norm_matches_stock_forward_and_gradients(batch: int) -> None:
    torch.manual_seed(0)
    x = torch.randn(batch, 5, 9, 7, dtype=torch.float64, requires_grad=True)
    grads = torch.randn(batch, 5, 9, 7, dtype=torch.float64)
    outs = []
    for norm in (nn.InstanceNorm2d(5), FastInstanceNorm2d(5)):
        y = F.relu(norm(x * 2.0), inplace=True)  # in-place on the norm's output, as in G
        (gx,) = torch.autograd.grad(y, x, grads)
        outs.append((y.detach(), gx))
    assert torch.equal(outs[0][0], outs[1][0])
    assert torch.allclose(outs[0][1], outs[1][1], rtol=1e-12, atol=1e-12)


def test_fast_instance_norm_falls_back_for_other_settings() -> None:
    x = torch.randn(2, 4, 6, 6)
    for kwargs in ({"affine": True}, {"track_running_stats": True}):
        stock, fast = nn.InstanceNorm2d(4, **kwargs), nn.InstanceNorm2d(4, **kwargs)
        fast.__class__ = FastInstanceNorm2d
        assert torch.equal(stock(x), fast(x))


@pytest.mark.parametrize(("arch", "norm"), [("resnet", "instance"), ("unet", "batch")])
def test_accelerate_keeps_weights_keys_and_outputs(arch: str, norm: str) -> None:
    torch.manual_seed(0)
    kwargs = dict(arch=arch, input_nc=3, output_nc=3, ngf=4, norm=norm, dropout=False,
                  n_blocks=2, n_downs=5)
    stock = build_generator(**kwargs)  # type: ignore[arg-type]
    init_weights(stock)
    fast = build_generator(**kwargs)  # type: ignore[arg-type]
    fast.load_state_dict(stock.state_dict())
    accelerate(fast)
    assert list(fast.state_dict()) == list(stock.state_dict())
    x = torch.rand(1, 3, 32, 32) * 2 - 1
    y_stock, y_fast = stock(x), fast(x)
    torch.testing.assert_close(y_fast, y_stock, rtol=1e-5, atol=1e-6)
    y_stock.square().mean().backward()
    y_fast.square().mean().backward()
    for (name, p), q in zip(stock.named_parameters(), fast.parameters(), strict=True):
        assert q.grad is not None and p.grad is not None, name
        torch.testing.assert_close(q.grad, p.grad, rtol=1e-4, atol=1e-7, msg=name)


def test_accelerate_swaps_instance_norms_only() -> None:
    d = build_discriminator(arch="patch", input_nc=3, ndf=4, n_layers=3, norm="instance")
    n_norms = sum(isinstance(m, nn.InstanceNorm2d) for m in d.modules())
    assert accelerate(d) == n_norms > 0
    assert all(type(m) is FastInstanceNorm2d for m in d.modules()
               if isinstance(m, nn.InstanceNorm2d))
    assert accelerate(d) == 0  # already swapped
