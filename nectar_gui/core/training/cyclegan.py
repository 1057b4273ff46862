"""CycleGAN: two generators and two discriminators on unpaired sets (Zhu et al., 2017).

Naming: G_A maps A→B and G_B maps B→A, as in the reference code. Discriminators are
named by the domain they judge — D_B tells real B from G_A's output — which is the
reference's ``netD_A`` (the reference names D after the generator it opposes).
"""

from __future__ import annotations

from typing import Any

from torch import Tensor, nn

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
from nectar_gui.core.training.pool import ImagePool

#: What the generators' phase hands the discriminators' besides its losses.
_G_IMAGES = ("fake_A", "fake_B", "pred_fake_A", "pred_fake_B")


class CycleGanModel(GanModel):
    """ResNet (or U-Net) generators both ways, PatchGANs per domain, image pools."""

    generator_names = ("G_A", "G_B")
    discriminator_names = ("D_A", "D_B")

    def __init__(self, config: NectarConfig, runtime: Runtime, wrap: Wrapper | None = None):
        super().__init__(config, runtime, wrap)
        m = config.model
        self._add_generator("G_A", m.input_nc, m.output_nc)
        self._add_generator("G_B", m.output_nc, m.input_nc)
        self._add_discriminator("D_A", m.input_nc)
        self._add_discriminator("D_B", m.output_nc)
        self._finish_build()
        seed = config.runtime.seed
        self.pools = {"A": ImagePool(config.loss.pool_size, seed=seed + 1),
                      "B": ImagePool(config.loss.pool_size, seed=seed + 2)}

    def train_step(self, batch: Batch) -> dict[str, Tensor]:
        self.d_health = {}
        b = self.to_device(batch)
        g = self._phase("generators", self._generator_step, b)
        # The pools draw on the host, between the two captured phases.
        pooled = {"fake_A": self.pools["A"].query(g["fake_A"]),
                  "fake_B": self.pools["B"].query(g["fake_B"])}
        d = self._phase("discriminators", self._discriminator_step,
                        {**b, **pooled, "pred_fake_A": g["pred_fake_A"],
                         "pred_fake_B": g["pred_fake_B"]})
        self._end_step()
        return {**{k: v for k, v in g.items() if k not in _G_IMAGES}, **d}

    def _generator_step(self, b: Batch) -> dict[str, Tensor]:
        """Both generators' update; returns their losses, fakes and D's view of the fakes."""
        real_a, real_b = b["A"], b["B"]
        f, lc = self._fwd, self.config.loss
        losses: dict[str, Tensor] = {}
        with self._autocast():
            fake_b = f["G_A"](real_a)  # (B, out, H, W)
            fake_a = f["G_B"](real_b)  # (B, in, H, W)
            rec_a = f["G_B"](fake_b)
            rec_b = f["G_A"](fake_a)

        # Generators: D frozen and called unwrapped (DDP must not wait for D's grads).
        d_a, d_b = self.nets["D_A"], self.nets["D_B"]
        self._set_requires_grad([d_a, d_b], False)
        self.optimizers["G"].zero_grad(set_to_none=True)
        with self._autocast():
            pred_fake_b, pred_fake_a = d_b(fake_b), d_a(fake_a)  # (B, 1, h, w)
            losses["G_A"] = self.gan_loss.generator(pred_fake_b)
            losses["G_B"] = self.gan_loss.generator(pred_fake_a)
            losses["cycle_A"] = l1(rec_a, real_a) * lc.lambda_cycle_a
            losses["cycle_B"] = l1(rec_b, real_b) * lc.lambda_cycle_b
            if lc.lambda_identity > 0:
                # G_A should leave B images alone, G_B A images.
                idt = lc.lambda_identity
                losses["idt_A"] = l1(f["G_A"](real_b), real_b) * lc.lambda_cycle_b * idt
                losses["idt_B"] = l1(f["G_B"](real_a), real_a) * lc.lambda_cycle_a * idt
            loss_g = sum(losses.values())
        self._backward_step(loss_g, "G")  # type: ignore[arg-type]
        return {**{k: v.detach() for k, v in losses.items()},
                "fake_A": fake_a.detach(), "fake_B": fake_b.detach(),
                "pred_fake_A": pred_fake_a.detach(), "pred_fake_B": pred_fake_b.detach()}

    def _discriminator_step(self, b: Batch) -> dict[str, Tensor]:
        """Each D on real images and on a fake drawn from its pool; returns D's losses."""
        d_a, d_b = self.nets["D_A"], self.nets["D_B"]
        self._set_requires_grad([d_a, d_b], True)
        self.optimizers["D"].zero_grad(set_to_none=True)
        with self._autocast():
            loss_b, pred_real_b = self._d_loss("D_B", b["B"], b["fake_B"])
            loss_a, pred_real_a = self._d_loss("D_A", b["A"], b["fake_A"])
        # D-health: each D before its update, on real images and on G's current output
        # (not the pool's older fakes): how well D tells them apart at this step.
        self._record_patch_signals(pred_real_b, b["pred_fake_B"], "_B")
        self._record_patch_signals(pred_real_a, b["pred_fake_A"], "_A")
        self._backward_step(loss_a + loss_b, "D")
        return {"D_B": loss_b.detach(), "D_A": loss_a.detach()}

    def _d_loss(self, name: str, real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
        """D's loss on real images and (pooled) fakes, and its raw scores on the real ones."""
        D = self._fwd[name]
        pred_real = D(real)  # (B, 1, h, w)
        loss_real = self.gan_loss.discriminator(pred_real, True)
        loss_fake = self.gan_loss.discriminator(D(fake.detach()), False)
        return 0.5 * (loss_real + loss_fake), pred_real

    def _grad_norm_sets(self, group: str) -> dict[str, list[nn.Module]]:
        """One joint norm for both generators (one loss couples them), one per D."""
        if group == "G":
            return super()._grad_norm_sets(group)
        return {f"grad_norm_{name}": [self.nets[name]] for name in self.discriminator_names}

    def _sample(self, batch: Batch) -> SampleArrays:
        n = self.nets
        real_a, real_b = batch["A"], batch["B"]
        fake_b, fake_a = n["G_A"](real_a), n["G_B"](real_b)
        tensors = {"real_A": real_a, "fake_B": fake_b, "rec_A": n["G_B"](fake_b),
                   "real_B": real_b, "fake_A": fake_a, "rec_B": n["G_A"](fake_a)}
        if self.config.loss.lambda_identity > 0:
            tensors["idt_A"] = n["G_A"](real_b)
            tensors["idt_B"] = n["G_B"](real_a)
        judged = {"D_B(real_B)": (n["D_B"], "real_B"), "D_B(fake_B)": (n["D_B"], "fake_B"),
                  "D_A(real_A)": (n["D_A"], "real_A"), "D_A(fake_A)": (n["D_A"], "fake_A")}
        return SampleArrays(
            images={k: to_uint8_image(v) for k, v in tensors.items()},
            patch_maps={k: to_patch_map(d(tensors[img])) for k, (d, img) in judged.items()},
            map_images={k: img for k, (_, img) in judged.items()},
        )

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["pools"] = {k: p.state_dict() for k, p in self.pools.items()}
        return state

    def load_state_dict(self, state: dict[str, Any]) -> None:
        super().load_state_dict(state)
        for k, pool in self.pools.items():
            pool.load_state_dict(state["pools"][k], self.device)
