"""Image-quality metrics on uint8 images, computed in float64 on the CPU.

All images are first scaled to [0, 1]:

- L1: mean absolute difference.
- PSNR: ``10 · log10(1 / MSE)`` dB (peak 1.0); identical images give +inf.
- SSIM: exactly scikit-image's ``structural_similarity`` defaults for a multichannel
  image with ``data_range=1``: a 7×7 uniform window, K1 = 0.01, K2 = 0.03, sample
  (co)variances (× N / (N − 1), N = 49), the mean over the window positions that fit
  inside the image, then the mean over channels. torchmetrics' SSIM was checked and
  does not match: it uses population variances (no N / (N − 1)) and clamps them at
  zero, which moves values by ~1e-4 — so the few lines are written here.

float64 keeps the results equal to scikit-image's to ~1e-12 (tests/core/test_metrics.py).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

SSIM_WINDOW = 7
_K1, _K2 = 0.01, 0.03


def to_unit(image: np.ndarray) -> torch.Tensor:
    """A uint8 (H, W) or (H, W, C) image as a float64 (C, H, W) tensor in [0, 1]."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    hwc = image if image.ndim == 3 else image[:, :, None]
    return torch.from_numpy(hwc.astype(np.float64)).permute(2, 0, 1) / 255.0  # an owned copy


def _pair(generated: np.ndarray, target: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = to_unit(generated), to_unit(target)
    if x.shape != y.shape:
        raise ValueError(f"images differ in shape: {tuple(generated.shape)} vs "
                         f"{tuple(target.shape)}")
    return x, y


def l1_distance(generated: np.ndarray, target: np.ndarray) -> float:
    """Mean absolute difference of the two images in [0, 1]."""
    x, y = _pair(generated, target)
    return float((x - y).abs().mean())


def psnr(generated: np.ndarray, target: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB with peak 1.0 (+inf for identical images)."""
    x, y = _pair(generated, target)
    mse = float(((x - y) ** 2).mean())
    return math.inf if mse == 0 else 10.0 * math.log10(1.0 / mse)


def ssim(generated: np.ndarray, target: np.ndarray) -> float:
    """Mean SSIM as scikit-image computes it by default (see the module docstring).

    Returns NaN when a side is shorter than the 7-pixel window (scikit-image refuses).
    """
    x, y = _pair(generated, target)
    if min(x.shape[1:]) < SSIM_WINDOW:
        return math.nan
    n = SSIM_WINDOW * SSIM_WINDOW
    cov_norm = n / (n - 1)
    stack = torch.stack([x, y, x * x, y * y, x * y])  # (5, C, H, W)
    # A uniform window over the positions where it fits whole ("valid"): the same
    # values scikit-image keeps after cropping its reflect-padded filter output.
    means = F.avg_pool2d(stack, SSIM_WINDOW, stride=1)  # (5, C, H-6, W-6)
    mx, my, mxx, myy, mxy = means
    vx, vy, cxy = (cov_norm * (mxx - mx * mx), cov_norm * (myy - my * my),
                   cov_norm * (mxy - mx * my))
    c1, c2 = _K1 ** 2, _K2 ** 2
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return float(s.mean(dim=(1, 2)).mean())


def paired_metrics(generated: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """``{"l1", "psnr", "ssim"}`` of a generated image against its target (same shape)."""
    return {"l1": l1_distance(generated, target), "psnr": psnr(generated, target),
            "ssim": ssim(generated, target)}
