"""Resizing, cropping and flipping, drawn once and applied identically to A and B.

pix2pix learns a pixel-to-pixel mapping, so A and B of a pair must be cropped at the
same place and flipped together. One :class:`TransformParams` is drawn per item and
passed to :func:`preprocess` for both images. Offsets are stored as fractions of the
free room, so two images of different sizes (a paired dataset with a high-resolution B)
still get corresponding regions.

Preprocess modes (``DataSection.preprocess``):

- ``resize_and_crop``: resize to load_size × load_size (bicubic), random crop_size crop;
- ``crop``: random crop_size crop at the original resolution; an image smaller than the
  crop is first scaled up (keeping its aspect ratio) until it covers the crop. Scaling
  is used rather than reflection padding because mirrored borders would teach the
  discriminator that mirror seams look real, and padding fails for images smaller than
  half the crop;
- ``resize``: resize to crop_size × crop_size, no crop;
- ``none``: keep the image as it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image

from nectar_gui.core.config import DataSection

_RESAMPLE = Image.Resampling.BICUBIC


@dataclass(frozen=True)
class TransformParams:
    """One random draw: where to crop (fractions of the free room) and whether to flip."""

    crop_x: float = 0.5
    crop_y: float = 0.5
    flip: bool = False

    @classmethod
    def draw(cls, rng: np.random.Generator, *, flip: bool) -> TransformParams:
        """Draw crop fractions in [0, 1) and a fair coin for the flip (if enabled).

        Always consumes three values so later draws from ``rng`` do not depend on
        ``flip``.
        """
        x, y, coin = rng.random(3)
        return cls(crop_x=float(x), crop_y=float(y), flip=bool(flip and coin < 0.5))

    @classmethod
    def centre(cls) -> TransformParams:
        """Evaluation: centre crop, no flip."""
        return cls()


def preprocess(img: Image.Image, params: TransformParams, cfg: DataSection) -> Image.Image:
    """Resize / crop / flip ``img`` as ``cfg`` says, at the place ``params`` chose."""
    if cfg.preprocess == "resize_and_crop":
        img = _resize(img, (cfg.load_size, cfg.load_size))
        img = _crop(img, cfg.crop_size, params)
    elif cfg.preprocess == "crop":
        img = _crop(_cover(img, cfg.crop_size), cfg.crop_size, params)
    elif cfg.preprocess == "resize":
        img = _resize(img, (cfg.crop_size, cfg.crop_size))
    if cfg.flip and params.flip:
        img = img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return img


def crop_box(size: tuple[int, int], crop: int, params: TransformParams
             ) -> tuple[int, int, int, int]:
    """The (left, top, right, bottom) box of a ``crop`` square inside ``size`` (w, h).

    Each offset is uniform over 0 … room (inclusive) when the fraction is uniform.
    """
    width, height = size
    left = _offset(width - crop, params.crop_x)
    top = _offset(height - crop, params.crop_y)
    return left, top, left + crop, top + crop


def _offset(room: int, fraction: float) -> int:
    return min(int(fraction * (room + 1)), room)


def _resize(img: Image.Image, size: tuple[int, int]) -> Image.Image:
    return img if img.size == size else img.resize(size, _RESAMPLE)


def _crop(img: Image.Image, crop: int, params: TransformParams) -> Image.Image:
    if img.size == (crop, crop):
        return img
    return img.crop(crop_box(img.size, crop, params))


def _cover(img: Image.Image, crop: int) -> Image.Image:
    """Scale ``img`` up, keeping its aspect ratio, until both sides are ≥ ``crop``."""
    width, height = img.size
    if min(width, height) >= crop:
        return img
    scale = crop / min(width, height)
    size = (max(crop, math.ceil(width * scale)), max(crop, math.ceil(height * scale)))
    return _resize(img, size)
