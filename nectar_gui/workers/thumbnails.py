"""Thumbnails and pair previews decoded on a thread pool, off the UI thread.

A grid of thousands of files asks for thumbnails only for the items it paints, and the
newest request is served first, so the rows on screen after a fast scroll load before
the rows scrolled past. At most one job per pool thread is queued at a time; the rest
wait in a bounded stack here, where stale requests fall off the bottom.

Results are owned copies: a ``QImage`` copied off its numpy buffer, or contiguous uint8
arrays. Call :meth:`ThumbnailLoader.clear` when the grid changes and
``QThreadPool.waitForDone`` before the pool's owner goes away.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage

from nectar_gui.core.config import DataSection
from nectar_gui.core.data import TransformParams, preprocess
from nectar_gui.core.data.augment import AugmentParams, augment_pair, is_active
from nectar_gui.core.data.images import convert_channels, decode_image, to_uint8
from nectar_gui.workers.jobs import FunctionJob

_FAST_MODES = frozenset({"L", "RGB", "RGBA"})
# Pair previews are shown scaled down; larger images are reduced before they cross.
PREVIEW_MAX_SIDE = 1024


@dataclass(frozen=True)
class Thumbnail:
    """A decoded thumbnail (``image``) or why the file could not be read (``error``)."""

    path: str
    generation: int
    image: QImage | None = None
    error: str | None = None


@dataclass(frozen=True)
class PreviewRequest:
    """One item to preview: its files and the augmentation to apply.

    ``path_b`` is None for an aligned image, which holds A (left) and B (right).
    ``augment`` is the extra augmentation's draw, applied while ``cfg.augment`` is on.
    """

    key: int
    path_a: str
    path_b: str | None
    channels_a: int
    channels_b: int
    params: TransformParams
    cfg: DataSection
    augment: AugmentParams = field(default_factory=AugmentParams)


@dataclass(frozen=True, eq=False)
class PreviewResult:
    """The pair as stored and as the model sees it; uint8 (H, W, C) arrays, owned."""

    key: int
    pair: tuple[np.ndarray, np.ndarray] | None = None
    crops: tuple[np.ndarray, np.ndarray] | None = None
    error: str | None = None
    sizes: tuple[tuple[int, int], tuple[int, int]] = field(default=((0, 0), (0, 0)))


def array_to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage that owns a copy of a uint8 (H, W), (H, W, 3) or (H, W, 4) array."""
    pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width = pixels.shape[:2]
    channels = 1 if pixels.ndim == 2 else pixels.shape[2]
    formats = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888,
               4: QImage.Format.Format_RGBA8888}
    image = QImage(pixels.data, width, height, pixels.strides[0], formats[channels])
    return image.copy()  # detach from the numpy buffer, which may go away


