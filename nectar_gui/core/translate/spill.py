"""Whole-image activations kept between streaming passes: in RAM, or in temporary files.

A 24-megapixel photo through a ResNet-9 holds 1.5 GB per activation at its bottleneck,
and the streaming engine keeps a few of them between passes. When they would take more
than the caller allows in RAM they go to one temporary folder, which is removed when the
store closes, after success, an error or a cancel alike.

Files are read and written with plain positioned I/O rather than ``numpy.memmap``: the
pages of a mapping count towards the process's resident memory while mapped, so a
memory-mapped spill would make the process look (and, under pressure, act) as large as
the spill. With file I/O the operating system's page cache holds them instead.

Maps are stored channels-last, (H, W, C) float32, so that a tile's row is one
contiguous read.
"""

from __future__ import annotations

import shutil
import tempfile
from io import BufferedRandom
from pathlib import Path

import numpy as np

from nectar_gui.core.formatting import format_bytes
from nectar_gui.core.translate.info import TranslateError

_ITEM = 4  # float32
_DISK_MARGIN = 64 << 20


class SpillStore:
    """Named (C, H, W) float32 maps, each written once in tiles and read in regions.

    Args:
        peak_bytes: the most the maps will hold at once (checked against free disk).
        in_memory: keep the maps as arrays instead of files.
        directory: where the temporary folder goes (default: the system's temp folder).

    Raises:
        TranslateError: not enough free disk space for ``peak_bytes``.
    """

    def __init__(self, *, peak_bytes: int, in_memory: bool,
                 directory: Path | None = None) -> None:
        self._arrays: dict[int, np.ndarray] = {}
        self._files: dict[int, tuple[BufferedRandom, tuple[int, int, int]]] = {}
        self.folder: Path | None = None
        if in_memory or peak_bytes == 0:
            return
        base = Path(directory) if directory is not None else Path(tempfile.gettempdir())
        free = shutil.disk_usage(base).free
        if free < peak_bytes + _DISK_MARGIN:
            raise TranslateError(
                f"Not enough free disk space to translate this image in tiles: it needs "
                f"{format_bytes(peak_bytes + _DISK_MARGIN)} in {base}, which has "
                f"{format_bytes(free)} free. Free some space, point TMPDIR at a larger "
                f"disk, or allow more memory.")
        self.folder = Path(tempfile.mkdtemp(prefix="nectar-translate-", dir=base))

    def create(self, key: int, shape: tuple[int, int, int]) -> None:
        """Make room for map ``key`` of shape (C, H, W)."""
        c, h, w = shape
        if self.folder is None:
            self._arrays[key] = np.empty((h, w, c), dtype=np.float32)
            return
        f = open(self.folder / f"{key}.f32", "w+b")  # noqa: SIM115 - closed in free()
        f.truncate(h * w * c * _ITEM)
        self._files[key] = (f, shape)

    def write(self, key: int, y0: int, x0: int, chw: np.ndarray) -> None:
        """Write a (C, h, w) block at row ``y0``, column ``x0``."""
        hwc = np.ascontiguousarray(chw.transpose(1, 2, 0), dtype=np.float32)  # (h, w, C)
        if key in self._arrays:
            self._arrays[key][y0: y0 + hwc.shape[0], x0: x0 + hwc.shape[1]] = hwc
            return
        f, (c, _, width) = self._files[key]
        for offset, rows in self._runs(width, c, y0, x0, hwc.shape[0], hwc.shape[1]):
            f.seek(offset)
            f.write(hwc[rows].data.cast("B"))

    def read(self, key: int, y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
        """The (C, y1 − y0, x1 − x0) block of map ``key`` (channels-last underneath)."""
        if key in self._arrays:
            return self._arrays[key][y0:y1, x0:x1].transpose(2, 0, 1)
        f, (c, _, width) = self._files[key]
        out = np.empty((y1 - y0, x1 - x0, c), dtype=np.float32)
        for offset, rows in self._runs(width, c, y0, x0, y1 - y0, x1 - x0):
            f.seek(offset)
            f.readinto(out[rows].data.cast("B"))
        return out.transpose(2, 0, 1)

    @staticmethod
    def _runs(width: int, c: int, y0: int, x0: int, h: int, w: int
              ) -> list[tuple[int, slice]]:
        """(file offset, block rows) of each contiguous run: one run for full rows."""
        if x0 == 0 and w == width:
            return [(y0 * width * c * _ITEM, slice(0, h))]
        return [((y * width + x0) * c * _ITEM, slice(y - y0, y - y0 + 1))
                for y in range(y0, y0 + h)]

    def free(self, key: int) -> None:
        """Forget map ``key`` and delete its file."""
        self._arrays.pop(key, None)
        entry = self._files.pop(key, None)
        if entry is not None and self.folder is not None:
            entry[0].close()
            (self.folder / f"{key}.f32").unlink(missing_ok=True)

    def close(self) -> None:
        """Free every map and remove the temporary folder."""
        for key in list(self._arrays) + list(self._files):
            self.free(key)
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None
