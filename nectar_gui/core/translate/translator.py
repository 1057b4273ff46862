"""The ``Translator``: one loaded generator (or a CycleGAN pair) applied to whole images.

It takes the uint8 images our loader produces (1, 3 or 4 channels, any size), converts
them to the generator's channel count, keeps an alpha channel aside and puts it back,
and returns the translation at the input's exact size. Whether the image goes through
in one piece or in overlapping tiles depends on a memory budget (see
:func:`whole_image_limit`); both paths share :mod:`.tiling`.

The network behind a direction is a ``RunTile`` callable: :class:`TorchGenerator`
here, or the ONNX Runtime session in :mod:`.onnx_model`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator

import numpy as np
import torch
from PIL import Image
from torch import nn

from nectar_gui.core.data.images import convert_channels
from nectar_gui.core.translate.info import GeneratorInfo, TranslateError
from nectar_gui.core.translate.norm_stats import capture_stats, frozen_stats, instance_norms
from nectar_gui.core.translate.tiling import (
    RunTile,
    TilePlan,
    pad_to_multiple,
    plan_tiles,
    round_up,
    translate_tiles,
)

# Activation memory one forward may use before the image is tiled. With the peak RSS
# measured for ngf 64 at 1024² (ResNet-9 ≈ 0.9 GB, U-Net-256 ≈ 0.4 GB over the model),
# a 6000×4000 photo stays near 2 GB in all (bench/translate.py).
ACTIVATION_BUDGET_BYTES = 1 << 30
# Floats of activations per pixel and per unit of ngf, measured as above.
_FLOATS_PER_PIXEL_NGF = {"resnet": 3.5, "unet": 1.5}
_MAX_TILE = 1024


class TorchGenerator:
    """A PyTorch generator as a ``RunTile``: eval mode, inference mode, on its device.

    Args:
        net: the generator (moved to ``device`` and put in eval mode here).
        device: where it runs.
    """

    def __init__(self, net: nn.Module, device: torch.device) -> None:
        self.net = net.to(device).eval()
        self.device = device

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """(1, C_in, h, w) float32 in [-1, 1] → (1, C_out, h, w) float32."""
        with torch.inference_mode(), flush_denormals():
            y = self.net(self._tensor(batch))  # (1, C_out, h, w)
            return y.float().cpu().numpy()

    @contextlib.contextmanager
    def whole_image_norm(self, image: np.ndarray, *, multiple: int,
                         min_side: int = 1) -> Iterator[None]:
        """Normalise tiles with the whole image's instance-norm statistics while inside.

        The statistics come from one pass over ``image`` (uint8 (H, W, C)), so the caller
        must only ask when the image fits in memory whole (see ``norm_stats``). Without
        instance norm, nothing changes.
        """
        if not instance_norms(self.net):
            yield
            return
        chw = image.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0  # (C, h, w)
        with flush_denormals():
            padded = pad_to_multiple(chw, multiple, min_side)[None]  # (1, C, H', W')
            stats = capture_stats(self.net, self._tensor(padded))
        with frozen_stats(self.net, stats):
            yield

    def _tensor(self, batch: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.ascontiguousarray(batch)).to(self.device)


@contextlib.contextmanager
def flush_denormals() -> Iterator[None]:
    """Treat denormal floats as zero on the CPU while inside.

    Flat image areas (a white background, black borders) make instance norm divide
    near-zero differences, and the convolutions after it crawl through denormals:
    measured 30× slower on a blank tile. Translation loses nothing by flushing them;
    PyTorch's default (off) is restored afterwards.
    """
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)


def whole_image_limit(info: GeneratorInfo) -> int:
    """Largest image (in pixels, after padding) translated in one piece.

    Activations grow with ngf × pixels; the budget keeps one forward near 1 GB.
    """
    ngf = info.ngf or 64
    per_pixel = _FLOATS_PER_PIXEL_NGF.get(info.arch, 3.5) * ngf * 4  # bytes
    return max(info.multiple ** 2, int(ACTIVATION_BUDGET_BYTES / per_pixel))


def default_tile(info: GeneratorInfo) -> int:
    """Tile side when an image is too big to go whole: the largest square in budget."""
    side = min(int(math.sqrt(whole_image_limit(info))), _MAX_TILE)
    return max(info.multiple, side // info.multiple * info.multiple)


class Translator:
    """Translate images with a loaded generator, at full resolution.

    Args:
        info: what was loaded (shown to the user; drives channel conversion and padding).
        runners: the network for each direction in ``info.directions``.
    """

    def __init__(self, info: GeneratorInfo, runners: dict[str, RunTile]) -> None:
        missing = [d for d in info.directions if d not in runners]
        if missing:
            raise ValueError(f"no network for direction(s) {', '.join(missing)}")
        self.info = info
        self.runners = runners

    @property
    def min_side(self) -> int:
        """Smallest input side: a ResNet reflect-pads its quarter-size maps by 1, so they
        need 2 pixels, i.e. 8 at the input."""
        return 2 * self.info.multiple if self.info.arch == "resnet" else self.info.multiple

    def fits_whole(self, height: int, width: int) -> bool:
        """Whether an image this size (once padded) is within the whole-image budget."""
        m = self.info.multiple
        return round_up(height, m) * round_up(width, m) <= whole_image_limit(self.info)

    def plan(self, height: int, width: int, *, tile: int | None = None) -> TilePlan:
        """How an image of this size will be cut (a single tile when it fits whole)."""
        if tile is None:
            whole = self.fits_whole(height, width)
            tile = max(height, width) if whole else default_tile(self.info)
        if tile < 1:
            raise TranslateError(f"tile size must be positive, got {tile}")
        return plan_tiles(height, width, tile=tile, multiple=self.info.multiple)

    def translate(self, image: np.ndarray, *, direction: str = "AtoB", tile: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None,
                  global_norm: bool = True) -> np.ndarray:
        """Translate a uint8 (H, W) or (H, W, C) image; returns uint8 (H, W, C') at H×W.

        Args:
            image: C is 1, 3 or 4 (alpha is set aside and re-attached to the output).
            direction: one of ``info.directions``.
            tile: tile side; None chooses whole-image or tiles by the memory budget.
            progress: called with (tiles done, tiles in all) after each tile.
            cancelled: polled before each tile; True stops with ``TranslationCancelled``.
            global_norm: when tiling an image that fits in memory whole (a ``tile`` was
                asked for), normalise the tiles with the whole image's exact
                instance-norm statistics (PyTorch models; see ``norm_stats``). Larger
                images use each tile's own statistics.

        Raises:
            TranslateError: bad direction, image or tile size.
            TranslationCancelled: ``cancelled()`` returned True.
        """
        run = self._runner(direction)
        in_nc, out_nc = self.channels(direction)
        color, alpha = prepare_input(image, in_nc)
        plan = self.plan(color.shape[0], color.shape[1], tile=tile)
        norm: contextlib.AbstractContextManager[None] = contextlib.nullcontext()
        if (plan.total > 1 and global_norm and isinstance(run, TorchGenerator)
                and self.fits_whole(*color.shape[:2])):
            norm = run.whole_image_norm(color, multiple=self.info.multiple,
                                        min_side=self.min_side)
        with norm:
            out = translate_tiles(color, run, plan, multiple=self.info.multiple,
                                  output_nc=out_nc, min_side=self.min_side,
                                  progress=progress, cancelled=cancelled)
        return attach_alpha(out, alpha)

    def channels(self, direction: str) -> tuple[int, int]:
        """(input, output) channels in ``direction``: B→A swaps A's and B's."""
        if direction == "BtoA":
            return self.info.output_nc, self.info.input_nc
        return self.info.input_nc, self.info.output_nc

    def _runner(self, direction: str) -> RunTile:
        if direction not in self.info.directions:
            choices = " or ".join(self.info.directions)
            raise TranslateError(f"this model translates {choices}, not {direction}")
        return self.runners[direction]


def prepare_input(image: np.ndarray, input_nc: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Convert an image to the generator's channels; return (H, W, input_nc) and the alpha.

    Alpha is set aside (and the colour composited over white, as training does) unless
    the generator itself takes 4 channels.
    """
    if image.dtype != np.uint8 or image.ndim not in (2, 3):
        raise TranslateError(f"expected an 8-bit image (H, W[, C]), got {image.dtype} "
                             f"with shape {image.shape}")
    if image.ndim == 3 and image.shape[2] not in (1, 3, 4):
        raise TranslateError(f"images with {image.shape[2]} channels are not supported; "
                             f"use grey, RGB or RGBA")
    if input_nc not in (1, 3, 4):
        raise TranslateError(f"this generator takes {input_nc} channels; only 1, 3 or 4 "
                             f"channel generators can translate image files")
    hwc = image if image.ndim == 3 else image[:, :, None]
    if hwc.shape[0] < 1 or hwc.shape[1] < 1:
        raise TranslateError("the image is empty")
    alpha = hwc[:, :, 3].copy() if hwc.shape[2] == 4 and input_nc != 4 else None
    if hwc.shape[2] == input_nc:
        return np.ascontiguousarray(hwc), alpha
    pil = Image.fromarray(hwc[:, :, 0] if hwc.shape[2] == 1 else hwc)
    converted = np.asarray(convert_channels(pil, input_nc))
    return converted.reshape(*converted.shape[:2], input_nc), alpha


def attach_alpha(out: np.ndarray, alpha: np.ndarray | None) -> np.ndarray:
    """Put a set-aside alpha channel back (grey output becomes RGB first)."""
    if alpha is None or out.shape[2] not in (1, 3):
        return out
    color = np.repeat(out, 3, axis=2) if out.shape[2] == 1 else out
    return np.concatenate([color, alpha[:, :, None]], axis=2)