def thumbnail_image(path: str | Path, size: int) -> QImage:
    """Decode ``path`` into a ``size`` square QImage, the picture centred (JPEG: draft mode)."""
    with Image.open(path) as img:
        img.draft("RGB", (size, size))  # JPEG decodes at 1/2 … 1/8 scale directly
        img.load()
        oriented = ImageOps.exif_transpose(img) or img
    if oriented.mode not in _FAST_MODES:
        oriented = convert_channels(oriented, 4)
    oriented.thumbnail((size, size), Image.Resampling.BILINEAR)
    # Centred on a transparent square: the grid draws icons top-aligned, so a wide
    # aligned A|B image would otherwise float far above its file name.
    square = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    square.paste(convert_channels(oriented, 4),
                 ((size - oriented.width) // 2, (size - oriented.height) // 2))
    return array_to_qimage(np.asarray(square))


def render_preview(request: PreviewRequest) -> PreviewResult:
    """Load one item's A and B and apply the same crop and flip (and augmentation) to both.

    Without extra augmentation no torch is needed; with it the crops go through the
    training code (:func:`augment_pair`), so the preview is exactly what the model sees.
    """
    if request.path_b is None:
        whole = decode_image(request.path_a)
        half = whole.width // 2
        side_a = whole.crop((0, 0, half, whole.height))
        side_b = whole.crop((half, 0, 2 * half, whole.height))
    else:
        side_a, side_b = decode_image(request.path_a), decode_image(request.path_b)
    side_a = convert_channels(side_a, request.channels_a)
    side_b = convert_channels(side_b, request.channels_b)
    crop_a = preprocess(side_a, request.params, request.cfg)
    crop_b = preprocess(side_b, request.params, request.cfg)
    if is_active(request.cfg.augment):
        crops = _augmented(crop_a, crop_b, request)
    else:
        crops = (_display_array(crop_a), _display_array(crop_b))
    sizes = (side_a.size, side_b.size)
    pair = (_display_array(_reduced(side_a)), _display_array(_reduced(side_b)))
    return PreviewResult(request.key, pair=pair, crops=crops, sizes=sizes)


def _augmented(crop_a: Image.Image, crop_b: Image.Image, request: PreviewRequest
               ) -> tuple[np.ndarray, np.ndarray]:
    """The crops augmented as training does: the generator's input goes first."""
    swap = request.cfg.direction == "BtoA"
    first, second = (crop_b, crop_a) if swap else (crop_a, crop_b)
    out_first, out_second = augment_pair(first, second, request.augment, request.cfg.augment)
    out_a, out_b = (out_second, out_first) if swap else (out_first, out_second)
    return _tensor_display(to_uint8(out_a)), _tensor_display(to_uint8(out_b))


def _tensor_display(hwc: np.ndarray) -> np.ndarray:
    """(H, W, 1) grey as (H, W); RGB and RGBA as they are."""
    return np.ascontiguousarray(hwc[..., 0]) if hwc.shape[2] == 1 else hwc


def _reduced(img: Image.Image) -> Image.Image:
    if max(img.size) <= PREVIEW_MAX_SIDE:
        return img
    small = img.copy()
    small.thumbnail((PREVIEW_MAX_SIDE, PREVIEW_MAX_SIDE), Image.Resampling.BICUBIC)
    return small


def _display_array(img: Image.Image) -> np.ndarray:
    shown = img if img.mode in ("RGB", "RGBA") else img.convert("RGB")
    return np.array(shown, dtype=np.uint8, copy=True, order="C")  # (H, W, 3 or 4)


class ThumbnailLoader(QObject):
    """Decodes requested thumbnails on ``pool``, newest request first.

    Args:
        pool: The thread pool to run on (its owner waits for it on shutdown).
        size: Side of the square the thumbnails fit in, in pixels.
        max_pending: Requests kept waiting; older ones are dropped (and asked for
            again by the grid if they are painted again).
    """

    loaded = Signal(object)  # Thumbnail of the current generation
    _done = Signal(object)  # Thumbnail, emitted on a pool thread

    def __init__(self, pool: QThreadPool, *, size: int = 96, max_pending: int = 256,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self.size = size
        self.max_pending = max_pending
        self.decoded = 0  # thumbnails delivered since creation (for tests and stats)
        self._generation = 0
        self._pending: OrderedDict[str, None] = OrderedDict()
        self._in_flight: set[tuple[int, str]] = set()
        self._running = 0
        self._done.connect(self._on_done)

    @property
    def idle(self) -> bool:
        """Nothing waiting and nothing being decoded."""
        return not self._pending and self._running == 0

    def request(self, path: str) -> None:
        """Ask for the thumbnail of ``path``; repeated asks move it to the front."""
        if (self._generation, path) in self._in_flight:
            return
        self._pending[path] = None
        self._pending.move_to_end(path)
        while len(self._pending) > self.max_pending:
            self._pending.popitem(last=False)
        self._pump()

    def clear(self) -> None:
        """Forget waiting requests; results of jobs already running are dropped."""
        self._pending.clear()
        self._generation += 1

    def _pump(self) -> None:
        while self._pending and self._running < max(1, self.pool.maxThreadCount()):
            path, _ = self._pending.popitem(last=True)
            key = (self._generation, path)
            self._in_flight.add(key)
            self._running += 1
            self.pool.start(FunctionJob(partial(self._decode, *key)))

    def _decode(self, generation: int, path: str) -> None:
        """Runs on a pool thread; always reports back, so the running count stays true."""
        try:
            result = Thumbnail(path, generation, image=thumbnail_image(path, self.size))
        except Exception as exc:  # unreadable files become a "broken" thumbnail
            result = Thumbnail(path, generation, error=str(exc) or type(exc).__name__)
        self._done.emit(result)

    @Slot(object)
    def _on_done(self, result: Thumbnail) -> None:
        self._running -= 1
        self._in_flight.discard((result.generation, result.path))
        if result.generation == self._generation:
            self.decoded += 1
            self.loaded.emit(result)
        self._pump()


class PreviewLoader(QObject):
    """Renders pair previews on ``pool``; only the latest request is shown.

    While one preview renders, newer requests replace each other, and only the last
    one runs next, so clicking quickly through the grid never builds a queue.
    """

    ready = Signal(object)  # PreviewResult of the latest request
    _done = Signal(object)  # PreviewResult, emitted on a pool thread

    def __init__(self, pool: QThreadPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = pool
        self._latest = -1
        self._busy = False
        self._next: PreviewRequest | None = None
        self._done.connect(self._on_done)

    def request(self, request: PreviewRequest) -> None:
        """Render ``request`` as soon as the pool is free of earlier previews."""
        self._latest = request.key
        self._next = request
        if not self._busy:
            self._start_next()

    def clear(self) -> None:
        """Drop the waiting request and ignore the one running."""
        self._next = None
        self._latest = -1

    def _start_next(self) -> None:
        request, self._next = self._next, None
        if request is None:
            return
        self._busy = True
        self.pool.start(FunctionJob(lambda: self._render(request)))

    def _render(self, request: PreviewRequest) -> None:
        try:
            result = render_preview(request)
        except Exception as exc:  # shown in the preview panel instead of the images
            result = PreviewResult(request.key, error=str(exc) or type(exc).__name__)
        self._done.emit(result)

    @Slot(object)
    def _on_done(self, result: PreviewResult) -> None:
        self._busy = False
        if result.key == self._latest:
            self.ready.emit(result)
        self._start_next()
