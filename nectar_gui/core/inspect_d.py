"""Ask a trained discriminator about any image, at any size.

The inspector shows D's patch map over the training samples; this module lets the user
point at a run or checkpoint and an image of their own and see the same map for it. The
image is judged as it is, or the generator first translates it from the other domain
and D judges the output. pix2pix's D is conditional — it sees the A image next to the
judged one — so the user also picks that condition, or lets G's input be it.

Run and checkpoint folders are resolved, and their configs read, by the Translate
engine's loader (``core.translate.loading``); its generator is reused for the
translation. The answer is a ``SampleRecord``, shown like any training sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.evaluation.best import best_note
from nectar_gui.core.inspect_d_info import MAX_JUDGED_PIXELS, JudgeError, JudgeInfo, JudgeRequest
from nectar_gui.core.models.from_config import discriminator_for
from nectar_gui.core.receptive_field import receptive_field
from nectar_gui.core.rundir import RunReader
from nectar_gui.core.runtime import DeviceError, resolve_device
from nectar_gui.core.sample_grid import SampleRecord
from nectar_gui.core.translate.info import TranslateError
from nectar_gui.core.translate.loading import (
    Translator,
    load_network,
    open_translator,
    read_checkpoint,
    resolve_model_path,
)
from nectar_gui.core.translate.translator import prepare_input

# The discriminator of each domain, and the generator that produces images of it.
_JUDGES = {"pix2pix": {"B": "D"}, "cyclegan": {"A": "D_A", "B": "D_B"}}
_DIRECTION_INTO = {"A": "BtoA", "B": "AtoB"}


class Judges:
    """The discriminators of one checkpoint (and, on demand, its generators).

    Args:
        info: What was loaded.
        nets: Discriminator per domain ("A" / "B"), in eval mode on ``device``.
        config: The checkpoint's config (channels of each domain).
        device: Where the networks run.
    """

    def __init__(self, info: JudgeInfo, nets: dict[str, nn.Module], config: NectarConfig,
                 device: torch.device) -> None:
        self.info = info
        self.nets = nets
        self.device = device
        self._channels = {"A": config.model.input_nc, "B": config.model.output_nc}
        self._translator: Translator | None = None

    def judge(self, request: JudgeRequest) -> SampleRecord:
        """D's raw patch map for the requested image, with the images it saw.

        Raises:
            JudgeError: Unknown domain, missing condition, image too small or too large,
                or the generator failed; the message says what to do.
        """
        domain = request.domain
        if domain not in self.nets:
            raise JudgeError(f"This {self.info.kind} model has no discriminator for domain "
                             f"{domain}; it has: {', '.join(self.info.domains)}")
        source = "A" if domain == "B" else "B"
        if request.translate:
            images = {f"real_{source}": self._prepared(request.image, source),
                      f"fake_{domain}": self._translated(request.image, domain)}
        else:
            images = {f"real_{domain}": self._prepared(request.image, domain)}
        judged_name = list(images)[-1]
        judged = images[judged_name]
        self._check_size(judged)
        x = _to_tensor(judged)  # (1, C, H, W)
        if self.info.conditional:
            condition = images.get("real_A")
            if condition is None:
                condition = self._condition(request, judged.shape[:2])
                images = {"real_A": condition, **images}
            x = torch.cat([_to_tensor(condition), x], dim=1)  # (1, C_A + C_B, H, W)
        with torch.inference_mode():
            raw = self.nets[domain](x.to(self.device))[0, 0]  # (h, w)
        map_name = f"{_JUDGES[self.info.kind][domain]}({judged_name})"
        return SampleRecord(step=self.info.step, epoch=None, images=images,
                            patch_maps={map_name: np.array(raw.float().cpu().numpy())},
                            patch_map_images={map_name: judged_name},
                            receptive_field=self.info.receptive_field,
                            gan_mode=self.info.gan_mode)

    def _prepared(self, image: np.ndarray, domain: str) -> np.ndarray:
        try:
            color, _alpha = prepare_input(np.asarray(image), self._channels[domain])
        except TranslateError as exc:
            raise JudgeError(str(exc)) from None
        return np.ascontiguousarray(color)

    def _translated(self, image: np.ndarray, domain: str) -> np.ndarray:
        try:
            if self._translator is None:
                self._translator = open_translator(self.info.path, device=self.device.type)
            out = self._translator.translate(np.asarray(image),
                                             direction=_DIRECTION_INTO[domain])
        except TranslateError as exc:
            raise JudgeError(f"The generator could not translate the image: {exc}") from None
        return self._prepared(out, domain)

    def _condition(self, request: JudgeRequest, size: tuple[int, int]) -> np.ndarray:
        if request.condition is None:
            raise JudgeError("pix2pix's discriminator judges an image together with its A "
                             "image (the condition): choose one, or judge the generator's "
                             "output for an A image instead.")
        condition = self._prepared(request.condition, "A")
        if condition.shape[:2] != size:
            pil = Image.fromarray(condition[:, :, 0] if condition.shape[2] == 1 else condition)
            resized = np.asarray(pil.resize((size[1], size[0]), Image.Resampling.BICUBIC))
            condition = np.ascontiguousarray(resized.reshape(size[0], size[1], -1))
        return condition

    def _check_size(self, image: np.ndarray) -> None:
        height, width = image.shape[:2]
        rf = self.info.receptive_field
        if rf.output_size(height) < 1 or rf.output_size(width) < 1:
            side = next(n for n in range(1, 4096) if rf.output_size(n) >= 1)
            raise JudgeError(f"The image is {width}×{height} px; this discriminator needs "
                             f"at least {side}×{side} px.")
        if height * width > MAX_JUDGED_PIXELS:
            raise JudgeError(f"The image is {width}×{height} px; D judges at most "
                             f"{MAX_JUDGED_PIXELS // 2**20} megapixels at once. Scale it "
                             f"down first.")


def open_judges(path: Path, *, step: int | None = None, device: str = "auto") -> Judges:
    """Load the discriminators of a run folder (latest or ``step``) or checkpoint folder.

    Raises:
        JudgeError: Not a run or checkpoint folder, no checkpoint yet, damaged files or
            an unusable device; the message says which.
    """
    try:
        folder = resolve_model_path(Path(path), step)
        ckpt, config = read_checkpoint(folder)
        target = resolve_device(device)
        m = config.model
        nets: dict[str, nn.Module] = {}
        for domain, name in _JUDGES[m.kind].items():
            input_nc = m.input_nc + m.output_nc if m.kind == "pix2pix" else (
                m.input_nc if domain == "A" else m.output_nc)
            net = load_network(discriminator_for(m, input_nc=input_nc), ckpt, name)
            nets[domain] = net.to(target).eval()
    except (TranslateError, DeviceError) as exc:
        raise JudgeError(str(exc)) from None
    return Judges(_info(folder, ckpt.step, config, nets), nets, config, target)


def _info(folder: Path, step: int, config: NectarConfig, nets: dict[str, nn.Module]
          ) -> JudgeInfo:
    m = config.model
    run = folder.parent.parent
    run_name = run.name if RunReader.is_run_dir(run) else None
    rf = receptive_field(next(iter(nets.values())))
    kind = "CycleGAN" if m.kind == "cyclegan" else "pix2pix"
    arch = f"PatchGAN with {m.d_layers} layers" if m.discriminator == "patch" else "PixelGAN"
    summary = (f"{run_name or folder.name}, step {step:,}: {kind}, {arch} "
               f"({rf.size}×{rf.size} px fields), {config.loss.gan_mode} objective"
               f"{best_note(folder)}")
    return JudgeInfo(path=folder, run_name=run_name, step=step, kind=m.kind,
                     gan_mode=config.loss.gan_mode, domains=tuple(_JUDGES[m.kind]),
                     receptive_field=rf, summary=summary)


def _to_tensor(image: np.ndarray) -> torch.Tensor:
    """uint8 (H, W, C) → float32 (1, C, H, W) in [-1, 1], as training feeds D."""
    chw = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))  # (C, H, W)
    return chw.float().div(127.5).sub(1.0)[None]
