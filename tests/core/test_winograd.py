"""Winograd convolutions (core/models/winograd.py) against exact and stock results."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from nectar_gui.core.models import winograd
from nectar_gui.core.models.winograd import matrices


@pytest.mark.parametrize(("outputs", "taps"), [(3, 4), (4, 3), (2, 3)])
def test_matrices_compute_a_correlation_exactly(outputs: int, taps: int) -> None:
    a_t, g, b_t = matrices(outputs, taps)
    gen = torch.Generator().manual_seed(0)
    data = torch.randn(outputs + taps - 1, dtype=torch.float64, generator=gen)
    filt = torch.randn(taps, dtype=torch.float64, generator=gen)
    want = torch.stack([data[i:i + taps] @ filt for i in range(outputs)])
    got = a_t @ ((g @ filt) * (b_t @ data))
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def _exact(x: torch.Tensor, weight: torch.Tensor, grad: torch.Tensor,
           padding: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Output, input gradient and weight gradient of the stock conv, in float64."""
    x, weight = x.double().requires_grad_(), weight.double().requires_grad_()
    y = F.conv2d(x, weight, None, 1, padding)
    gx, gw = torch.autograd.grad(y, [x, weight], grad.double())
    return y.detach(), gx, gw


CASES = [  # batch, C_in, C_out, kernel, input size, padding
    (1, 64, 48, 3, 66, 0),  # whole 4×4 tiles of the 64² output
    (3, 16, 24, 3, 21, 1),  # 21² output: the last tiles are partial; batch 3
    (2, 8, 8, 3, 7, 0),  # one partial tile
    (1, 5, 7, 3, 12, 2),  # wide padding
    (1, 32, 48, 4, 32, 1),  # PatchGAN's stride-1 layer: 31² output, partial 3×3 tiles
    (2, 16, 8, 4, 17, 1),  # batch 2, whole tiles
    (1, 6, 5, 4, 9, 2),  # wide padding
]


@pytest.mark.parametrize(("batch", "c_in", "c_out", "k", "size", "padding"), CASES)
def test_convolution_and_its_gradients_match_the_exact_sums(
        batch: int, c_in: int, c_out: int, k: int, size: int, padding: int) -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, c_in, size, size, generator=gen)
    weight = torch.randn(c_out, c_in, k, k, generator=gen)
    out = size + 2 * padding - k + 1
    grad = torch.randn(batch, c_out, out, out, generator=gen)
    pad = (padding, padding)
    got = (winograd.conv2d(x, weight, pad), winograd.input_grad(grad, weight, pad),
           winograd.weight_grad(x, grad, k, pad))
    for name, value, exact in zip(("output", "grad x", "grad w"), got,
                                  _exact(x, weight, grad, padding), strict=True):
        assert value.shape == exact.shape and value.dtype == torch.float32, name
        assert value.is_contiguous(), name
        # float32 rounding, amplified a little by the transforms (at most ~10 ulp of the
        # largest value); PatchGAN's 256→512 layer at 32² measures 2–4e-6.
        error = (value.double() - exact).abs().max() / exact.abs().max()
        assert error < 1e-5, (name, error)


@pytest.mark.parametrize("k", [3, 4])
def test_in_float64_they_are_exact_to_float64_rounding(k: int) -> None:
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 6, 19, 19, dtype=torch.float64, generator=gen)
    weight = torch.randn(4, 6, k, k, dtype=torch.float64, generator=gen)
    grad = torch.randn(2, 4, 20 - k, 20 - k, dtype=torch.float64, generator=gen)
    want = _exact(x, weight, grad, 0)
    got = (winograd.conv2d(x, weight, (0, 0)), winograd.input_grad(grad, weight, (0, 0)),
           winograd.weight_grad(x, grad, k, (0, 0)))
    for value, exact in zip(got, want, strict=True):
        torch.testing.assert_close(value, exact, rtol=0, atol=1e-11)
