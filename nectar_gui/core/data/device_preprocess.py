"""Resize, crop and flip on the training device, from the decoded uint8 images.

On a fast GPU the loader processes can fall behind: every item is resized (bicubic) and
cropped on a CPU core, and a batch-16 pix2pix step on an H200 consumes about 1000 images
a second. With ``data.device_preprocess`` the loader only decodes; each item travels as
the whole uint8 image plus its :class:`TransformParams`, and the resize, crop and flip
run as a few kernels per item on the training device.

The random draws are the loader's own — the same ``TransformParams.draw`` from the same
item seed, and the same :func:`crop_box` arithmetic — so a run sees the same regions and
flips as on the CPU path. The pixels differ slightly: torch's antialiased bicubic is
not Pillow's (about one grey level on average), so a run with it is not bit-identical
to one without, though it repeats exactly on its own device.

Not used with ``data.augment`` (its changes run on the cropped image in the loader).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from nectar_gui.core.config import DataSection
from nectar_gui.core.data.images import uint8_to_float
from nectar_gui.core.data.transforms import TransformParams, crop_box

#: Batch key holding each item's (crop_x, crop_y, flip) as float64 rows.
PARAMS = "transform"


def is_raw(batch: dict[str, Any]) -> bool:
    """Whether ``batch`` holds whole decoded images still to be resized and cropped."""
    return PARAMS in batch


def params_row(params: TransformParams) -> Tensor:
    """The draw as a (3,) float64 tensor that collates like any other field."""
    return torch.tensor([params.crop_x, params.crop_y, float(params.flip)],
                        dtype=torch.float64)


def collate_raw(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Items of different sizes: images stay lists; everything else collates as usual."""
    from torch.utils.data import default_collate

    images = {k: [item[k] for item in items] for k in ("A", "B")}
    rest = default_collate([{k: v for k, v in item.items() if k not in images}
                            for item in items])
    return {**rest, **images}


def preprocess_on(batch: dict[str, Any], cfg: DataSection, device: torch.device
                  ) -> dict[str, Tensor]:
    """The batch's A and B as (N, C, crop, crop) floats in [-1, 1] on ``device``."""
    rows = batch[PARAMS].tolist()
    out = {}
    for key in ("A", "B"):
        images = [_one(image, TransformParams(row[0], row[1], bool(row[2])), cfg, device)
                  for image, row in zip(batch[key], rows, strict=True)]
        out[key] = torch.stack(images)
    return out


def _one(image: Tensor, params: TransformParams, cfg: DataSection, device: torch.device
         ) -> Tensor:
    """One (C, H, W) uint8 image → (C, h, w) float in [-1, 1], as ``transforms.preprocess``."""
    x = image.to(device, non_blocking=True)
    if cfg.preprocess == "resize_and_crop":
        x = _crop(_resize(x, cfg.load_size, cfg.load_size), cfg.crop_size, params)
    elif cfg.preprocess == "crop":
        x = _crop(_cover(x, cfg.crop_size), cfg.crop_size, params)
    elif cfg.preprocess == "resize":
        x = _resize(x, cfg.crop_size, cfg.crop_size)
    if cfg.flip and params.flip:
        x = x.flip(-1)
    return uint8_to_float(x)


def _resize(x: Tensor, height: int, width: int) -> Tensor:
    """Bicubic with antialiasing, rounded back to uint8 as Pillow's result is."""
    if tuple(x.shape[1:]) == (height, width):
        return x
    y = F.interpolate(x[None].float(), size=(height, width), mode="bicubic",
                      align_corners=False, antialias=True)[0]
    return y.round_().clamp_(0, 255).to(torch.uint8)


def _crop(x: Tensor, crop: int, params: TransformParams) -> Tensor:
    height, width = x.shape[1:]
    if (height, width) == (crop, crop):
        return x
    left, top, right, bottom = crop_box((width, height), crop, params)
    return x[:, top:bottom, left:right]


def _cover(x: Tensor, crop: int) -> Tensor:
    """Scale up, keeping the aspect ratio, until both sides are ≥ ``crop``."""
    height, width = x.shape[1:]
    if min(width, height) >= crop:
        return x
    scale = crop / min(width, height)
    return _resize(x, max(crop, math.ceil(height * scale)), max(crop, math.ceil(width * scale)))
