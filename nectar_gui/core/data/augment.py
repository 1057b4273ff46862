"""Extra training augmentation: turns, vertical flips, colour, gamma, grey, blur, noise, JPEG.

The reference recipes only resize, crop and flip (:mod:`.transforms`); everything here is
off by default (``DataSection.augment``), so their runs stay as they were. What applies
where:

- **Geometric** changes (vertical flip, quarter turns) apply to A and B alike, because a
  pix2pix pair must stay pixel-aligned. A turn by 90° or 270° would change the shape of
  an image that is not square (``preprocess`` ``none``), and a batch needs one shape, so
  such images turn only by 0° or 180°.
- **Colour** changes (brightness, contrast, saturation, hue, gamma, grey) apply to the
  sides ``color_sides`` names; **degradations** (blur, noise, JPEG) to ``degrade_sides``.
  "input" is the generator's input (A after the direction swap — for CycleGAN, domain A);
  "both" gives A and B the same change. Saturation, hue and grey need colour, so they
  leave grey images alone; an alpha channel is never changed.

Determinism: :meth:`AugmentParams.draw` takes its values from the item's generator
*after* the crop and flip have been drawn, so the crop and flip of every item are the
ones a run without augmentation gets, and like them the draw depends only on the item
seed (not on DataLoader workers or resume points). It always consumes the same number
of values, so switching one augmentation on or off does not change another's draw. The
noise pattern comes from a ``torch.Generator`` seeded from that draw.

The order is fixed: flip, turn, brightness, contrast, saturation, hue, gamma, grey,
blur, noise, JPEG (blur, noise, JPEG is the order in which a camera degrades a picture).
torch and torchvision are imported lazily, so the UI can draw and describe augmentation
without them.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from nectar_gui.core.config import AugmentSection
from nectar_gui.core.data.images import to_tensor

if TYPE_CHECKING:
    import torch

_VALUES_PER_DRAW = 13
_JPEG_QUALITY_MAX = 95


def is_active(cfg: AugmentSection) -> bool:
    """Whether ``cfg`` changes anything (the default changes nothing; the sides alone
    change nothing either)."""
    amounts = (cfg.brightness, cfg.contrast, cfg.saturation, cfg.hue, cfg.gamma,
               cfg.grayscale_p, cfg.blur_sigma, cfg.noise_std, cfg.jpeg_p)
    return cfg.vflip or cfg.rot90 or any(amount > 0 for amount in amounts)


@dataclass(frozen=True)
class AugmentParams:
    """One item's draw; the defaults change nothing.

    Attributes:
        vflip: Flip upside down.
        quarter_turns: Counter-clockwise turns by 90° (0–3), before the square check.
        brightness: Brightness factor (1: unchanged); likewise ``contrast`` and
            ``saturation``.
        hue: Hue shift as a fraction of the colour wheel (−0.5 … 0.5).
        gamma: Gamma exponent (1: unchanged).
        grayscale: Turn grey.
        blur_sigma: Gaussian blur σ in pixels (0: none).
        noise_std: Gaussian noise standard deviation in units of the pixel range.
        noise_seed: Seed of the noise pattern.
        jpeg_quality: JPEG quality to re-compress at, or None.
    """

    vflip: bool = False
    quarter_turns: int = 0
    brightness: float = 1.0
    contrast: float = 1.0
    saturation: float = 1.0
    hue: float = 0.0
    gamma: float = 1.0
    grayscale: bool = False
    blur_sigma: float = 0.0
    noise_std: float = 0.0
    noise_seed: int = 0
    jpeg_quality: int | None = None

    @classmethod
    def draw(cls, rng: np.random.Generator, cfg: AugmentSection) -> AugmentParams:
        """Draw every augmentation's parameters from ``rng`` (always the same count)."""
        u = [float(v) for v in rng.random(_VALUES_PER_DRAW)]
        low = cfg.jpeg_quality_min
        quality = min(low + int(u[11] * (_JPEG_QUALITY_MAX + 1 - low)), _JPEG_QUALITY_MAX)
        return cls(
            vflip=cfg.vflip and u[0] < 0.5,
            quarter_turns=min(int(u[1] * 4), 3) if cfg.rot90 else 0,
            brightness=1.0 + cfg.brightness * (2 * u[2] - 1),
            contrast=1.0 + cfg.contrast * (2 * u[3] - 1),
            saturation=1.0 + cfg.saturation * (2 * u[4] - 1),
            hue=cfg.hue * (2 * u[5] - 1),
            gamma=math.exp((2 * u[6] - 1) * math.log1p(cfg.gamma)),
            grayscale=u[7] < cfg.grayscale_p,
            blur_sigma=cfg.blur_sigma * u[8],
            noise_std=cfg.noise_std * u[9],
            noise_seed=int(u[12] * 2**53) if cfg.noise_std > 0 else 0,
            jpeg_quality=quality if u[10] < cfg.jpeg_p else None)

    def turns_for(self, *, square: bool) -> int:
        """The quarter turns applied: odd turns become even ones on non-square images."""
        return self.quarter_turns if square else self.quarter_turns & 2


