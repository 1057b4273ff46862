"""Two procedural image domains with shared structure, for the CycleGAN demo.

Both domains show a few simple shapes (balls and rounded blocks) standing on a horizon.
"Day" (A) paints them as smooth, lit solids with soft shadows under a warm gradient sky;
"night" (B) paints the same kind of scene as dark silhouettes with glowing neon outlines,
a starry violet sky and a glowing perspective grid on the ground. The scenes of the two
domains are drawn independently (no pixel-aligned pairs), which is exactly the setting
CycleGAN is for; the shared geometry makes the mapping learnable in minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

Style = Literal["day", "night"]

_DAY_COLOURS = np.array([(0.85, 0.25, 0.20), (0.95, 0.60, 0.15), (0.20, 0.60, 0.60),
                         (0.30, 0.40, 0.80), (0.55, 0.75, 0.30), (0.80, 0.45, 0.60)],
                        dtype=np.float32)
_NEON_COLOURS = np.array([(0.1, 1.0, 1.0), (1.0, 0.2, 0.9), (0.5, 1.0, 0.2),
                          (1.0, 0.9, 0.2), (0.4, 0.5, 1.0)], dtype=np.float32)
_LIGHT = (-0.45, -0.6, 0.66)  # towards the light: up-left, facing the viewer


def _rgb(r: float, g: float, b: float) -> np.ndarray:
    return np.array([r, g, b], dtype=np.float32)


@dataclass(frozen=True)
class Shape:
    """A ball (``box`` False) or rounded block, in pixels."""

    cx: float
    cy: float
    half_w: float
    half_h: float
    box: bool
    colour: int


def render_scene(rng: np.random.Generator, size: int, style: Style) -> np.ndarray:
    """One scene in ``style`` as a uint8 (size, size, 3) array."""
    horizon = size * rng.uniform(0.55, 0.72)
    shapes = _shapes(rng, size, horizon)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5  # pixel centres
    paint = _paint_day if style == "day" else _paint_night
    image = paint(rng, shapes, yy, xx, horizon)
    image += 0.015 * rng.standard_normal(image.shape, dtype=np.float32)  # sensor grain
    return (np.clip(image, 0, 1) * 255 + 0.5).astype(np.uint8)


def _shapes(rng: np.random.Generator, size: int, horizon: float) -> list[Shape]:
    shapes = []
    for _ in range(int(rng.integers(2, 5))):
        half_w = size * rng.uniform(0.07, 0.16)
        is_box = bool(rng.random() < 0.5)
        half_h = half_w * rng.uniform(0.8, 1.6) if is_box else half_w
        base = horizon + size * rng.uniform(0.0, 0.25)  # stands on the ground
        shapes.append(Shape(cx=size * rng.uniform(0.12, 0.88), cy=base - half_h,
                            half_w=half_w, half_h=half_h, box=is_box,
                            colour=int(rng.integers(1 << 16))))
    return sorted(shapes, key=lambda sh: sh.cy + sh.half_h)  # far (higher) ones first


def _window(shape: Shape, margin: float, size: int) -> tuple[slice, slice]:
    """The rows and columns a shape (and its shadow or glow) can touch: work only there."""
    def span(centre: float, half: float) -> slice:
        return slice(max(0, int(centre - half - margin)),
                     min(size, int(centre + half + margin) + 2))
    return span(shape.cy, shape.half_h), span(shape.cx, shape.half_w)


def _distance(shape: Shape, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Signed distance to the shape's outline (negative inside), in pixels."""
    if not shape.box:
        return np.hypot(xx - shape.cx, yy - shape.cy) - shape.half_w
    corner = 0.25 * min(shape.half_w, shape.half_h)
    qx = np.abs(xx - shape.cx) - shape.half_w + corner
    qy = np.abs(yy - shape.cy) - shape.half_h + corner
    outside = np.hypot(np.maximum(qx, 0), np.maximum(qy, 0))
    return outside + np.minimum(np.maximum(qx, qy), 0) - corner


def _coverage(distance: np.ndarray) -> np.ndarray:
    """Anti-aliased inside-ness in [0, 1], shaped (H, W, 1) for blending colours."""
    return np.clip(0.5 - distance, 0, 1)[..., None]


