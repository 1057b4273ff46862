"""pix2pix: a conditional GAN on aligned pairs (Isola et al., 2017).

G maps A to B; D judges (A, B) pairs concatenated on channels, so it learns whether B
fits A, not only whether B looks real.
"""

from __future__ import annotations

import torch
from torch import Tensor

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.losses import l1
from nectar_gui.core.runtime import Runtime
from nectar_gui.core.training.gan_model import (
    Batch,
    GanModel,
    SampleArrays,
    Wrapper,
    to_patch_map,
    to_uint8_image,
)


class Pix2PixModel(GanModel):
    """U-Net (or ResNet) G with a conditional PatchGAN D and an L1 term."""

    generator_names = ("G",)
    discriminator_names = ("D",)

    def __init__(self, config: NectarConfig, runtime: Runtime, wrap: Wrapper | None = None):
        super().__init__(config, runtime, wrap)
        m = config.model
        self._add_generator("G", m.input_nc, m.output_nc)
        self._add_discriminator("D", m.input_nc + m.output_nc)
        self._finish_build()

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        self.d_health = {}
        losses = self._phase("pix2pix", self._step, self.to_device(batch))
        self._end_step()
        return losses

    def _step(self, b: Batch) -> dict[str, Tensor]:
        """The whole step, one phase: its shapes are fixed by the batch."""
        real_a, real_b = b["A"], b["B"]
        G, D = self._fwd["G"], self._fwd["D"]
        with self._autocast():
            fake_b = G(real_a)  # (B, out, H, W)

        # D: real pairs → real, generated pairs → fake. D(fake) sees a detached fake.
        self._set_requires_grad([self.nets["D"]], True)
        self.optimizers["D"].zero_grad(set_to_none=True)
        with self._autocast():
            pred_fake = D(torch.cat([real_a, fake_b.detach()], 1))  # (B, 1, h, w)
            pred_real = D(torch.cat([real_a, real_b], 1))
            d_fake = self.gan_loss.discriminator(pred_fake, False)
            d_real = self.gan_loss.discriminator(pred_real, True)
            loss_d = 0.5 * (d_fake + d_real)
        self._record_patch_signals(pred_real, pred_fake)  # D before its update
        self._backward_step(loss_d, "D")

        # G: fool D (frozen; called unwrapped so DDP does not wait for its gradients) + L1.
        self._set_requires_grad([self.nets["D"]], False)
        self.optimizers["G"].zero_grad(set_to_none=True)
        with self._autocast():
            pred = self.nets["D"](torch.cat([real_a, fake_b], 1))
            g_gan = self.gan_loss.generator(pred)
            g_l1 = l1(fake_b, real_b) * self.config.loss.lambda_l1
            loss_g = g_gan + g_l1
        self._backward_step(loss_g, "G")
        return {"G_GAN": g_gan.detach(), "G_L1": g_l1.detach(),
                "D_real": d_real.detach(), "D_fake": d_fake.detach()}

    def _sample(self, batch: Batch) -> SampleArrays:
        real_a, real_b = batch["A"], batch["B"]
        fake_b = self.nets["G"](real_a)
        d = self.nets["D"]
        return SampleArrays(
            images={"real_A": to_uint8_image(real_a), "fake_B": to_uint8_image(fake_b),
                    "real_B": to_uint8_image(real_b)},
            patch_maps={"D(real_B)": to_patch_map(d(torch.cat([real_a, real_b], 1))),
                        "D(fake_B)": to_patch_map(d(torch.cat([real_a, fake_b], 1)))},
            map_images={"D(real_B)": "real_B", "D(fake_B)": "fake_B"},
        )
