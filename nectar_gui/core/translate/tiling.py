"""Full-resolution translation in overlapping tiles, in memory bounded by the tile.

A generator only accepts sides that are a multiple of some number (4 for ResNet,
``2**downs`` for U-Net) and its memory grows with the image. So the image is cut into
overlapping tiles; each tile is reflect-padded to the multiple, translated, cropped back
and blended into the result with a raised-cosine window that fades across the overlap.
Two neighbouring windows sum to one across their shared band, so seams disappear; the
blend is normalised by the summed weights anyway, which covers the uneven overlap of the
last tile in a row.

Tile starts sit on multiples of ``align`` (the generator's downsampling factor, capped)
so each tile samples its stride-2 convolutions on the same grid as the whole image would.
Instance norm still computes its statistics per tile; the overlap and the wide default
tile keep the difference small (``bench/translate.py`` measures it as PSNR).

Accumulation runs in a strip one tile high: once the next row of tiles starts, the
rows above it are final, so they are written to the uint8 output and the float32
buffers move up. Memory is the uint8 input and output plus a few tile-sized buffers.

This module is numpy only: the network is a ``RunTile`` callable.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from nectar_gui.core.translate.info import TranslationCancelled

RunTile = Callable[[np.ndarray], np.ndarray]
"""Translate one padded tile: (1, C_in, h, w) float32 in [-1, 1] → (1, C_out, h, w)."""
Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

_MAX_ALIGN = 32


Span = tuple[int, int]
"""A tile's [start, end) along one axis."""


@dataclass(frozen=True)
class TilePlan:
    """Where the tiles go: their spans along each axis, ascending.

    Attributes:
        height: image height.
        width: image width.
        tile: nominal tile side (a multiple of the generator's multiple).
        rows: [start, end) of each tile row.
        cols: [start, end) of each tile column.
    """

    height: int
    width: int
    tile: int
    rows: tuple[Span, ...]
    cols: tuple[Span, ...]

    @property
    def total(self) -> int:
        """Number of tiles."""
        return len(self.rows) * len(self.cols)


