"""Finding, decoding and converting image files, and turning them into tensors.

Every image the app trains on goes through :func:`load_image`, so photos from phones
(EXIF rotation), scans (16-bit, CMYK), and web graphics (palettes, transparency) all
arrive as plain 8-bit ``L``, ``RGB`` or ``RGBA`` images with the channel count the
networks expect. Decoding is always complete: a truncated file raises
:class:`ImageReadError` instead of being padded with grey, which would silently teach
the networks garbage. torch is imported lazily so the UI can list and inspect images
without paying for it.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nectar_gui.core.data.errors import ImageReadError

if TYPE_CHECKING:
    import torch

IMAGE_SUFFIXES: frozenset[str] = frozenset(
    {".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm"})

CHANNEL_MODES: dict[int, str] = {1: "L", 3: "RGB", 4: "RGBA"}

# 16/32-bit integer and float modes; converted to 8-bit by scaling, not clipping.
_HIGH_DEPTH_MODES = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_ALPHA_MODES = frozenset({"LA", "La", "PA", "RGBa"})
_DECODE_ERRORS = (OSError, ValueError, SyntaxError, EOFError, struct.error,
                  Image.DecompressionBombError)
# Pillow warns "Truncated File Read" (EXIF of a cut-short file) through ``warnings``,
# which would print raw library text next to our own message about the same file; the
# decode that follows fails and is reported in plain words instead.
warnings.filterwarnings("ignore", message="Truncated File Read", module=r"PIL\..*")
# EXIF orientations 5–8 rotate by 90° and so swap width and height.
_EXIF_ORIENTATION = 0x0112
_TRANSPOSED_ORIENTATIONS = frozenset({5, 6, 7, 8})


@dataclass(frozen=True)
class ImageInfo:
    """Size (after EXIF rotation) and original mode of a fully decoded image file."""

    width: int
    height: int
    mode: str
    has_alpha: bool = False


def list_images(folder: str | Path) -> list[Path]:
    """The image files directly inside ``folder``, sorted by name.

    Suffixes match case-insensitively; hidden files (``.DS_Store``, ``._x.jpg`` from
    macOS) and other files (``.txt`` notes) are ignored. Subfolders are not searched, so
    ``train/A`` and ``train/B`` never leak into ``train``.
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir()
             if not p.name.startswith(".") and p.suffix.lower() in IMAGE_SUFFIXES
             and p.is_file()]
    return sorted(files, key=lambda p: p.name)


def decode_image(path: str | Path) -> Image.Image:
    """Fully decode ``path``, apply its EXIF rotation and normalise it to L, RGB or RGBA.

    Raises:
        ImageReadError: the file is missing, not an image, truncated or corrupt.
    """
    try:
        with Image.open(path) as img:
            img.load()  # decode everything now: truncation raises here
            oriented = ImageOps.exif_transpose(img)
            return _normalise_mode(oriented if oriented is not None else img)
    except _DECODE_ERRORS as exc:
        raise ImageReadError(path, _reason(exc, path)) from exc


def load_image(path: str | Path, channels: int) -> Image.Image:
    """Decode ``path`` into an 8-bit image with ``channels`` channels (1, 3 or 4).

    Raises:
        ImageReadError: the file cannot be decoded or converted.
        ValueError: ``channels`` is not 1, 3 or 4.
    """
    _check_channels(channels)
    return convert_channels(decode_image(path), channels)


def load_image_any(path: str | Path) -> np.ndarray:
    """Decode ``path`` as it is: an owned uint8 (H, W, C) array with C = 1, 3 or 4.

    EXIF rotation, palettes, 16-bit and CMYK are handled as by :func:`decode_image`;
    transparency is kept (C = 4) so a caller can set it aside and put it back.

    Raises:
        ImageReadError: the file is missing, not an image, truncated or corrupt.
    """
    arr = np.array(decode_image(path), dtype=np.uint8)  # an owned, writable copy
    return arr[:, :, None] if arr.ndim == 2 else arr


def inspect_image(path: str | Path) -> ImageInfo:
    """Decode ``path`` completely and report its oriented size and original mode.

    Used by the scanner: it proves the file is readable the same way training will read
    it, and the original mode reveals datasets that mix grey and colour images.
    """
    try:
        with Image.open(path) as img:
            img.load()
            mode, (width, height) = img.mode, img.size
            if img.getexif().get(_EXIF_ORIENTATION) in _TRANSPOSED_ORIENTATIONS:
                width, height = height, width
            has_alpha = _normalise_mode(img).mode == "RGBA"
    except _DECODE_ERRORS as exc:
        raise ImageReadError(path, _reason(exc, path)) from exc
    return ImageInfo(width=width, height=height, mode=mode, has_alpha=has_alpha)


