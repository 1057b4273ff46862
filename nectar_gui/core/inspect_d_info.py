"""What "Ask D about any image" loaded and what it is asked. No torch, no Qt.

The inspector (UI) builds ``JudgeRequest``s and shows ``JudgeInfo``; the torch side is
``core.inspect_d``. The answer is a ``SampleRecord``, so a judged image is shown exactly
like a training sample.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nectar_gui.core.geometry import ReceptiveField

MAX_JUDGED_PIXELS = 16 * 2**20  # D runs on the whole image at once; beyond this, downscale


class JudgeError(ValueError):
    """A problem with the model or the images, worded for the user."""


@dataclass(frozen=True)
class JudgeInfo:
    """The discriminators of one checkpoint, as the UI shows them.

    Attributes:
        path: The checkpoint folder that was loaded.
        run_name: Its run folder's name, when it belongs to one.
        step: Training steps of the checkpoint.
        kind: "pix2pix" (one conditional D) or "cyclegan" (D_A and D_B).
        gan_mode: The objective D was trained with (how to read its scores).
        domains: Domains with a discriminator: ("B",) for pix2pix, ("A", "B") for CycleGAN.
        receptive_field: The geometry of every D of the checkpoint.
        summary: One line for people.
    """

    path: Path
    run_name: str | None
    step: int
    kind: str
    gan_mode: str
    domains: tuple[str, ...]
    receptive_field: ReceptiveField
    summary: str

    @property
    def conditional(self) -> bool:
        """pix2pix's D also sees the A image (the condition) next to the judged one."""
        return self.kind == "pix2pix"


@dataclass(frozen=True, eq=False)
class JudgeRequest:
    """Which image to judge, and how.

    Attributes:
        image: The user's image, uint8 (H, W, C), any size.
        domain: The domain whose D judges ("A" or "B"; pix2pix: "B").
        translate: Judge the generator's output for ``image`` instead, ``image`` being
            from the other domain (pix2pix: ``image`` is the A image and the condition).
        condition: pix2pix without ``translate``: the A image D sees next to ``image``;
            resized to ``image``'s size when it differs.
    """

    image: np.ndarray
    domain: str = "B"
    translate: bool = False
    condition: np.ndarray | None = None
