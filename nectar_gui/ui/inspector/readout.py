"""The inspector's texts: the geometry line, the hovered cell's readout, the pinned cells."""

from __future__ import annotations

from typing import Any

from nectar_gui.ui.inspector.map_choice import MapEntry
from nectar_gui.ui.inspector.overlay_view import Cell, PatchOverlayView

MAX_PINS_LISTED = 5


def geometry_text(sample: Any, view: PatchOverlayView, where: str | None = None) -> str:
    """Which sample is shown (``where``, or its step) and what one cell of D sees."""
    epoch = getattr(sample, "epoch", None)
    if where is None:
        where = f"Step {sample.step:,}" + ("" if epoch is None else f" · epoch {epoch + 1}")
    rf, grid = view.receptive_field(), view.grid_shape()
    if rf is None or grid is None:
        return where
    height, width = view.image_size()
    return (f"{where} · each cell of D's output judges a {rf.size}×{rf.size} px patch (its "
            f"receptive field); neighbouring cells are {rf.jump} px apart, so this "
            f"{width}×{height} image gets {grid[0]}×{grid[1]} cells.")


def score_text(view: PatchOverlayView, cell: Cell) -> str:
    """'0.12 (looks fake)' for vanilla also gives the raw logit D produced."""
    scale, value, raw = view.score_scale(), view.reading_at(cell), view.raw_score(cell)
    if scale is None or value is None or raw is None:
        return "no score"
    text = f"{scale.format(value)} ({scale.verdict(value)}"
    if scale.gan_mode == "vanilla":
        text += f"; raw logit {raw:+.2f}"
    return text + ")"


def field_text(view: PatchOverlayView, cell: Cell) -> str:
    """The cell's field in image pixels, and how much of it lies in the padding."""
    rf = view.receptive_field()
    if rf is None:
        return ""
    height, width = view.image_size()
    full, inside = rf.cell_rect(*cell), rf.clipped_cell_rect(*cell, height, width)
    size = f"{rf.size}×{rf.size}"
    if inside is None:
        return f"field entirely in the padding ({size})"
    where = f"field rows {inside.top}–{inside.bottom}, cols {inside.left}–{inside.right}"
    if inside == full:
        return f"{where} ({size}, all inside the image)"
    return (f"{where} ({size} field; {inside.height}×{inside.width} inside the image, the "
            f"rest in the zero padding, hatched)")


def hover_text(view: PatchOverlayView, cell: Cell, side: PatchOverlayView | None) -> str:
    """The readout for the hovered cell; ``side`` adds the other view's score."""
    text = f"cell ({cell[0]}, {cell[1]}) · score {score_text(view, cell)}"
    if side is not None and side.grid_shape() == view.grid_shape():
        text += f" · right view: {score_text(side, cell)}"
    return f"{text} · {field_text(view, cell)}"


def pins_text(view: PatchOverlayView, pins: list[Cell]) -> str:
    """The pinned cells with their current scores (they follow the scrubber)."""
    scale = view.score_scale()
    if not pins or scale is None:
        return ""
    parts = []
    for cell in pins[:MAX_PINS_LISTED]:
        value = view.reading_at(cell)
        if value is not None:
            parts.append(f"({cell[0]}, {cell[1]}) {scale.format(value)} "
                         f"{scale.verdict(value)}")
    more = len(pins) - MAX_PINS_LISTED
    return "Pinned: " + " · ".join(parts) + (f" · and {more} more" if more > 0 else "")


def plain_caption(entry: MapEntry, beside: str) -> str:
    """The right-hand caption when it shows the image without D's colours."""
    text = f"{entry.image.replace('_', ' ')} without colours"
    if beside == "other":
        text += " (D scored no other image here)"
    return text
