"""Stride-1 3×3 and 4×4 convolutions with Winograd's minimal filtering, on the CPU.

Why: two layer shapes dominate CPU steps and run at oneDNN's peak, so only fewer
multiplications make them faster. In CycleGAN the weight gradients of the residual
blocks' 256-channel 3×3 convolutions took a third of the step (31 ms each, 108 per
step); in pix2pix (and in CycleGAN's discriminators) PatchGAN's 4×4 stride-1 layer,
256→512 channels at 32², takes a quarter of the step over 3 forward passes, 3 input
gradients and 2 weight gradients.

How: a correlation with a k×k filter, cut into tiles of m×m outputs, is per tile
Winograd's F(m×m, k×k): transform the α×α data tile (α = m + k − 1) and the filter into
α² values each, multiply them pointwise, and transform the α² products back into the
m×m outputs. Summed over channels (and over tiles and batch for the weight gradient)
in the transformed domain, each pass becomes one batched matrix product of α² matrices,
run by MKL:

- forward, F(m, k): (C_out × C_in) @ (C_in × tiles) for each of the α² points;
- input gradient: the same with the kernel flipped (reversed taps) and C_in, C_out
  swapped — the full correlation of the output gradient;
- weight gradient ``dW[o, c, i, j] = Σ_b Σ_p,q grad[b, o, p, q] · x[b, c, p+i, q+j]``:
  a correlation with k outputs per axis and the gradient as the filter, F(k, m):
  (C_out × tiles) @ (tiles × C_in).

Every transform uses α = 6, so m = 7 − k: F(4×4, 3×3) and F(3×3, 4×4), and the data
tiles (α×α at stride m) are the same in all three passes. The data and gradient tile
transforms are strided convolutions with fixed kernels; the filter transform is one
small product per output channel (see ``_filters``).

Measured on a 2-core AVX2/AVX-512 CPU against oneDNN, 256→512, 4×4 at 32²: forward
13.8 vs 19.2 ms, both gradients 27.9 vs 40.1 ms (whole pix2pix step at 256²: 4.4% less,
``bench/train_step.py --models pix2pix --sizes 256 --variant default --variant
fast_ops=no-winograd``); 256 channels, 3×3 at 64²: weight gradient 14 vs 27 ms. At 16²
maps oneDNN is faster, and NNPACK's own Winograd beats this forward for the 3×3
residual blocks (CycleGAN step 5.97 vs 7.00 s): ``fast_ops.conv_plan`` picks per shape.
Tried and dropped: stride-2 4×4 convolutions as 2×2 ones on space-to-depth input —
F(5×5, 2×2) inflates the weights 9× and ran 1.4–3.7× slower than oneDNN.

Interpolation points 0, 1, −1, 2, −½ (and ∞) keep the error at float32 rounding level:
2–4e-6 of the largest value against a float64 reference for the layers above, where
oneDNN's direct sum is at 0.3–3e-6 (0, ±1, ±2 gave 8e-6). It is the same sum in another
order, so results agree with oneDNN's to rounding, not bit for bit; like every fast path
here it is a fixed rule on the layer's shape, so a run repeats exactly.

The matrices are derived here (Toom-Cook, exact fractions) rather than typed in: for
F(m, r) with Vandermonde evaluation matrices ``V_m``, ``V_r`` and the square ``V``,
correlation is ``y = V_mᵀ · ((V_r · g) ⊙ (V⁻ᵀ · d))``.
"""

from __future__ import annotations

import functools
from fractions import Fraction
from typing import NamedTuple

import torch
import torch.nn.functional as F

#: Finite interpolation points; the last point is ∞.
POINTS: tuple[Fraction, ...] = tuple(Fraction(p) for p in (0, 1, -1, 2, Fraction(-1, 2)))


def _vandermonde(n_points: int, degree: int) -> list[list[Fraction]]:
    """Rows ``[1, p, p², …]`` for the first ``n_points - 1`` points, then the ∞ row."""
    rows = [[p ** k for k in range(degree)] for p in POINTS[:n_points - 1]]
    rows.append([Fraction(0)] * (degree - 1) + [Fraction(1)])
    return rows