def augment_pair(img_a: Image.Image, img_b: Image.Image, params: AugmentParams,
                 cfg: AugmentSection) -> tuple[torch.Tensor, torch.Tensor]:
    """A (the generator's input) and B as (C, H, W) tensors in [-1, 1], augmented.

    ``img_a`` and ``img_b`` are the preprocessed (resized, cropped, flipped) images.
    A side that only turns or flips is moved exactly, never rescaled.
    """
    square = img_a.width == img_a.height and img_b.width == img_b.height
    turns = params.turns_for(square=square)
    tensors = []
    for side, img in (("input", img_a), ("target", img_b)):
        x = _geometric(to_tensor(img), params.vflip, turns)  # (C, H, W) in [-1, 1]
        colour = cfg.color_sides == "both" or side == "input"
        degrade = cfg.degrade_sides == "both" or side == "input"
        if _changes_pixels(params, colour=colour, degrade=degrade):
            x = _photometric(x.add(1.0).mul_(0.5), params, colour=colour,
                             degrade=degrade).mul(2.0).sub_(1.0)
        tensors.append(x)
    return tensors[0], tensors[1]


def _geometric(x: torch.Tensor, vflip: bool, turns: int) -> torch.Tensor:
    import torch
    from torchvision.transforms.v2 import functional as F

    if vflip:
        x = F.vflip(x)
    if turns:
        x = torch.rot90(x, turns, dims=(-2, -1)).contiguous()
    return x


def _changes_pixels(p: AugmentParams, *, colour: bool, degrade: bool) -> bool:
    recolours = (p.brightness, p.contrast, p.saturation, p.gamma) != (1.0,) * 4 or \
        p.hue != 0.0 or p.grayscale
    degrades = p.blur_sigma > 0 or p.noise_std > 0 or p.jpeg_quality is not None
    return (colour and recolours) or (degrade and degrades)


def _photometric(x: torch.Tensor, p: AugmentParams, *, colour: bool, degrade: bool
                 ) -> torch.Tensor:
    """Colour and degradation on the colour channels of ``x`` (C, H, W) in [0, 1]."""
    import torch

    split = 3 if x.shape[0] >= 3 else 1  # RGB or grey; a 4th channel is alpha
    image, alpha = x[:split], x[split:]
    if colour:
        image = _recolour(image, p)
    if degrade:
        image = _degrade(image, p)
    return torch.cat([image, alpha]) if alpha.numel() else image


def _recolour(image: torch.Tensor, p: AugmentParams) -> torch.Tensor:
    from torchvision.transforms.v2 import functional as F

    if p.brightness != 1.0:
        image = F.adjust_brightness(image, p.brightness)
    if p.contrast != 1.0:
        image = F.adjust_contrast(image, p.contrast)
    if p.saturation != 1.0:
        image = F.adjust_saturation(image, p.saturation)  # grey: unchanged
    if p.hue != 0.0:
        image = F.adjust_hue(image, p.hue)  # grey: unchanged
    if p.gamma != 1.0:
        image = F.adjust_gamma(image, p.gamma)
    if p.grayscale and image.shape[0] == 3:
        image = F.rgb_to_grayscale(image, num_output_channels=3)
    return image.clamp(0.0, 1.0)  # grey is an expanded view: not in place


def _degrade(image: torch.Tensor, p: AugmentParams) -> torch.Tensor:
    import torch
    from torchvision.transforms.v2 import functional as F

    if p.blur_sigma > 0:
        # 3σ each side, but reflection padding needs less than the image's side.
        half = min(math.ceil(3 * p.blur_sigma), min(image.shape[-2:]) - 1)
        if half > 0:
            size = 2 * half + 1
            image = F.gaussian_blur(image, [size, size], [p.blur_sigma, p.blur_sigma])
    if p.noise_std > 0:
        generator = torch.Generator().manual_seed(p.noise_seed)
        noise = torch.randn(image.shape, generator=generator)  # (C, H, W)
        image = (image + p.noise_std * noise).clamp_(0.0, 1.0)
    if p.jpeg_quality is not None:
        image = _jpeg(image, p.jpeg_quality)
    return image


def _jpeg(image: torch.Tensor, quality: int) -> torch.Tensor:
    """Encode and decode ``image`` (C, H, W) in [0, 1] as a JPEG of ``quality``.

    Through Pillow rather than ``F.jpeg``: torchvision 0.29 deprecates its JPEG codec
    (moving to TorchCodec), and Pillow's libjpeg is as deterministic.
    """
    import torch

    pixels = image.mul(255.0).round_().clamp_(0, 255).to(torch.uint8)
    hwc = np.ascontiguousarray(pixels.permute(1, 2, 0).numpy())  # (H, W, C), C = 1 or 3
    buffer = io.BytesIO()
    Image.fromarray(hwc[..., 0] if hwc.shape[2] == 1 else hwc).save(
        buffer, format="JPEG", quality=quality)
    decoded = np.array(Image.open(buffer), dtype=np.uint8).reshape(hwc.shape)
    return torch.from_numpy(decoded).permute(2, 0, 1).float().div_(255.0)
