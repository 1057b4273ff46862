"""Receptive-field geometry of a convolutional discriminator, free of torch.

The UI uses this to draw which input pixels an output cell of a PatchGAN looks at and
to map a mouse position to a cell, so it must not import torch. All coordinates are
integer pixel indices with inclusive bounds; negative values or values past the image
edge fall in the zero padding.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, NamedTuple


class LayerGeometry(NamedTuple):
    """Kernel, stride and padding of one spatial layer along one axis (square layers)."""

    kernel: int
    stride: int
    padding: int


@dataclass(frozen=True)
class Rect:
    """Axis-aligned pixel rectangle with inclusive bounds.

    Attributes:
        top: First row.
        left: First column.
        bottom: Last row (inclusive).
        right: Last column (inclusive).
    """

    top: int
    left: int
    bottom: int
    right: int

    def __post_init__(self) -> None:
        if self.bottom < self.top or self.right < self.left:
            raise ValueError(f"Empty rectangle: {self}.")

    @property
    def height(self) -> int:
        """Number of rows covered."""
        return self.bottom - self.top + 1

    @property
    def width(self) -> int:
        """Number of columns covered."""
        return self.right - self.left + 1


@dataclass(frozen=True)
class ReceptiveField:
    """Which input pixels each output cell of a conv stack depends on.

    Cell ``i`` along an axis covers input indices ``start + i * jump`` through
    ``start + i * jump + size - 1``. ``layers`` keeps the stack itself so the grid size
    for any input length can be computed; ``size``, ``jump`` and ``start`` must agree
    with it (use ``from_layers`` to build one).

    Attributes:
        size: Receptive-field side in pixels.
        jump: Input pixels between neighbouring cells (product of strides).
        start: Input index of the first pixel covered by cell 0; negative means the
            field begins in the padding.
        layers: Spatial layers in forward order.
    """

    size: int
    jump: int
    start: int
    layers: tuple[LayerGeometry, ...]

    def __post_init__(self) -> None:
        expected = _recurrence(self.layers)
        if (self.size, self.jump, self.start) != expected:
            raise ValueError(
                f"size/jump/start {(self.size, self.jump, self.start)} do not match the "
                f"layers, which give {expected}."
            )

    @classmethod
    def from_layers(cls, layers: Iterable[tuple[int, int, int]]) -> ReceptiveField:
        """Compute the field of a stack of (kernel, stride, padding) layers."""
        stack = tuple(LayerGeometry(*map(int, layer)) for layer in layers)
        size, jump, start = _recurrence(stack)
        return cls(size=size, jump=jump, start=start, layers=stack)

    def output_size(self, input_size: int) -> int:
        """Cells along one axis for an input of ``input_size`` pixels.

        Returns 0 when the input is too small for the stack (the network would fail).
        """
        n = input_size
        for kernel, stride, padding in self.layers:
            n = (n + 2 * padding - kernel) // stride + 1
            if n < 1:
                return 0
        return n

    def cell_rect(self, i: int, j: int) -> Rect:
        """Full receptive field of cell (row ``i``, column ``j``), padding included."""
        top, left = self.start + i * self.jump, self.start + j * self.jump
        return Rect(top, left, top + self.size - 1, left + self.size - 1)

    def clipped_cell_rect(self, i: int, j: int, height: int, width: int) -> Rect | None:
        """Part of the cell's field inside a ``height`` x ``width`` image, or None."""
        rect = self.cell_rect(i, j)
        top, left = max(rect.top, 0), max(rect.left, 0)
        bottom, right = min(rect.bottom, height - 1), min(rect.right, width - 1)
        if bottom < top or right < left:
            return None
        return Rect(top, left, bottom, right)

    def cell_center(self, i: int, j: int) -> tuple[float, float]:
        """Centre (row, column) of cell (i, j)'s field in input pixel coordinates."""
        offset = (self.size - 1) / 2
        return (self.start + i * self.jump + offset, self.start + j * self.jump + offset)

    def nearest_cell(self, y: float, x: float, grid_h: int, grid_w: int) -> tuple[int, int]:
        """Cell of a ``grid_h`` x ``grid_w`` grid whose field centre is nearest (y, x).

        Centres lie on a regular grid, so the nearest one is found per axis and clamped
        to the grid. A pixel exactly halfway between two centres goes to the smaller
        index, so the answer never depends on floating-point rounding.
        """
        if grid_h < 1 or grid_w < 1:
            raise ValueError(f"Grid must be at least 1x1, got {grid_h}x{grid_w}.")
        return (self._nearest_index(y, grid_h), self._nearest_index(x, grid_w))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (plain ints and lists)."""
        return {
            "size": self.size,
            "jump": self.jump,
            "start": self.start,
            "layers": [list(layer) for layer in self.layers],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReceptiveField:
        """Rebuild from ``to_dict`` output; raises ``ValueError`` if it is inconsistent."""
        layers = tuple(LayerGeometry(*(int(v) for v in layer)) for layer in data["layers"])
        return cls(
            size=int(data["size"]), jump=int(data["jump"]), start=int(data["start"]), layers=layers
        )

    def _nearest_index(self, pos: float, count: int) -> int:
        # Exact arithmetic so ties are detected exactly; ceil(t - 1/2) rounds halves down.
        first_centre = Fraction(2 * self.start + self.size - 1, 2)
        t = (Fraction(pos) - first_centre) / self.jump
        return min(max(math.ceil(t - Fraction(1, 2)), 0), count - 1)


def describe_grid(rf: ReceptiveField, input_size: int) -> dict[str, int]:
    """Numbers the UI shows for a square input: grid side, field size, stride, cell 0.

    Args:
        rf: The discriminator's receptive field.
        input_size: Input side in pixels.
    """
    first = rf.cell_rect(0, 0)
    return {
        "input_size": input_size,
        "grid_size": rf.output_size(input_size),
        "receptive_field": rf.size,
        "jump": rf.jump,
        "cell0_first": first.top,
        "cell0_last": first.bottom,
    }


def _recurrence(layers: tuple[LayerGeometry, ...]) -> tuple[int, int, int]:
    """(size, jump, start) after ``layers``, starting from one input pixel.

    Each layer widens the field by (kernel - 1) input steps of the current jump, shifts
    its start left by the padding measured in those steps, and multiplies the jump by
    its stride.
    """
    size, jump, start = 1, 1, 0
    for kernel, stride, padding in layers:
        if kernel < 1 or stride < 1 or padding < 0:
            layer = (kernel, stride, padding)
            raise ValueError(f"Invalid layer (kernel, stride, padding) = {layer}.")
        size += (kernel - 1) * jump
        start -= padding * jump
        jump *= stride
    return size, jump, start
