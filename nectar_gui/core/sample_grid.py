"""Samples on screen and on disk: the captioned RGB grid and the NPZ sample file.

The grid is what the user sees in the sample view and what is saved as
``samples/<step>.png``, so both show the same picture. The NPZ keeps the raw data behind
it: each image as ``image/<name>`` (uint8 HWC), each discriminator patch map as
``patch/<name>`` (float32 (h, w)), and ``meta``, a JSON string with step, epoch,
gan_mode, patch_map_images and the receptive field. No torch and no pickle: this runs in
the UI process and in headless runs alike.
"""

from __future__ import annotations

import functools
import io
import json
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from nectar_gui.core.geometry import ReceptiveField

if TYPE_CHECKING:
    from nectar_gui.core.training.reports import SampleReport

GAP = 4  # pixels between cells and around the grid
CAPTION_HEIGHT = 14  # pixels of the caption strip under each image
BACKGROUND = (30, 30, 30)
TEXT_COLOR = (220, 220, 220)
_CHECKER = 8  # checkerboard square, in pixels, shown behind transparent pixels


def make_sample_grid(images: dict[str, np.ndarray], *, columns: int | None = None,
                     label: bool = True) -> np.ndarray:
    """Arrange uint8 images in a row (or ``columns`` per row) with their names below.

    Args:
        images: Name → uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) array, in the
            order they should appear. Grey is repeated to RGB; RGBA is shown over a
            checkerboard so transparency stays visible. Sizes may differ: each image is
            centred in a cell as large as the largest one.
        columns: Images per row; None puts them all in one row.
        label: Draw each name in a caption strip under its image.

    Returns:
        A contiguous uint8 (H, W, 3) array.
    """
    if not images:
        raise ValueError("make_sample_grid needs at least one image")
    if columns is not None and columns < 1:
        raise ValueError(f"columns must be at least 1, got {columns}")
    rgb = {name: to_rgb(name, image) for name, image in images.items()}
    cell_h = max(a.shape[0] for a in rgb.values())
    cell_w = max(a.shape[1] for a in rgb.values())
    cols = min(columns or len(rgb), len(rgb))
    rows = math.ceil(len(rgb) / cols)
    caption = CAPTION_HEIGHT if label else 0
    pitch_y, pitch_x = cell_h + caption + GAP, cell_w + GAP
    canvas = Image.new("RGB", (GAP + cols * pitch_x, GAP + rows * pitch_y), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    for index, (name, array) in enumerate(rgb.items()):
        top = GAP + (index // cols) * pitch_y
        left = GAP + (index % cols) * pitch_x
        offset = ((cell_w - array.shape[1]) // 2, (cell_h - array.shape[0]) // 2)
        canvas.paste(Image.fromarray(array), (left + offset[0], top + offset[1]))
        if label:
            _draw_caption(draw, name, left, top + cell_h, cell_w)
    return np.ascontiguousarray(np.asarray(canvas, dtype=np.uint8))


def to_rgb(name: str, image: np.ndarray) -> np.ndarray:
    """Convert a uint8 grey, RGB or RGBA image to contiguous uint8 (H, W, 3)."""
    array = np.asarray(image)
    if array.dtype != np.uint8:
        raise ValueError(f"Sample image {name!r} has dtype {array.dtype}; expected uint8")
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4) or 0 in array.shape:
        raise ValueError(f"Sample image {name!r} has shape {array.shape}; expected "
                         f"(H, W) or (H, W, C) with C = 1, 3 or 4")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    elif array.shape[2] == 4:
        array = _over_checkerboard(array)
    return np.ascontiguousarray(array)


def _over_checkerboard(rgba: np.ndarray) -> np.ndarray:
    h, w = rgba.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    board = np.where(((yy // _CHECKER + xx // _CHECKER) % 2)[:, :, None] == 0, 200, 150)
    alpha = rgba[:, :, 3:].astype(np.float32) / 255.0
    mixed = rgba[:, :, :3] * alpha + board * (1.0 - alpha)
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


def _draw_caption(draw: ImageDraw.ImageDraw, name: str, left: int, top: int,
                  width: int) -> None:
    """Write ``name`` centred under a cell, shortened with "..." when it does not fit."""
    font = _font()
    text = name
    for keep in range(len(name) - 1, 0, -1):
        if draw.textlength(text, font=font) <= width:
            break
        text = name[:keep] + "..."
    x = left + max((width - draw.textlength(text, font=font)) / 2, 0)
    draw.text((x, top + 1), text, fill=TEXT_COLOR, font=font)


@functools.cache
def _font() -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default()


# ---- the NPZ sample file ---------------------------------------------------------------
@dataclass(frozen=True)
class SampleRecord:
    """A sample read back from a run folder.

    When only the PNG exists (older or foreign runs), ``images`` holds the whole grid
    under ``"grid"``, there are no patch maps and ``epoch``, ``receptive_field`` and
    ``gan_mode`` are None.
    """

    step: int
    epoch: int | None
    images: dict[str, np.ndarray]
    patch_maps: dict[str, np.ndarray] = field(default_factory=dict)
    patch_map_images: dict[str, str] = field(default_factory=dict)
    receptive_field: ReceptiveField | None = None
    gan_mode: str | None = None


def encode_sample_npz(report: SampleReport) -> bytes:
    """The compressed NPZ file contents for one sample."""
    meta = {
        "step": report.step,
        "epoch": report.epoch,
        "gan_mode": report.gan_mode,
        "patch_map_images": dict(report.patch_map_images),
        "receptive_field": report.receptive_field.to_dict(),
    }
    arrays = {"meta": np.array(json.dumps(meta))}
    arrays.update({f"image/{k}": np.asarray(v, np.uint8) for k, v in report.images.items()})
    arrays.update({f"patch/{k}": np.asarray(v, np.float32)
                   for k, v in report.patch_maps.items()})
    buffer = io.BytesIO()
    # Plain dtypes only, so nothing is pickled. The ignore: numpy's stubs read **arrays as
    # possibly holding the bool allow_pickle.
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    return buffer.getvalue()


def decode_sample_npz(data: bytes, step: int) -> SampleRecord:
    """Read NPZ contents written by ``encode_sample_npz``; ValueError if damaged."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            images = {k[6:]: npz[k] for k in npz.files if k.startswith("image/")}
            maps = {k[6:]: npz[k] for k in npz.files if k.startswith("patch/")}
        rf = meta.get("receptive_field")
        geometry = ReceptiveField.from_dict(rf) if rf else None
    except (OSError, KeyError, TypeError, EOFError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from exc
    return SampleRecord(step=step, epoch=meta.get("epoch"), images=images, patch_maps=maps,
                        patch_map_images=dict(meta.get("patch_map_images", {})),
                        receptive_field=geometry, gan_mode=meta.get("gan_mode"))
