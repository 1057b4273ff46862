"""Which network a loss term belongs to, decided from its name alone.

Torch-free so the UI can group loss curves the same way the trainers do.
"""

from __future__ import annotations

from typing import Literal

LossGroup = Literal["G", "D"]


def loss_group(name: str) -> LossGroup:
    """'D' for discriminator losses, 'G' for everything the generators minimise."""
    return "D" if name.startswith("D") else "G"
