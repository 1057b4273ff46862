"""Faster layers compute exactly what the stock layers compute, with the same weights."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from nectar_gui.core.models import build_discriminator, build_generator, init_weights
from nectar_gui.core.models.fast_ops import (
    ConvPlan,
    FastConv2d,
    FastConvTranspose2d,
    FastInstanceNorm2d,
    accelerate,
    nnpack_ready,
)


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


def test_accelerate_swaps_instance_norms_and_convs_only() -> None:
    d = build_discriminator(arch="patch", input_nc=3, ndf=4, n_layers=3, norm="instance")
    n_norms = sum(isinstance(m, nn.InstanceNorm2d) for m in d.modules())
    n_convs = sum(isinstance(m, nn.Conv2d) for m in d.modules())
    assert accelerate(d) == n_norms + n_convs and n_norms > 0
    assert all(type(m) is FastInstanceNorm2d for m in d.modules()
               if isinstance(m, nn.InstanceNorm2d))
    assert all(type(m) is FastConv2d for m in d.modules() if isinstance(m, nn.Conv2d))
    assert accelerate(d) == 0  # already swapped
    g = build_generator(arch="unet", input_nc=3, output_nc=3, ngf=4, norm="batch",
                        dropout=False, n_downs=5)
    accelerate(g)
    assert all(type(m) is FastConvTranspose2d for m in g.modules()
               if isinstance(m, nn.ConvTranspose2d))
    assert all(type(m) is nn.BatchNorm2d for m in g.modules() if isinstance(m, nn.BatchNorm2d))


def _conv_grads(conv: nn.Module, x: torch.Tensor, g: torch.Tensor) -> list[torch.Tensor]:
    x = x.clone().requires_grad_()
    y = conv(x)
    params = [p for p in (conv.weight, conv.bias) if p is not None]
    return [y.detach(), *torch.autograd.grad(y, [x, *params], g)]


@pytest.mark.parametrize(
    ("c_in", "c_out", "k", "size", "padding", "batch", "expect"),
    [
        (256, 256, 3, 66, 0, 1, ConvPlan("nnpack", "winograd")),  # residual block
        (128, 128, 3, 66, 0, 2, ConvPlan("nnpack", "winograd")),  # batch 2
        (64, 3, 7, 134, 0, 1, ConvPlan("nnpack", "mirrored")),  # output conv
        # zero padding, 34² outputs (not whole 4×4 tiles), batch 2
        (128, 160, 3, 34, 1, 2, ConvPlan("native", "winograd")),
        # PatchGAN's 4×4 stride-1 layer (256→512 at 256²; narrower here), batch 2
        (128, 192, 4, 32, 1, 2, ConvPlan("winograd", "winograd")),
        # one output channel, zero padding, batch 2: PatchGAN's last layer
        (512, 1, 4, 31, 1, 2, ConvPlan("native", "mirrored")),
        (256, 512, 4, 16, 1, 1, None),  # the 4×4 layer at 128²: oneDNN is faster
        (16, 16, 3, 18, 0, 1, None),  # small: stock layer
    ],
)
def test_fast_conv_matches_stock_conv(c_in: int, c_out: int, k: int, size: int, padding: int,
                                      batch: int, expect: ConvPlan | None) -> None:
    torch.manual_seed(0)
    if expect is not None and expect.forward == "nnpack" and not nnpack_ready():
        pytest.skip("this torch has no NNPACK")
    stock = nn.Conv2d(c_in, c_out, k, padding=padding)
    fast = nn.Conv2d(c_in, c_out, k, padding=padding)
    fast.load_state_dict(stock.state_dict())
    fast.__class__ = FastConv2d
    x = torch.randn(batch, c_in, size, size)
    assert fast._plan(x) == expect  # type: ignore[operator]
    g = torch.randn_like(stock(x))
    want, got = _conv_grads(stock, x, g), _conv_grads(fast, x, g)
    for name, a, b in zip(("output", "grad x", "grad w", "grad b"), want, got, strict=True):
        scale = a.abs().max()
        torch.testing.assert_close(b / scale, a / scale, rtol=0, atol=5e-5, msg=name)


def test_fast_conv_without_bias_or_input_grad() -> None:
    torch.manual_seed(0)
    stock = nn.Conv2d(128, 128, 3, bias=False)
    fast = nn.Conv2d(128, 128, 3, bias=False)
    fast.load_state_dict(stock.state_dict())
    fast.__class__ = FastConv2d
    x = torch.randn(1, 128, 66, 66)  # no requires_grad: weight gradient only
    stock(x).square().sum().backward()
    fast(x).square().sum().backward()
    assert stock.weight.grad is not None and fast.weight.grad is not None
    scale = stock.weight.grad.abs().max()
    torch.testing.assert_close(fast.weight.grad / scale, stock.weight.grad / scale, rtol=0,
                               atol=5e-5)


def test_fast_conv_is_deterministic() -> None:
    torch.manual_seed(0)
    conv = nn.Conv2d(128, 128, 3)
    conv.__class__ = FastConv2d
    x = torch.randn(1, 128, 66, 66, requires_grad=True)
    runs = [_conv_grads(conv, x, torch.ones(1, 128, 64, 64)) for _ in range(2)]
    assert all(torch.equal(a, b) for a, b in zip(*runs, strict=True))


def test_fast_conv_keeps_stock_path_for_other_layouts_and_strides() -> None:
    conv = nn.Conv2d(256, 256, 3, stride=2)
    conv.__class__ = FastConv2d
    assert conv._plan(torch.randn(1, 256, 130, 130)) is None  # type: ignore[operator]
    conv = nn.Conv2d(256, 256, 3)
    conv.__class__ = FastConv2d
    x = torch.randn(1, 256, 66, 66).contiguous(memory_format=torch.channels_last)
    assert conv._plan(x) is None  # type: ignore[operator]
    with torch.autocast("cpu", dtype=torch.bfloat16):
        assert conv._plan(torch.randn(1, 256, 66, 66)) is None  # type: ignore[operator]


def _assert_close_scaled(got: list[torch.Tensor], want: list[torch.Tensor]) -> None:
    assert len(got) == len(want)
    for name, a, b in zip(("output", "grad x", "grad w", "grad b"), want, got, strict=False):
        scale = a.abs().max()
        torch.testing.assert_close(b / scale, a / scale, rtol=0, atol=5e-5, msg=name)


@pytest.mark.parametrize(
    ("c_in", "c_out", "size", "stride", "padding", "batch", "bias"),
    [
        (64, 32, 16, 2, 1, 1, False),  # U-Net level: 16 → 8 (64 positions)
        (32, 48, 2, 2, 1, 2, True),  # innermost: 2 → 1
        (16, 8, 4, 2, 1, 3, True),  # 4 → 2, batch 3
        (8, 8, 10, 1, 0, 1, True),  # stride 1, 3x3: 8 → 6 ... see kernel below
    ],
)
def test_gemm_conv_matches_stock_conv(c_in: int, c_out: int, size: int, stride: int,
                                      padding: int, batch: int, bias: bool) -> None:
    torch.manual_seed(0)
    k = 4 if stride == 2 else 3
    stock = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, bias=bias)
    fast = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, bias=bias)
    fast.load_state_dict(stock.state_dict())
    fast.__class__ = FastConv2d
    x = torch.randn(batch, c_in, size, size)
    assert fast._plan(x) == "gemm"  # type: ignore[operator]
    g = torch.randn_like(stock(x))
    _assert_close_scaled(_conv_grads(fast, x, g), _conv_grads(stock, x, g))


@pytest.mark.parametrize(
    ("c_in", "c_out", "size", "k", "stride", "padding", "out_pad", "batch", "bias"),
    [
        (64, 32, 8, 4, 2, 1, 0, 1, False),  # U-Net decoder: 8 → 16
        (32, 16, 1, 4, 2, 1, 0, 2, True),  # innermost: 1 → 2, batch 2
        (16, 8, 4, 3, 2, 1, 1, 1, True),  # ResNet-style upsampling with output_padding
        (8, 4, 5, 3, 1, 1, 0, 1, True),  # stride 1
    ],
)
def test_gemm_conv_transpose_matches_conv_transpose2d(
        c_in: int, c_out: int, size: int, k: int, stride: int, padding: int, out_pad: int,
        batch: int, bias: bool) -> None:
    """Forward and all gradients equal F.conv_transpose2d's (up to float rounding)."""
    torch.manual_seed(0)
    layer = nn.ConvTranspose2d(c_in, c_out, k, stride=stride, padding=padding,
                               output_padding=out_pad, bias=bias)
    fast = nn.ConvTranspose2d(c_in, c_out, k, stride=stride, padding=padding,
                              output_padding=out_pad, bias=bias)
    fast.load_state_dict(layer.state_dict())
    fast.__class__ = FastConvTranspose2d
    x = torch.randn(batch, c_in, size, size)

    def reference(t: torch.Tensor) -> torch.Tensor:
        return F.conv_transpose2d(t, layer.weight, layer.bias, stride, padding, out_pad)

    class Ref(nn.Module):
        weight, bias = layer.weight, layer.bias

        def forward(self, t: torch.Tensor) -> torch.Tensor:
            return reference(t)

    g = torch.randn_like(reference(x))
    _assert_close_scaled(_conv_grads(fast, x, g), _conv_grads(Ref(), x, g))


