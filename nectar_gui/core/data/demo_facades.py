"""Procedural building façades: a flat label map and a "photo" of the same layout.

The pairs imitate the classic façades dataset so pix2pix has something meaningful to
learn without a download: the label map (A) says where wall, windows, doors, cornices,
sills, balconies, shop fronts and pillars are; the rendering (B) turns each class into
its look — textured plaster or brick, dark glass with light frames and mullions, wooden
doors, stone ledges with cast shadows. Almost everything in B follows from A, so a small
U-Net learns the mapping visibly within minutes; only the wall colour and fine texture
are free, which pix2pix renders as a plausible average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

SKY, WALL, WINDOW, DOOR, CORNICE, SILL, BALCONY, SHOP, PILLAR = range(9)

# Label colours of A, one flat colour per class.
LABEL_COLOURS = np.array([
    (20, 40, 160), (40, 110, 230), (250, 170, 30), (200, 60, 20), (80, 220, 220),
    (140, 230, 90), (230, 230, 60), (170, 30, 170), (120, 60, 220)], dtype=np.uint8)

_WALL_PALETTE = np.array([(0.86, 0.78, 0.62), (0.70, 0.36, 0.28), (0.82, 0.66, 0.40),
                          (0.72, 0.72, 0.70), (0.88, 0.72, 0.68), (0.62, 0.66, 0.58)],
                         dtype=np.float32)
_STONE = np.array([0.90, 0.88, 0.82], dtype=np.float32)


@dataclass(frozen=True)
class Box:
    """A labelled rectangle; rows y0…y1-1, columns x0…x1-1."""

    label: int
    y0: int
    x0: int
    y1: int
    x1: int

    def slices(self, size: int) -> tuple[slice, slice]:
        """Row and column slices clipped to a size × size image."""
        return (slice(max(0, self.y0), max(0, min(size, self.y1))),
                slice(max(0, self.x0), max(0, min(size, self.x1))))


def render_facade(rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A façade as (label map A, photo B), both uint8 (size, size, 3)."""
    boxes = facade_boxes(rng, size)
    labels = np.full((size, size), WALL, dtype=np.int8)
    for box in boxes:
        labels[box.slices(size)] = box.label
    photo = _render_photo(labels, boxes, rng, size)
    return LABEL_COLOURS[labels], photo


