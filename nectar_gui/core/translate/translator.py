"""The ``Translator``: one loaded generator (or a CycleGAN pair) applied to whole images.

It takes the uint8 images our loader produces (1, 3 or 4 channels, any size), converts
them to the generator's channel count, keeps an alpha channel aside and puts it back,
and returns the translation at the input's exact size. A memory budget decides the path
(:mod:`.memory`): the whole image in one forward when it fits; otherwise PyTorch
generators are streamed layer by layer with exact whole-image instance-norm statistics
(:mod:`.streaming`), and ONNX models go through overlapping tiles (:mod:`.tiling`).

The network behind a direction is a ``RunTile`` callable: :class:`TorchGenerator`
here, or the ONNX Runtime session in :mod:`.onnx_model`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from nectar_gui.core.data.images import convert_channels
from nectar_gui.core.translate.graph import Graph, NotStreamable, trace_graph
from nectar_gui.core.translate.info import GeneratorInfo, TranslateError
from nectar_gui.core.translate.memory import (
    TranslatePlan,
    default_budget,
    plan_translation,
    tile_budget,
    whole_image_bytes,
)
from nectar_gui.core.translate.streaming import StreamJob, StreamReport, stream_translate
from nectar_gui.core.translate.tiling import (
    RunTile,
    TilePlan,
    plan_tiles,
    round_up,
    translate_tiles,
)

# Working memory of one tile of the per-tile path (ONNX models): with the peak RSS
# measured for ngf 64 at 1024² (ResNet-9 ≈ 0.9 GB, U-Net-256 ≈ 0.4 GB over the model).
ACTIVATION_BUDGET_BYTES = 1 << 30
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
        self._graph: Graph | bool | None = None

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        """(1, C_in, h, w) float32 in [-1, 1] → (1, C_out, h, w) float32."""
        with torch.inference_mode(), flush_denormals():
            y = self.net(self._tensor(batch))  # (1, C_out, h, w)
            return y.float().cpu().numpy()

    def graph(self) -> Graph | None:
        """The network traced for streaming (once), or None when it cannot be streamed."""
        if self._graph is None:
            try:
                self._graph = trace_graph(self.net)
            except NotStreamable:
                self._graph = False
        return self._graph if isinstance(self._graph, Graph) else None

    def free_bytes(self) -> int | None:
        """Free memory of a CUDA device (None elsewhere: the system's RAM applies)."""
        if self.device.type != "cuda":
            return None
        free, _ = torch.cuda.mem_get_info(self.device)
        return int(free)

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


def whole_image_limit(info: GeneratorInfo, budget: int = ACTIVATION_BUDGET_BYTES) -> int:
    """Largest image (in pixels, after padding) whose whole forward fits ``budget``."""
    per_pixel = whole_image_bytes(info, info.multiple, info.multiple) / info.multiple ** 2
    return max(info.multiple ** 2, int(budget / per_pixel))


def default_tile(info: GeneratorInfo, budget: int = ACTIVATION_BUDGET_BYTES) -> int:
    """Tile side of the per-tile path: the largest square whose forward fits ``budget``."""
    side = min(int(math.sqrt(whole_image_limit(info, budget))), _MAX_TILE)
    return max(info.multiple, side // info.multiple * info.multiple)


class Translator:
    """Translate images with a loaded generator, at full resolution.

    Args:
        info: what was loaded (shown to the user; drives channel conversion and padding).
        runners: the network for each direction in ``info.directions``.

    Attributes:
        last_plan: how the latest image was translated (path, budget, reason).
        last_stream: what the latest streamed translation did, when it was streamed.
    """

    def __init__(self, info: GeneratorInfo, runners: dict[str, RunTile]) -> None:
        missing = [d for d in info.directions if d not in runners]
        if missing:
            raise ValueError(f"no network for direction(s) {', '.join(missing)}")
        self.info = info
        self.runners = runners
        self.last_plan: TranslatePlan | None = None
        self.last_stream: StreamReport | None = None

    @property
    def min_side(self) -> int:
        """Smallest input side: a ResNet reflect-pads its quarter-size maps by 1, so they
        need 2 pixels, i.e. 8 at the input."""
        return 2 * self.info.multiple if self.info.arch == "resnet" else self.info.multiple

    def choose(self, height: int, width: int, *, direction: str | None = None,
               tile: int | None = None, max_memory: int | None = None) -> TranslatePlan:
        """Which path an image of this size takes under ``max_memory`` bytes, and why.

        ``max_memory`` None means half of the free memory of the device (RAM, or the
        GPU's). Networks that cannot be traced for streaming take the per-tile path.
        """
        run = self._runner(direction or self.info.directions[0])
        torch_run = run if isinstance(run, TorchGenerator) else None
        free = torch_run.free_bytes() if torch_run is not None else None
        streamable = torch_run is not None and torch_run.graph() is not None
        return plan_translation(self.info, height, width, max_memory=max_memory, tile=tile,
                                free_bytes=free, exact=streamable)

    def plan(self, height: int, width: int, *, tile: int | None = None,
             max_memory: int | None = None) -> TilePlan:
        """How the per-tile path cuts an image (a single tile when it fits whole)."""
        if tile is None:
            budget = max_memory if max_memory is not None else default_budget()
            whole = whole_image_bytes(self.info, height, width) <= budget
            tile = max(height, width) if whole else default_tile(self.info,
                                                                 tile_budget(budget))
        if tile < 1:
            raise TranslateError(f"tile size must be positive, got {tile}")
        return plan_tiles(height, width, tile=tile, multiple=self.info.multiple)

    def translate(self, image: np.ndarray, *, direction: str = "AtoB", tile: int | None = None,
                  progress: Callable[[int, int], None] | None = None,
                  cancelled: Callable[[], bool] | None = None,
                  global_norm: bool = True, max_memory: int | None = None,
                  spill_dir: Path | None = None) -> np.ndarray:
        """Translate a uint8 (H, W) or (H, W, C) image; returns uint8 (H, W, C') at H×W.

        Args:
            image: C is 1, 3 or 4 (alpha is set aside and re-attached to the output).
            direction: one of ``info.directions``.
            tile: force tiles of this side; None lets ``max_memory`` decide.
            progress: called with (tiles done, tiles in all) after each tile.
            cancelled: polled before each tile; True stops with ``TranslationCancelled``.
            global_norm: False translates tiles independently, each with its own
                instance-norm statistics (the old path, kept for comparison).
            max_memory: memory budget in bytes (see :meth:`choose`).
            spill_dir: where a streamed translation may put its temporary folder.

        Raises:
            TranslateError: bad direction, image, tile size or budget; a full disk.
            TranslationCancelled: ``cancelled()`` returned True.
        """
        run = self._runner(direction)
        if tile is not None and tile < 1:
            raise TranslateError(f"tile size must be positive, got {tile}")
        in_nc, out_nc = self.channels(direction)
        color, alpha = prepare_input(image, in_nc)
        plan = self.choose(*color.shape[:2], direction=direction, tile=tile,
                           max_memory=max_memory)
        self.last_plan, self.last_stream = plan, None
        with flush_denormals():
            if plan.path == "tiled-exact" and global_norm:
                assert isinstance(run, TorchGenerator)
                out = self._stream(run, color, plan, tile, spill_dir, progress, cancelled)
            else:
                tiles = self.plan(*color.shape[:2], tile=tile, max_memory=plan.budget_bytes)
                out = translate_tiles(color, run, tiles, multiple=self.info.multiple,
                                      output_nc=out_nc, min_side=self.min_side,
                                      progress=progress, cancelled=cancelled)
        return attach_alpha(out, alpha)

    def _stream(self, run: TorchGenerator, color: np.ndarray, plan: TranslatePlan,
                tile: int | None, spill_dir: Path | None,
                progress: Callable[[int, int], None] | None,
                cancelled: Callable[[], bool] | None) -> np.ndarray:
        graph = run.graph()
        assert graph is not None
        m, h, w = self.info.multiple, *color.shape[:2]
        padded = (round_up(max(h, self.min_side), m), round_up(max(w, self.min_side), m))
        job = StreamJob(graph=graph, image=color, padded=padded, device=run.device,
                        budget=tile_budget(plan.budget_bytes),
                        keep_in_ram=plan.budget_bytes // 4, tile=tile, spill_dir=spill_dir)
        with torch.inference_mode():
            out = stream_translate(job, progress=progress, cancelled=cancelled)
        self.last_stream = job.report
        return out

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
