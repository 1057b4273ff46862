"""GAN objectives and the reconstruction losses used by pix2pix and CycleGAN.

Discriminators return raw scores (logits); each objective decides how to read them.
The vanilla objective therefore uses BCE-with-logits, which is also the only form
that is safe under autocast.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor

GanMode = Literal["lsgan", "vanilla", "hinge"]
GAN_MODES: tuple[GanMode, ...] = ("lsgan", "vanilla", "hinge")


class GanLoss:
    """The adversarial loss for one objective.

    Args:
        mode: ``lsgan`` (least squares on raw scores, targets 1 / 0), ``vanilla``
            (binary cross-entropy with logits) or ``hinge``.
    """

    def __init__(self, mode: str) -> None:
        if mode not in GAN_MODES:
            raise ValueError(f"Unknown GAN objective {mode!r}. Choose one of: "
                             f"{', '.join(GAN_MODES)}.")
        self.mode = mode

    def discriminator(self, pred: Tensor, real: bool) -> Tensor:
        """Loss of D for scores ``pred`` (B, 1, h, w) on real or fake inputs."""
        if self.mode == "hinge":
            return F.relu(1.0 - pred).mean() if real else F.relu(1.0 + pred).mean()
        return self._target_loss(pred, real)

    def generator(self, pred: Tensor) -> Tensor:
        """Loss of G: D's scores on G's output should read as real."""
        if self.mode == "hinge":
            return -pred.mean()
        return self._target_loss(pred, True)

    def _target_loss(self, pred: Tensor, real: bool) -> Tensor:
        pred = pred.float()  # reduce in fp32 under autocast
        target = torch.ones_like(pred) if real else torch.zeros_like(pred)
        if self.mode == "lsgan":
            return F.mse_loss(pred, target)
        return F.binary_cross_entropy_with_logits(pred, target)

    def realness(self, pred: Tensor) -> Tensor:
        """Scores mapped to D's own reading: probability for vanilla, raw otherwise."""
        return torch.sigmoid(pred) if self.mode == "vanilla" else pred


def l1(a: Tensor, b: Tensor) -> Tensor:
    """Mean absolute error, reduced in fp32."""
    return F.l1_loss(a.float(), b.float())