def test_gemm_conv_transpose_keeps_stock_path_for_big_maps_and_output_size() -> None:
    fast = nn.ConvTranspose2d(4, 4, 4, stride=2, padding=1)
    fast.__class__ = FastConvTranspose2d
    x = torch.randn(1, 4, 9, 9)  # 81 positions: stock
    torch.testing.assert_close(fast(x), F.conv_transpose2d(x, fast.weight, fast.bias, 2, 1),
                               rtol=0, atol=0)
    small = torch.randn(1, 4, 3, 3)
    want = nn.ConvTranspose2d.forward(fast, small, output_size=[7, 7])
    assert torch.equal(fast(small, output_size=[7, 7]), want)


@pytest.mark.parametrize(("c_in", "c_out", "k", "size"), [(64, 3, 7, 134), (128, 128, 3, 34)])
def test_fast_conv_bias_gradient_alone(c_in: int, c_out: int, k: int, size: int) -> None:
    torch.manual_seed(0)
    stock = nn.Conv2d(c_in, c_out, k)
    fast = nn.Conv2d(c_in, c_out, k)
    fast.load_state_dict(stock.state_dict())
    fast.__class__ = FastConv2d
    x = torch.randn(1, c_in, size, size)
    assert fast._plan(x) is not None  # type: ignore[operator]
    for conv in (stock, fast):
        conv.weight.requires_grad_(False)
        conv(x).sum().backward()
    assert fast.bias is not None and stock.bias is not None and fast.bias.grad is not None
    torch.testing.assert_close(fast.bias.grad, stock.bias.grad, rtol=1e-5, atol=1e-3)
