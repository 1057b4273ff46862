"""Opening, pasting and saving the Translate tab's images on a thread pool.

A 6000×4000 photo takes about a second to decode and a few seconds to write as PNG;
doing either on the UI thread would freeze the window. Each opened image also gets a
pyramid of halved copies (``levels``) built here, so the views can draw a zoomed-out
picture from a small copy instead of resampling 24 megapixels on every paint.

Images are owned, contiguous uint8 ``(H, W, C)`` arrays with C = 1, 3 or 4, and
``QImage`` copies detached from any numpy buffer. Files are written to a hidden
temporary name and renamed into place, so a failed or interrupted save never leaves a
half-written file under the real name.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage

from nectar_gui.core.data.errors import ImageReadError
from nectar_gui.core.data.images import convert_channels, decode_image
from nectar_gui.workers.jobs import FunctionJob

SAVE_FORMATS: dict[str, str] = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG",
                                ".webp": "WEBP"}
# Pyramid levels stop once the picture fits this side: smaller copies gain nothing.
LEVEL_MIN_SIDE = 512


@dataclass(frozen=True, eq=False)
class ShownImage:
    """An image ready to translate and to show.

    Attributes:
        pixels: uint8 (H, W, C), C = 1, 3 or 4; owned and contiguous.
        levels: full size first, then each half the previous size (for drawing).
        name: file name, or a description ("pasted image").
        path: the file it came from; None for pasted pictures.
        mode: the file's original PIL mode (e.g. "I;16", "P"), for the caption.
    """

    pixels: np.ndarray
    levels: tuple[QImage, ...]
    name: str
    path: Path | None
    mode: str

    @property
    def width(self) -> int:
        return int(self.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.pixels.shape[0])


def as_hwc(pixels: np.ndarray) -> np.ndarray:
    """An owned, contiguous uint8 (H, W, C) copy; (H, W) grey becomes (H, W, 1)."""
    arr = np.asarray(pixels)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.dtype != np.uint8:
        raise ValueError(f"expected uint8 (H, W, 1|3|4) pixels, got {arr.dtype} {arr.shape}")
    return np.array(arr, dtype=np.uint8, copy=True, order="C")


def to_qimage(pixels: np.ndarray) -> QImage:
    """A QImage owning a copy of uint8 (H, W, C) pixels (C = 1, 3 or 4)."""
    arr = np.ascontiguousarray(pixels, dtype=np.uint8)
    height, width, channels = arr.shape
    formats = {1: QImage.Format.Format_Grayscale8, 3: QImage.Format.Format_RGB888,
               4: QImage.Format.Format_RGBA8888}
    image = QImage(arr.data, width, height, arr.strides[0], formats[channels])
    return image.copy()  # detach from the numpy buffer


def qimage_to_pixels(image: QImage) -> np.ndarray:
    """Owned uint8 (H, W, 4) RGBA pixels of any QImage (a pasted picture)."""
    rgba = image.convertToFormat(QImage.Format.Format_RGBA8888)
    width, height = rgba.width(), rgba.height()
    view = np.frombuffer(rgba.constBits(), dtype=np.uint8,
                         count=rgba.bytesPerLine() * height)
    rows = view.reshape(height, rgba.bytesPerLine())[:, : width * 4]
    pixels = rows.reshape(height, width, 4)
    if bool((pixels[:, :, 3] == 255).all()):
        return np.array(pixels[:, :, :3], copy=True, order="C")
    return np.array(pixels, copy=True, order="C")


def make_levels(pixels: np.ndarray) -> tuple[QImage, ...]:
    """The full-size QImage, then halved copies until one fits ``LEVEL_MIN_SIDE``."""
    levels = [to_qimage(pixels)]
    while max(levels[-1].width(), levels[-1].height()) > LEVEL_MIN_SIDE:
        last = levels[-1]
        if last.format() != QImage.Format.Format_ARGB32_Premultiplied:
            last = last.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
        levels.append(last.scaled(max(1, last.width() // 2), max(1, last.height() // 2),
                                  Qt.AspectRatioMode.IgnoreAspectRatio,
                                  Qt.TransformationMode.SmoothTransformation))
    return tuple(levels)


def shown_image(pixels: np.ndarray, *, name: str, path: Path | None = None,
                mode: str = "") -> ShownImage:
    """Wrap pixels with their drawing pyramid (call off the UI thread for big images)."""
    owned = as_hwc(pixels)
    return ShownImage(owned, make_levels(owned), name, path, mode or _mode_of(owned))


def open_image(path: Path) -> ShownImage:
    """Decode any supported file (EXIF rotation, 16-bit, palette, alpha) for the tab.

    Raises:
        ImageReadError: the file is missing, not an image, or damaged.
    """
    img = decode_image(path)
    return shown_image(np.asarray(img), name=path.name, path=path,
                       mode=_file_mode(path, img.mode))


def _file_mode(path: Path, fallback: str) -> str:
    """The mode stored in the file (opening is lazy: the header only)."""
    try:
        with Image.open(path) as probe:
            return str(probe.mode)
    except (OSError, ValueError):
        return fallback


def save_image(pixels: np.ndarray, path: Path) -> None:
    """Write PNG, JPEG or WebP (chosen by suffix) crash-safely.

    Raises:
        ValueError: the suffix is not one of the supported formats.
        OSError: the disk refused (the real name is then untouched).
    """
    fmt = SAVE_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path.name}: choose .png, .jpg or .webp")
    arr = as_hwc(pixels)
    img = Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr)
    if fmt == "JPEG" and img.mode == "RGBA":
        img = convert_channels(img, 3)  # JPEG has no transparency
    options = {"PNG": {"compress_level": 4}, "JPEG": {"quality": 95},
               "WEBP": {"quality": 95}}[fmt]
    tmp = path.with_name(f".{path.name}.part-{os.getpid()}")
    try:
        img.save(tmp, format=fmt, **options)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _mode_of(pixels: np.ndarray) -> str:
    return {1: "L", 3: "RGB", 4: "RGBA"}[int(pixels.shape[2])]


@dataclass(frozen=True)
class _Opened:
    request: int
    image: ShownImage | None
    error: str


class ImageFiles(QObject):
    """Opens and saves images on a private one-thread pool; results arrive as signals.

    Only the newest ``open``/``adopt`` request is reported (opening a second photo while
    the first decodes shows the second). Saves are all reported. Call ``wait()`` before
    the owner goes away.
    """

    opened = Signal(object)  # ShownImage
    open_failed = Signal(str)  # message
    saved = Signal(str)  # path written
    save_failed = Signal(str)  # message
    _open_done = Signal(object)  # _Opened, from the pool thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._request = 0
        self._open_done.connect(self._on_open_done)

    def open(self, path: Path) -> None:
        """Decode ``path``; ``opened`` or ``open_failed`` follows."""
        self._submit(lambda: open_image(path))

    def adopt(self, pixels: np.ndarray, name: str) -> None:
        """Take pixels from elsewhere (the clipboard); ``opened`` follows."""
        owned = as_hwc(pixels)
        self._submit(lambda: shown_image(owned, name=name))

    def save(self, pixels: np.ndarray, path: Path) -> None:
        """Write ``pixels`` to ``path``; ``saved`` or ``save_failed`` follows."""
        owned = as_hwc(pixels)

        def job() -> None:
            try:
                save_image(owned, path)
            except (OSError, ValueError) as exc:
                self._emit(self.save_failed, f"Could not save {path}: {_reason(exc)}")
            else:
                self._emit(self.saved, str(path))

        self._pool.start(FunctionJob(job))

    def is_busy(self) -> bool:
        return self._pool.activeThreadCount() > 0

    def wait(self, msecs: int = -1) -> bool:
        """Wait for the pool thread to finish its jobs; False on timeout."""
        return bool(self._pool.waitForDone(msecs))

    def _submit(self, load: Callable[[], ShownImage]) -> None:
        self._request += 1
        request = self._request

        def job() -> None:
            if request != self._request:
                return  # superseded while queued
            try:
                outcome = _Opened(request, load(), "")
            except ImageReadError as exc:
                outcome = _Opened(request, None, f"Cannot open {Path(exc.path).name}: "
                                                 f"{exc.reason}")
            except (OSError, ValueError, MemoryError) as exc:
                outcome = _Opened(request, None, f"Cannot open this image: {_reason(exc)}")
            self._emit(self._open_done, outcome)

        self._pool.start(FunctionJob(job))

    @staticmethod
    def _emit(signal: object, payload: object) -> None:
        with contextlib.suppress(RuntimeError):  # the owner is gone; nobody listens
            signal.emit(payload)  # type: ignore[attr-defined]

    def _on_open_done(self, outcome: _Opened) -> None:
        if outcome.request != self._request:
            return
        if outcome.image is not None:
            self.opened.emit(outcome.image)
        else:
            self.open_failed.emit(outcome.error)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc).strip() or type(exc).__name__