def facade_boxes(rng: np.random.Generator, size: int) -> list[Box]:
    """The façade's rectangles in painting order (later ones cover earlier ones)."""
    s = size
    sky = int(rng.integers(0, max(1, s * 15 // 100)))
    band = max(1, s // 40)
    boxes = [Box(SKY, 0, 0, sky, s), Box(CORNICE, sky, 0, sky + 2 * band, s)]
    pillar = int(rng.integers(s // 24, s // 12 + 1)) if rng.random() < 0.5 else 0
    if pillar:
        boxes += [Box(PILLAR, sky, 0, s, pillar), Box(PILLAR, sky, s - pillar, s, s)]
    ground = int(s * rng.uniform(0.18, 0.26))
    top, bottom = sky + 2 * band, s - ground
    n_floors = int(rng.integers(2, 6))
    n_cols = int(rng.integers(2, 6))
    floor_h = (bottom - top) / n_floors
    style = (rng.uniform(0.35, 0.6), rng.uniform(0.45, 0.68), rng.random() < 0.5)
    for f in range(n_floors):
        y = top + int(f * floor_h)
        boxes += _floor(rng, y, int(floor_h), pillar, s, n_cols, style, band)
    boxes.append(Box(CORNICE, bottom - band, 0, bottom, s))
    boxes += _ground_floor(rng, bottom, s, pillar)
    return boxes


def _floor(rng: np.random.Generator, y: int, height: int, margin: int, s: int,
           n_cols: int, style: tuple[float, float, bool], band: int) -> list[Box]:
    width_frac, height_frac, ledges = style
    pitch = (s - 2 * margin) / n_cols
    win_w, win_h = max(2, int(pitch * width_frac)), max(2, int(height * height_frac))
    y0 = y + (height - win_h) * 2 // 3
    balcony = rng.random() < 0.3
    boxes = [Box(CORNICE, y, 0, y + band, s)] if ledges else []
    for c in range(n_cols):
        x0 = margin + int((c + 0.5) * pitch) - win_w // 2
        boxes.append(Box(WINDOW, y0, x0, y0 + win_h, x0 + win_w))
        if balcony:
            rail = max(2, win_h // 3)
            boxes.append(Box(BALCONY, y0 + win_h - rail, x0 - band, y0 + win_h + band,
                             x0 + win_w + band))
        else:
            boxes.append(Box(SILL, y0 + win_h, x0 - band, y0 + win_h + band, x0 + win_w + band))
    return boxes


def _ground_floor(rng: np.random.Generator, top: int, s: int, margin: int) -> list[Box]:
    height = s - top
    door_w = max(3, int(s * rng.uniform(0.09, 0.14)))
    door_x = int(rng.integers(margin + 1, max(margin + 2, s - margin - door_w - 1)))
    door = Box(DOOR, s - int(height * 0.8), door_x, s, door_x + door_w)
    shop_h = int(height * 0.6)
    boxes = []
    if rng.random() < 0.6:  # shop windows either side of the door
        y0 = top + (height - shop_h) // 2
        gap = max(2, s // 32)
        if door.x0 - gap - margin - gap > 4:
            boxes.append(Box(SHOP, y0, margin + gap, y0 + shop_h, door.x0 - gap))
        if s - margin - gap - (door.x1 + gap) > 4:
            boxes.append(Box(SHOP, y0, door.x1 + gap, y0 + shop_h, s - margin - gap))
    return [*boxes, door]


def _render_photo(labels: np.ndarray, boxes: list[Box], rng: np.random.Generator,
                  s: int) -> np.ndarray:
    # Row and column coordinates in 0…1, shaped (s, 1) and (1, s): looks that vary
    # along one axis only stay small and are broadcast when the masks pick from them.
    yy = (np.arange(s, dtype=np.float32) / s)[:, None]
    xx = (np.arange(s, dtype=np.float32) / s)[None, :]
    wall = _wall_texture(rng, s)
    looks = {
        SKY: np.stack([0.45 + 0.3 * yy, 0.62 + 0.22 * yy, 0.90 + 0.05 * yy], axis=-1),
        WALL: wall,
        WINDOW: _glass(yy, (0.10, 0.14, 0.20)),
        DOOR: _wood(xx, s),
        CORNICE: np.clip(wall.mean((0, 1)) * 0.2 + _STONE * 0.8, 0, 1)[None, None],
        SILL: _STONE[None, None],
        BALCONY: _railing(xx, s),
        SHOP: _glass(yy + xx * 0.5, (0.08, 0.18, 0.20)),
        PILLAR: wall * (0.95 + 0.15 * np.cos(xx * np.pi * 24))[..., None],
    }
    photo = np.zeros((s, s, 3), dtype=np.float32)
    for label, look in looks.items():
        mask = labels == label
        photo[mask] = np.broadcast_to(look, (s, s, 3))[mask]
    _cast_shadows(photo, labels, s)
    _draw_frames(photo, labels, boxes, s)
    light = 1.05 - 0.15 * xx - 0.1 * yy + 0.025 * rng.standard_normal((s, s), np.float32)
    return (np.clip(photo * light[..., None], 0, 1) * 255 + 0.5).astype(np.uint8)


def _wall_texture(rng: np.random.Generator, s: int) -> np.ndarray:
    """Plaster blotches on a wall colour from the palette, sometimes brick courses."""
    base = _WALL_PALETTE[rng.integers(len(_WALL_PALETTE))] + rng.normal(0, 0.03, 3)
    coarse = rng.standard_normal((max(2, s // 16), max(2, s // 16)), np.float32)
    blotches = np.asarray(Image.fromarray(coarse).resize((s, s), Image.Resampling.BILINEAR))
    tone = 1.0 + 0.05 * blotches
    if rng.random() < 0.4:  # brick courses: mortar lines every few rows, staggered joints
        course = max(3, s // 32)
        rows = np.arange(s) // course
        mortar = (np.arange(s)[:, None] % course == 0) | (
            (np.arange(s)[None, :] + (rows[:, None] % 2) * course) % (2 * course) == 0)
        tone = tone * np.where(mortar, 1.18, 1.0)
    return np.clip(base[None, None, :] * tone[..., None], 0, 1).astype(np.float32)


def _glass(t: np.ndarray, colour: tuple[float, float, float]) -> np.ndarray:
    reflection = 0.18 * np.clip(np.sin(t * 40.0), 0, 1)[..., None]  # (s, s, 1)
    return np.clip(np.asarray(colour, dtype=np.float32) + reflection, 0, 1)


def _wood(xx: np.ndarray, s: int) -> np.ndarray:
    planks = 0.85 + 0.15 * ((xx * s).astype(int) % max(3, s // 32) != 0)
    return np.array([0.38, 0.22, 0.12], dtype=np.float32) * planks[..., None]


def _railing(xx: np.ndarray, s: int) -> np.ndarray:
    bars = (xx * s).astype(int) % max(2, s // 40) == 0
    return np.where(bars[..., None], 0.08, 0.22).astype(np.float32) * np.ones(3, np.float32)


def _cast_shadows(photo: np.ndarray, labels: np.ndarray, s: int) -> None:
    """Ledges cast a short shadow onto the wall below them (light from above)."""
    ledges = np.isin(labels, (CORNICE, SILL, BALCONY))
    shade = np.zeros_like(ledges)
    for shift in range(1, max(2, s // 40) + 1):
        shade[shift:] |= ledges[:-shift]
    shade &= np.isin(labels, (WALL, PILLAR, WINDOW))
    photo[shade] *= 0.7


def _draw_frames(photo: np.ndarray, labels: np.ndarray, boxes: list[Box], s: int) -> None:
    """Light frames and a mullion cross on windows, a dark frame on doors.

    Only pixels still labelled as the box's class are painted, so a balcony in front of
    a window hides its frame in B exactly as it hides the window in A.
    """
    t = max(1, s // 96)
    for box in boxes:
        if box.label not in (WINDOW, DOOR):
            continue
        rows, cols = box.slices(s)
        frame = np.zeros((box.y1 - box.y0, box.x1 - box.x0), dtype=bool)
        frame[:t], frame[:, :t], frame[:, -t:] = True, True, True
        if box.label == WINDOW:
            frame[-t:] = True
            mid_x, bar_y = frame.shape[1] // 2, frame.shape[0] * 2 // 5
            frame[:, mid_x:mid_x + t] = True
            frame[bar_y:bar_y + t] = True
        frame = frame[rows.start - box.y0:rows.stop - box.y0,
                      cols.start - box.x0:cols.stop - box.x0]
        paint = frame & (labels[rows, cols] == box.label)
        colour = (0.93, 0.91, 0.86) if box.label == WINDOW else (0.2, 0.12, 0.07)
        photo[rows, cols][paint] = colour