def round_up(value: int, multiple: int) -> int:
    """Smallest multiple of ``multiple`` that is ≥ ``value``."""
    return -(-value // multiple) * multiple


def plan_tiles(height: int, width: int, *, tile: int, multiple: int,
               overlap: int | None = None) -> TilePlan:
    """Lay out tiles of side ``tile`` (rounded up to ``multiple``) over an image.

    Tiles are spread evenly, so neighbours overlap by at least about ``overlap``; the
    last tile of a row or column runs to the image edge.

    Args:
        height: image height in pixels.
        width: image width in pixels.
        tile: wanted tile side; a tile larger than the image gives a single tile.
        multiple: the generator's size multiple.
        overlap: blending band; a quarter of the tile by default.
    """
    if height < 1 or width < 1:
        raise ValueError(f"cannot tile an empty image ({width}×{height})")
    align = min(multiple, _MAX_ALIGN)
    tile = round_up(max(tile, multiple, 2 * align), multiple)
    # At least ``align`` of overlap: aligning starts down must never open a gap.
    overlap = min(max(tile // 4 if overlap is None else overlap, align), tile // 2)
    return TilePlan(height=height, width=width, tile=tile,
                    rows=_spans(height, tile, overlap, align),
                    cols=_spans(width, tile, overlap, align))


def _spans(length: int, tile: int, overlap: int, align: int) -> tuple[Span, ...]:
    if length <= tile:
        return ((0, length),)
    count = math.ceil((length - overlap) / (tile - overlap))
    room = length - tile
    starts = sorted({round(i * room / (count - 1)) // align * align for i in range(count)})
    ends = [s + tile for s in starts[:-1]] + [length]
    return tuple(zip(starts, ends, strict=True))


def translate_tiles(image: np.ndarray, run: RunTile, plan: TilePlan, *, multiple: int,
                    output_nc: int, min_side: int = 1, progress: Progress | None = None,
                    cancelled: Cancelled | None = None) -> np.ndarray:
    """Translate a uint8 (H, W, C_in) image tile by tile into uint8 (H, W, output_nc).

    ``multiple`` and ``min_side`` are what the network needs of its input (see
    :func:`pad_to_multiple`).

    Raises:
        TranslationCancelled: ``cancelled()`` returned True before a tile.
    """
    height, width = image.shape[:2]
    out = np.empty((height, width, output_nc), dtype=np.uint8)
    strip_h = max(end - start for start, end in plan.rows)
    acc = np.zeros((output_nc, strip_h, width), dtype=np.float32)  # (C, strip, W)
    weight = np.zeros((strip_h, width), dtype=np.float32)
    col_windows = [_window(plan.cols, i) for i in range(len(plan.cols))]
    top, done = 0, 0
    for r, (y, y_end) in enumerate(plan.rows):
        _flush(out, acc, weight, top, y - top)
        top = y
        wy = _window(plan.rows, r)
        for (x, x_end), wx in zip(plan.cols, col_windows, strict=True):
            if cancelled is not None and cancelled():
                raise TranslationCancelled("translation cancelled")
            tile = run_padded(run, image[y:y_end, x:x_end], multiple, min_side)  # (C, h, w)
            w2d = wy[:, None] * wx[None, :]  # (h, w)
            acc[:, : y_end - y, x:x_end] += tile * w2d
            weight[: y_end - y, x:x_end] += w2d
            done += 1
            if progress is not None:
                progress(done, plan.total)
    _flush(out, acc, weight, top, height - top)
    return out


def run_padded(run: RunTile, tile: np.ndarray, multiple: int, min_side: int = 1) -> np.ndarray:
    """Translate one uint8 (h, w, C) tile: pad to ``multiple``, run, crop back.

    Returns:
        float32 (C_out, h, w) in [-1, 1].
    """
    h, w = tile.shape[:2]
    chw = tile.transpose(2, 0, 1).astype(np.float32) / 127.5 - 1.0  # (C, h, w)
    padded = pad_to_multiple(chw, multiple, min_side)
    result = run(padded[None])  # (1, C_out, H', W')
    return np.asarray(result[0, :, :h, :w], dtype=np.float32)


def pad_to_multiple(chw: np.ndarray, multiple: int, min_side: int = 1) -> np.ndarray:
    """Pad a (C, h, w) array at the bottom and right up to multiples of ``multiple``
    (and to at least ``min_side``, for networks that reflect-pad their smallest maps).

    Reflection keeps edges looking like image content; when a side is too short to
    reflect that far (numpy would reflect back and forth), edge pixels are repeated.
    """
    h, w = chw.shape[1:]
    pad_h = round_up(max(h, min_side), multiple) - h
    pad_w = round_up(max(w, min_side), multiple) - w
    if pad_h == 0 and pad_w == 0:
        return chw
    widths = ((0, 0), (0, pad_h), (0, pad_w))
    if pad_h < h and pad_w < w:
        return np.pad(chw, widths, mode="reflect")
    return np.pad(chw, widths, mode="edge")


def _window(spans: tuple[Span, ...], index: int) -> np.ndarray:
    """1-D blending weights of tile ``index``: a raised-cosine ramp across each band it
    shares with a neighbour, 1 elsewhere (image borders included).

    The neighbour's ramp over the same band is this one reversed, and the two sum to one.
    """
    start, end = spans[index]
    weights = np.ones(end - start, dtype=np.float32)
    if index > 0:
        band = min(spans[index - 1][1] - start, end - start)
        weights[:band] = _ramp(band)
    if index + 1 < len(spans):
        band = min(end - spans[index + 1][0], end - start)
        weights[end - start - band:] = np.minimum(weights[end - start - band:],
                                                  _ramp(band)[::-1])
    return weights


def _ramp(band: int) -> np.ndarray:
    """Rising half of a raised cosine over ``band`` pixels, never exactly 0 or 1."""
    return (0.5 - 0.5 * np.cos(np.pi * (np.arange(band) + 0.5) / band)).astype(np.float32)


def _flush(out: np.ndarray, acc: np.ndarray, weight: np.ndarray, top: int, rows: int) -> None:
    """Write the strip's first ``rows`` (final) rows to ``out`` and move the rest up."""
    if rows <= 0:
        return
    blended = acc[:, :rows] / weight[None, :rows]  # (C, rows, W)
    scaled = np.clip((blended + 1.0) * 127.5, 0.0, 255.0)
    out[top: top + rows] = np.rint(scaled).astype(np.uint8).transpose(1, 2, 0)
    for buf in (acc, weight):
        moved = buf[..., rows:, :].copy()
        buf[..., : moved.shape[-2], :] = moved
        buf[..., moved.shape[-2]:, :] = 0.0
