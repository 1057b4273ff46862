"""Samples with known patch maps for the inspector tests (no torch)."""

from __future__ import annotations

import numpy as np

from nectar_gui.core.geometry import ReceptiveField
from nectar_gui.core.training.reports import SampleReport
from tests.fields import patchgan_field


def gradient_image(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A uint8 RGB image that is not uniform (so the heat map is seen over something)."""
    yy, xx = np.mgrid[0:height, 0:width]
    rng = np.random.default_rng(seed)
    noise = rng.integers(0, 40, (height, width))
    rgb = np.stack([xx * 200 // max(width, 1) + noise, yy * 200 // max(height, 1) + noise,
                    np.full_like(xx, 90)], axis=-1)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def random_map(rf: ReceptiveField, height: int, width: int, seed: int = 0) -> np.ndarray:
    """Distinct raw scores on the grid D gives for a height × width image."""
    grid = (rf.output_size(height), rf.output_size(width))
    rng = np.random.default_rng(seed)
    return rng.permutation(grid[0] * grid[1]).reshape(grid).astype(np.float32) / 10 - 1


def pix2pix_sample(step: int = 10, size: int = 64, n_layers: int = 3,
                   gan_mode: str = "vanilla", rf: ReceptiveField | None = None
                   ) -> SampleReport:
    """A pix2pix-like sample: real_A, fake_B, real_B with D(real_B) and D(fake_B)."""
    rf = rf or patchgan_field(n_layers)
    images = {n: gradient_image(size, size, i) for i, n in enumerate(("real_A", "fake_B",
                                                                       "real_B"))}
    maps = {"D(real_B)": random_map(rf, size, size, step) + 1,
            "D(fake_B)": random_map(rf, size, size, step + 1)}
    return SampleReport(step=step, epoch=0, images=images, patch_maps=maps,
                        patch_map_images={"D(real_B)": "real_B", "D(fake_B)": "fake_B"},
                        receptive_field=rf, gan_mode=gan_mode)


def cyclegan_sample(step: int = 10, size: int = 64, n_layers: int = 3) -> SampleReport:
    """A CycleGAN-like sample with one discriminator per domain (lsgan)."""
    rf = patchgan_field(n_layers)
    names = ("real_A", "fake_B", "rec_A", "real_B", "fake_A", "rec_B")
    images = {n: gradient_image(size, size, i) for i, n in enumerate(names)}
    judged = {"D_A(real_A)": "real_A", "D_A(fake_A)": "fake_A",
              "D_B(real_B)": "real_B", "D_B(fake_B)": "fake_B"}
    maps = {name: random_map(rf, size, size, step + i) for i, name in enumerate(judged)}
    return SampleReport(step=step, epoch=1, images=images, patch_maps=maps,
                        patch_map_images=judged, receptive_field=rf, gan_mode="lsgan")
