"""Winograd weight gradient (core/models/winograd.py) against exact and stock results."""

from __future__ import annotations

import pytest
import torch

from nectar_gui.core.models.winograd import matrices, weight_grad_3x3


@pytest.mark.parametrize(("outputs", "taps"), [(3, 4), (4, 3), (2, 3)])
def test_matrices_compute_a_correlation_exactly(outputs: int, taps: int) -> None:
    a_t, g, b_t = matrices(outputs, taps)
    gen = torch.Generator().manual_seed(0)
    data = torch.randn(outputs + taps - 1, dtype=torch.float64, generator=gen)
    filt = torch.randn(taps, dtype=torch.float64, generator=gen)
    want = torch.stack([data[i:i + taps] @ filt for i in range(outputs)])
    got = a_t @ ((g @ filt) * (b_t @ data))
    torch.testing.assert_close(got, want, rtol=0, atol=1e-12)


def _stock_weight_grad(x: torch.Tensor, grad: torch.Tensor, padding: int) -> torch.Tensor:
    weight = torch.zeros(grad.shape[1], x.shape[1], 3, 3, dtype=x.dtype)
    return torch.ops.aten.convolution_backward(
        grad, x, weight, None, [1, 1], [padding, padding], [1, 1], False, [0, 0], 1,
        [False, True, False])[1]


@pytest.mark.parametrize(
    ("batch", "c_in", "c_out", "size", "padding"),
    [
        (1, 64, 48, 66, 0),  # whole 4×4 tiles of the 64² output
        (3, 16, 24, 21, 1),  # 21² output: the last tiles are partial; batch 3
        (2, 8, 8, 7, 0),  # one partial tile
        (1, 5, 7, 12, 2),  # wide padding
    ],
)
def test_weight_grad_matches_the_exact_sum(batch: int, c_in: int, c_out: int, size: int,
                                           padding: int) -> None:
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(batch, c_in, size, size, generator=gen)
    out = size + 2 * padding - 2
    grad = torch.randn(batch, c_out, out, out, generator=gen)
    exact = _stock_weight_grad(x.double(), grad.double(), padding)
    got = weight_grad_3x3(x, grad, (padding, padding))
    assert got.shape == exact.shape and got.dtype == torch.float32 and got.is_contiguous()
    # float32 rounding, amplified a little by the transforms (at most ~10 ulp of the
    # largest value); the 256-channel 64² case measures 2.5e-6.
    error = (got.double() - exact).abs().max() / exact.abs().max()
    assert error < 1e-5, error

def test_weight_grad_in_float64_is_exact_to_float64_rounding() -> None:
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 6, 19, 19, dtype=torch.float64, generator=gen)
    grad = torch.randn(2, 4, 17, 17, dtype=torch.float64, generator=gen)
    torch.testing.assert_close(weight_grad_3x3(x, grad, (0, 0)),
                               _stock_weight_grad(x, grad, 0), rtol=0, atol=1e-11)
