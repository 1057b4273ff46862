"""How an image will be translated within a memory budget, decided without torch.

The Translate tab asks "which path will run, and why" before any work starts, on the UI
thread, so this module stays free of torch and Qt. Three paths exist:

``whole``
    the image goes through the generator in one piece: the fastest, when its activations
    fit the budget.
``tiled-exact``
    the image is streamed through the network layer by layer in tiles, with every
    instance norm using the whole image's statistics (:mod:`.streaming`): the output
    equals the whole-image output to float rounding, in memory bounded by the tile.
``tiled``
    overlapping tiles each normalised by their own statistics and blended
    (:mod:`.tiling`): what ONNX models get, since their layers cannot be streamed.

Sizes are powers of 1024 ("4GB" is 4 GiB), as :func:`format_bytes` prints them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Literal

from nectar_gui.core.formatting import format_bytes
from nectar_gui.core.translate.info import GeneratorInfo, TranslateError

TranslatePath = Literal["whole", "tiled-exact", "tiled"]

# Floats of activations per pixel and per unit of ngf in a whole-image forward, measured
# from peak RSS at 1024² with ngf 64 (ResNet-9 ≈ 0.9 GB, U-Net-256 ≈ 0.4 GB).
_FLOATS_PER_PIXEL_NGF = {"resnet": 3.5, "unet": 1.5}
# A streamed tile gains nothing from more working memory than this: halos are already
# a few percent of a tile, and a smaller working set leaves room for everything else.
WORKING_CAP_BYTES = 1 << 30
# Without a way to ask the system, assume this much is free.
_FALLBACK_FREE_BYTES = 4 << 30
_UNITS = {"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20,
          "MB": 1 << 20, "MIB": 1 << 20, "G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30,
          "T": 1 << 40, "TB": 1 << 40, "TIB": 1 << 40}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")


@dataclass(frozen=True)
class TranslatePlan:
    """Which path translates an image, with what tiles, and why (one line for people).

    Attributes:
        path: ``"whole"``, ``"tiled-exact"`` or ``"tiled"`` (see the module docstring).
        budget_bytes: the memory budget the choice was made against.
        whole_bytes: estimated activation memory of a whole-image forward.
        tile: the tile side asked for (None: chosen per layer from the budget).
        reason: e.g. "6000×4000 needs about 21.0 GB whole, over the 4.0 GB budget: …".
    """

    path: TranslatePath
    budget_bytes: int
    whole_bytes: int
    tile: int | None
    reason: str


def parse_size(text: str) -> int:
    """``"300MB"``, ``"4GB"``, ``"1.5G"``, ``"512MiB"`` or a plain byte count → bytes.

    Raises:
        TranslateError: not a size; the message gives examples of ones that are.
    """
    match = _SIZE.match(text)
    unit = match.group(2).upper() if match else ""
    if match is None or unit not in _UNITS:
        raise TranslateError(f"{text!r} is not a memory size; write e.g. 300MB, 4GB or 1.5GB")
    size = int(float(match.group(1)) * _UNITS[unit])
    if size <= 0:
        raise TranslateError(f"a memory size must be more than 0, got {text!r}")
    return size


def available_ram() -> int | None:
    """Memory the system can give without swapping (Linux MemAvailable), if known."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def default_budget(free_bytes: int | None = None) -> int:
    """Half of what is free (RAM, or the GPU's memory when the caller passes it): the
    rest is left to the model, the images, the app and everything else running."""
    free = free_bytes if free_bytes is not None else available_ram()
    return max((free if free is not None else _FALLBACK_FREE_BYTES) // 2, 64 << 20)


def whole_image_bytes(info: GeneratorInfo, height: int, width: int) -> int:
    """Estimated activation memory of one forward over the image padded to the multiple."""
    m = info.multiple
    pixels = (-(-height // m) * m) * (-(-width // m) * m)
    per_pixel = _FLOATS_PER_PIXEL_NGF.get(info.arch, 3.5) * (info.ngf or 64) * 4
    return int(pixels * per_pixel)


def tile_budget(budget: int) -> int:
    """Memory a streamed tile may use under ``budget``."""
    return min(budget, WORKING_CAP_BYTES)


def plan_translation(info: GeneratorInfo, height: int, width: int, *,
                     max_memory: int | None = None, tile: int | None = None,
                     free_bytes: int | None = None, exact: bool | None = None
                     ) -> TranslatePlan:
    """Decide how an image of ``height`` × ``width`` is translated.

    Args:
        info: the loaded generator (ONNX models cannot be streamed exactly).
        height: image height in pixels.
        width: image width in pixels.
        max_memory: the budget in bytes; None takes :func:`default_budget`.
        tile: a tile side the user asked for; it forces a tiled path.
        free_bytes: free memory of the device (GPU), when known, for the default budget.
        exact: whether the network can be streamed (default: any but an ONNX model).
    """
    budget = max_memory if max_memory is not None else default_budget(free_bytes)
    whole = whole_image_bytes(info, height, width)
    size = f"{width}×{height}"
    exact = info.source != "onnx" if exact is None else exact
    tiled: TranslatePath = "tiled-exact" if exact else "tiled"
    how = ("streamed layer by layer with the whole image's statistics" if exact else
           "in overlapping tiles, each with its own statistics (this model cannot be "
           "streamed)")
    if tile is not None:
        return TranslatePlan(tiled, budget, whole, tile, f"{size}: tiles of {tile} px "
                             f"were asked for, {how}")
    if whole <= budget:
        return TranslatePlan("whole", budget, whole, None,
                             f"{size} needs about {format_bytes(whole)} whole, within the "
                             f"{format_bytes(budget)} budget")
    return TranslatePlan(tiled, budget, whole, None,
                         f"{size} needs about {format_bytes(whole)} whole, over the "
                         f"{format_bytes(budget)} budget: {how}")