def convert_channels(img: Image.Image, channels: int) -> Image.Image:
    """Convert an L / RGB / RGBA image to ``channels`` channels.

    Transparent pixels are composited over white when the alpha channel is dropped,
    because the colour stored under a fully transparent pixel is arbitrary.
    """
    _check_channels(channels)
    img = _normalise_mode(img)
    target = CHANNEL_MODES[channels]
    if img.mode == "RGBA" and target != "RGBA":
        img = _over_white(img)
    return img if img.mode == target else img.convert(target)


def to_tensor(img: Image.Image) -> torch.Tensor:
    """An 8-bit PIL image as a float32 tensor (C, H, W) scaled to [-1, 1]."""
    return uint8_to_float(to_uint8_tensor(img))


def to_uint8_tensor(img: Image.Image) -> torch.Tensor:
    """An 8-bit PIL image as a uint8 tensor (C, H, W), values as stored."""
    import torch

    arr = np.array(img, dtype=np.uint8)  # a writable copy: torch refuses read-only memory
    if arr.ndim == 2:
        arr = arr[:, :, None]
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))  # (C, H, W)


def uint8_to_float(t: torch.Tensor) -> torch.Tensor:
    """uint8 pixels (any shape) as float32 in [-1, 1]: the one formula, wherever it runs.

    Training batches travel as uint8 and are converted on the training device, so this
    must give the same values as :func:`to_tensor` did in the loader.
    """
    return t.float().div_(127.5).sub_(1.0)


def to_uint8(t: torch.Tensor) -> np.ndarray:
    """A (C, H, W) tensor in [-1, 1] as an owned, contiguous uint8 (H, W, C) array.

    The copy never aliases the tensor, so it can safely cross to the UI thread.
    """
    if t.ndim != 3:
        raise ValueError(f"to_uint8 expects a (C, H, W) tensor, got shape {tuple(t.shape)}")
    import torch

    scaled = (t.detach().float().clamp(-1.0, 1.0) + 1.0) * 127.5
    hwc = scaled.round_().to(torch.uint8).permute(1, 2, 0).contiguous()  # (H, W, C)
    return np.array(hwc.cpu().numpy(), copy=True, order="C")


def _check_channels(channels: int) -> None:
    if channels not in CHANNEL_MODES:
        raise ValueError(f"channels = {channels} is not supported; use 1 (grey), "
                         f"3 (RGB) or 4 (RGBA)")


def _normalise_mode(img: Image.Image) -> Image.Image:
    """Bring any PIL mode to L, RGB or RGBA without losing transparency."""
    if img.mode in CHANNEL_MODES.values():
        return img
    if img.mode in _HIGH_DEPTH_MODES:
        return _high_depth_to_l(img)
    if img.mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if img.mode == "1":
        return img.convert("L")
    if img.mode in _ALPHA_MODES:
        return img.convert("RGBA")
    return img.convert("RGB")  # CMYK, YCbCr, HSV, ...


def _high_depth_to_l(img: Image.Image) -> Image.Image:
    """Scale a 16-bit (or 32-bit int / float) grey image to 8 bits.

    Integer modes are taken as 16-bit data (0…65535 → 0…255, as PNG and TIFF store it);
    float images as 0…1 when they fit in that range, else 0…255.
    """
    values = np.asarray(img).astype(np.float64)
    if img.mode == "F":
        top = 1.0 if values.size == 0 or values.max() <= 1.0 else 255.0
    else:
        top = 65535.0
    scaled = np.clip(values, 0.0, top) * (255.0 / top)
    return Image.fromarray(np.rint(scaled).astype(np.uint8))


def _over_white(img: Image.Image) -> Image.Image:
    background = Image.new("RGBA", img.size, (255, 255, 255, 255))
    return Image.alpha_composite(background, img).convert("RGB")


def _reason(exc: BaseException, path: str | Path) -> str:
    """What went wrong, in plain words and without the path (messages show it once)."""
    text = str(exc).strip()
    lowered = text.lower()
    if isinstance(exc, UnidentifiedImageError):
        return "not an image, or in a format that cannot be read"
    if isinstance(exc, Image.DecompressionBombError):
        return "too many pixels to decode safely (Pillow's decompression-bomb limit)"
    if isinstance(exc, FileNotFoundError):
        return "the file no longer exists"
    if isinstance(exc, PermissionError):
        return "no permission to read the file"
    if "truncated" in lowered or isinstance(exc, EOFError):
        return "the file is cut short (truncated or still being copied)"
    for form in (str(path), Path(path).name):
        text = text.replace(f"'{form}'", "the file").replace(form, "the file")
    return text or type(exc).__name__