def _paint_day(rng: np.random.Generator, shapes: list[Shape], yy: np.ndarray,
               xx: np.ndarray, horizon: float) -> np.ndarray:
    size = yy.shape[0]
    t = (yy[:, :1] / horizon)[..., None]  # (H, 1, 1): the sky only varies by row
    sky = (1 - t) * _rgb(0.98, 0.72, 0.45) + t * _rgb(1.0, 0.93, 0.75)
    g = ((yy[:, :1] - horizon) / max(1.0, size - horizon))[..., None]
    ground = (1 - g) * _rgb(0.78, 0.70, 0.45) + g * _rgb(0.60, 0.52, 0.30)
    rows = np.where((yy[:, :1] < horizon)[..., None], sky, ground)
    image = np.repeat(rows, size, axis=1)
    for shape in shapes:
        win = _window(shape, shape.half_w + 3, size)
        y, x = yy[win], xx[win]
        shadow = np.hypot((x - shape.cx - 0.4 * shape.half_w) / (1.3 * shape.half_w),
                          (y - shape.cy - shape.half_h) / (0.25 * shape.half_w + 1))
        patch = image[win] * (1 - 0.35 * np.clip(1.2 - shadow, 0, 1)[..., None])
        colour = _DAY_COLOURS[shape.colour % len(_DAY_COLOURS)]
        solid = colour * _shading(shape, y, x)[..., None] + _highlight(shape, y, x)
        alpha = _coverage(_distance(shape, y, x))
        image[win] = patch * (1 - alpha) + solid * alpha
    return image


def _shading(shape: Shape, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    """Diffuse light: a sphere for balls, a lit-from-the-upper-left slab for blocks."""
    nx = np.clip((xx - shape.cx) / shape.half_w, -1, 1)
    ny = np.clip((yy - shape.cy) / shape.half_h, -1, 1)
    if shape.box:
        return 0.75 - 0.2 * nx * np.abs(nx) ** 3 - 0.2 * ny * np.abs(ny) ** 3
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    lambert = np.clip(nx * _LIGHT[0] + ny * _LIGHT[1] + nz * _LIGHT[2], 0, 1)
    return 0.35 + 0.7 * lambert


def _highlight(shape: Shape, yy: np.ndarray, xx: np.ndarray) -> np.ndarray:
    if shape.box:
        return np.zeros((*yy.shape, 1), dtype=np.float32)
    hx, hy = shape.cx - 0.35 * shape.half_w, shape.cy - 0.4 * shape.half_h
    spot = np.hypot(xx - hx, yy - hy) / (0.25 * shape.half_w)
    return 0.35 * np.exp(-(spot**2))[..., None]


def _paint_night(rng: np.random.Generator, shapes: list[Shape], yy: np.ndarray,
                 xx: np.ndarray, horizon: float) -> np.ndarray:
    size = yy.shape[0]
    t = (yy / horizon)[..., None]
    sky = (1 - t) * _rgb(0.02, 0.02, 0.10) + t * _rgb(0.30, 0.08, 0.35)
    stars = (rng.random(yy.shape, dtype=np.float32) < 0.004)[..., None] * rng.uniform(
        0.5, 1.0, (*yy.shape, 1)).astype(np.float32)
    image = np.where((yy < horizon)[..., None], sky + stars, _rgb(0.03, 0.01, 0.07))
    image += _grid(yy, xx, horizon, size)[..., None] * _rgb(0.9, 0.2, 0.8)
    line_width = max(1.0, size / 96)
    for shape in shapes:
        win = _window(shape, 12 * line_width + 2, size)
        distance = _distance(shape, yy[win], xx[win])
        neon = _NEON_COLOURS[shape.colour % len(_NEON_COLOURS)]
        alpha = _coverage(distance)
        patch = image[win] * (1 - alpha) + _rgb(0.04, 0.03, 0.09) * alpha
        glow = np.exp(-np.abs(distance) / (2.5 * line_width))[..., None]
        line = np.clip(line_width - np.abs(distance), 0, 1)[..., None]
        image[win] = patch + 0.6 * glow * neon + line * (1 - patch)
    return image


def _grid(yy: np.ndarray, xx: np.ndarray, horizon: float, size: int) -> np.ndarray:
    """A glowing ground grid in perspective: lines converge at the vanishing point.

    It fades out towards the horizon, where the lines would crowd into noise.
    """
    depth = np.maximum(yy - horizon, 0) / max(1.0, size - horizon)  # 0 at the horizon
    near = np.maximum(depth, 1e-3)
    rows = np.abs(np.sin(np.pi * 3.0 / near)) < 0.15 + 0.2 * depth
    cols = np.abs(np.sin(np.pi * 2.0 * (xx - size / 2) / near / size)) < 0.12
    fade = np.clip(depth * 5.0 - 0.25, 0, 1)
    return (rows | cols) * fade * (0.25 + 0.45 * depth)