def _inverse(matrix: list[list[Fraction]]) -> list[list[Fraction]]:
    """Exact inverse by Gauss-Jordan elimination (the matrices here are at most 6×6)."""
    n = len(matrix)
    rows = [list(row) + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(matrix)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        lead = rows[col][col]
        rows[col] = [v / lead for v in rows[col]]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                f = rows[r][col]
                rows[r] = [a - f * b for a, b in zip(rows[r], rows[col], strict=True)]
    return [row[n:] for row in rows]


def _tensor(rows: list[list[Fraction]]) -> torch.Tensor:
    return torch.tensor([[float(v) for v in row] for row in rows], dtype=torch.float64)


@functools.cache
def matrices(outputs: int, taps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Winograd F(outputs, taps) for correlation: (Aᵀ, G, Bᵀ) in float64.

    ``y = Aᵀ · ((G · g) ⊙ (Bᵀ · d))`` for a filter ``g`` of ``taps`` values and data ``d``
    of ``outputs + taps - 1`` values.
    """
    alpha = outputs + taps - 1
    if alpha - 1 > len(POINTS):
        raise ValueError(f"F({outputs}, {taps}) needs more interpolation points")
    v_out = _tensor(_vandermonde(alpha, outputs))  # (α, outputs)
    v_taps = _tensor(_vandermonde(alpha, taps))  # (α, taps)
    v_inv = _tensor(_inverse(_vandermonde(alpha, alpha)))  # (α, α)
    return v_out.t().contiguous(), v_taps, v_inv.t().contiguous()


#: Transformed tile size: every transform here uses all interpolation points (and ∞).
ALPHA = len(POINTS) + 1


def out_tile(k: int) -> int:
    """Outputs per tile (and axis) for a k×k kernel: F(out_tile, k) spans ALPHA points."""
    return ALPHA - k + 1


class _Transforms(NamedTuple):
    """The 2-D transforms for a k×k kernel with m = out_tile(k) outputs per tile."""

    data: torch.Tensor  # (α², 1, α, α) conv kernels: α×α data tile → α² values
    filter: torch.Tensor  # (α², k²): k×k filter → α² values (forward, F(m, k))
    out: torch.Tensor  # (m², α²): α² products → m×m outputs (forward)
    grad: torch.Tensor  # (α², 1, m, m) conv kernels: m×m gradient tile → α² (F(k, m))
    taps: torch.Tensor  # (k², α²): α² sums → k×k weight-gradient taps


@functools.cache
def _transforms(k: int, dtype: torch.dtype) -> _Transforms:
    m = out_tile(k)
    a_t, g, b_t = matrices(m, k)  # forward: correlation of the data with the filter
    taps_t, g_grad, b_t_grad = matrices(k, m)  # weight gradient: … with the gradient
    assert torch.equal(b_t, b_t_grad)  # the data transform depends on α and the points only
    a2 = ALPHA * ALPHA
    return _Transforms(
        data=torch.kron(b_t, b_t).view(a2, 1, ALPHA, ALPHA).to(dtype),
        filter=torch.kron(g, g).to(dtype), out=torch.kron(a_t, a_t).to(dtype),
        grad=torch.kron(g_grad, g_grad).view(a2, 1, m, m).to(dtype),
        taps=torch.kron(taps_t, taps_t).to(dtype))


def _tiles(outputs: int, k: int) -> int:
    """Tiles per axis covering ``outputs`` outputs of a k×k correlation."""
    return -(-outputs // out_tile(k))


def _tile_transform(t: torch.Tensor, kernel: torch.Tensor, stride: int) -> torch.Tensor:
    """Every ``kernel``-sized tile of ``t`` (at ``stride``), transformed: (B·C, α², tiles)."""
    b, c = t.shape[:2]
    out = F.conv2d(t.reshape(b * c, 1, *t.shape[2:]), kernel, stride=stride)
    return out.view(b * c, out.shape[1], -1)


def _data_tiles(x: torch.Tensor, k: int, padding: tuple[int, int],
                tiles: tuple[int, int]) -> torch.Tensor:
    """x zero-padded by ``padding`` and out to whole tiles, transformed: (B·C, α², T)."""
    m = out_tile(k)
    ph, pw = padding
    extra_h = tiles[0] * m + k - 1 - (x.shape[2] + 2 * ph)
    extra_w = tiles[1] * m + k - 1 - (x.shape[3] + 2 * pw)
    # Zeros past the edge (the padding, and out to whole tiles) add nothing to the sums.
    if ph or pw or extra_h or extra_w:
        x = F.pad(x, (pw, pw + extra_w, ph, ph + extra_h))
    return _tile_transform(x, _transforms(k, x.dtype).data, m)


def _correlate(x: torch.Tensor, weight: torch.Tensor, k: int, padding: tuple[int, int], *,
               flip: bool = False) -> torch.Tensor:
    """Stride-1 correlation of x (B, C_in, H, W) with ``weight`` (C_out, C_in, k, k).

    ``flip``: with the kernel flipped on both axes and C_in, C_out swapped (``weight``
    is then (C_in, C_out, k, k), as for the input gradient).
    """
    b, c_in, h, w = x.shape
    m, tf = out_tile(k), _transforms(k, x.dtype)
    out_h, out_w = h + 2 * padding[0] - k + 1, w + 2 * padding[1] - k + 1
    tiles_h, tiles_w = _tiles(out_h, k), _tiles(out_w, k)
    d = _data_tiles(x, k, padding, (tiles_h, tiles_w))  # (B·C_in, α², T)
    a2, n = d.shape[1], tiles_h * tiles_w
    if b == 1:
        d_mats = d.permute(1, 0, 2)  # (α², C_in, T), a view
    else:
        d_mats = d.view(b, c_in, a2, n).permute(2, 1, 0, 3).reshape(a2, c_in, b * n)
    # Flipping the kernel on both axes reverses its k² taps; the swap is a transposed view.
    filters = (_filters(weight, tf.filter.flip(1)).transpose(1, 2) if flip
               else _filters(weight, tf.filter))  # (α², C_out, C_in)
    c_out = filters.shape[1]
    products = torch.bmm(filters, d_mats)  # (α², C_out, B·T)
    del d, d_mats, filters  # the largest temporaries go before the next ones are made
    y = tf.out @ products.view(a2, -1)  # (m², C_out·B·T)
    del products
    y = y.view(m, m, c_out, b, tiles_h, tiles_w).permute(3, 2, 4, 0, 5, 1)
    y = y.reshape(b, c_out, tiles_h * m, tiles_w * m)
    if tiles_h * m != out_h or tiles_w * m != out_w:
        y = y[:, :, :out_h, :out_w].contiguous()
    return y


def _filters(weight: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """``matrix`` (α², k²) applied to every k×k filter: (C_out, α², C_in) → view (α², C_out, C_in).

    Computed per output channel, (α² × k²) @ (k² × C_in): one batched product that MKL
    runs at memory speed (the single (α² × k²) @ (k² × C_out·C_in) product is 3× slower).
    The view's strides suit ``bmm`` as they are; no copy.
    """
    c_out, c_in = weight.shape[:2]
    per_out = torch.matmul(matrix, weight.reshape(c_out, c_in, -1).transpose(1, 2))
    return per_out.transpose(0, 1)


def conv2d(x: torch.Tensor, weight: torch.Tensor, padding: tuple[int, int]) -> torch.Tensor:
    """Stride-1, undilated conv2d without bias; 3×3 or 4×4 kernels; zero ``padding``."""
    return _correlate(x, weight, weight.shape[2], padding)


def input_grad(grad: torch.Tensor, weight: torch.Tensor,
               padding: tuple[int, int]) -> torch.Tensor:
    """dL/dx of :func:`conv2d`: the full correlation of ``grad`` with the flipped kernel."""
    k = weight.shape[2]
    return _correlate(grad, weight, k, (k - 1 - padding[0], k - 1 - padding[1]), flip=True)


def weight_grad(x: torch.Tensor, grad: torch.Tensor, k: int,
                padding: tuple[int, int]) -> torch.Tensor:
    """``dW`` (C_out, C_in, k, k) of a stride-1, undilated k×k conv2d (k = 3 or 4).

    ``x`` is the layer's input (B, C_in, H, W); ``grad`` the output gradient
    (B, C_out, H + 2·ph − k + 1, W + 2·pw − k + 1). Both contiguous, same floating dtype.
    """
    b, c_in = x.shape[:2]
    c_out, out_h, out_w = grad.shape[1:]
    m = out_tile(k)
    tiles_h, tiles_w = _tiles(out_h, k), _tiles(out_w, k)
    if tiles_h * m != out_h or tiles_w * m != out_w:
        grad = F.pad(grad, (0, tiles_w * m - out_w, 0, tiles_h * m - out_h))
    tf = _transforms(k, x.dtype)
    d = _data_tiles(x, k, padding, (tiles_h, tiles_w))
    g = _tile_transform(grad, tf.grad, m)
    a2, tiles = d.shape[1], tiles_h * tiles_w
    # (B·C, α², tiles) → α² matrices: (C_out × B·tiles) @ (B·tiles × C_in).
    if b == 1:  # views, no copies
        g_mats = g.permute(1, 0, 2)
        d_mats = d.permute(1, 2, 0)
    else:
        g_mats = g.view(b, c_out, a2, tiles).permute(2, 1, 0, 3).reshape(a2, c_out, -1)
        d_mats = d.view(b, c_in, a2, tiles).permute(2, 0, 3, 1).reshape(a2, -1, c_in)
    summed = torch.bmm(g_mats, d_mats)  # (α², C_out, C_in)
    del d, g, d_mats, g_mats
    # Per output channel, like _filters: (k² × α²) @ (α² × C_in) → (C_out, k², C_in).
    taps = torch.matmul(tf.taps, summed.transpose(0, 1))
    return taps.transpose(1, 2).contiguous().view(c_out, c_in, k, k)
