"""The evaluation engine: a run's networks applied to an :class:`EvalSet`, image by image.

One engine serves validation during training (the session's own networks) and
``nectar eval`` / the Evaluate tab (a checkpoint's networks). Generators run through
the same :class:`Translator` as the Translate tab, so every image is translated at its
own size exactly as a user would get it, and metrics compare that uint8 output with the
target.

Nothing here changes a training run: networks are switched to eval mode and back
(batch-norm statistics untouched, dropout off), every forward is under
``torch.inference_mode`` and no random numbers are drawn.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.evaluation import fid
from nectar_gui.core.evaluation.items import EvalItem, EvalSet, load_item, resized_like
from nectar_gui.core.evaluation.metrics import l1_distance, paired_metrics
from nectar_gui.core.evaluation.records import (
    EvaluationCancelled,
    EvaluationError,
    ImageResult,
    StepEvaluation,
    fid_unavailable,
    mean_metrics,
    metric_names,
)
from nectar_gui.core.patch_scores import reading
from nectar_gui.core.translate.info import GeneratorInfo
from nectar_gui.core.translate.reference import GeneratorArch
from nectar_gui.core.translate.translator import TorchGenerator, Translator

Progress = Callable[[int, int], None]
Cancel = Callable[[], bool]
#: Called with each item and its generated A→B image at full size (e.g. to save it).
OnGenerated = Callable[[EvalItem, np.ndarray], None]
#: Called with each real B image and the generated B image it is compared with.
OnPair = Callable[[np.ndarray, np.ndarray], None]


@dataclass
class EvalNets:
    """The networks an evaluation needs, all on one device.

    Attributes:
        config: the run's config (model kind, channels, objective).
        generators: "AtoB" (and "BtoA" for CycleGAN) → generator.
        discriminators: CycleGAN's "D_A" and "D_B" (empty for pix2pix).
        device: where they run.
        step: the training step they come from.
    """

    config: NectarConfig
    generators: dict[str, nn.Module]
    discriminators: dict[str, nn.Module]
    device: torch.device
    step: int


@contextlib.contextmanager
def eval_mode(nets: list[nn.Module]) -> Iterator[None]:
    """Eval mode inside, each network's previous mode restored after."""
    modes = [net.training for net in nets]
    for net in nets:
        net.eval()
    try:
        yield
    finally:
        for net, mode in zip(nets, modes, strict=True):
            net.train(mode)


def translator_for(nets: EvalNets) -> Translator:
    """A Translator over the networks (no copy; TorchGenerator puts them in eval mode)."""
    m = nets.config.model
    depth = m.resnet_blocks if m.generator == "resnet" else m.unet_downs
    arch = GeneratorArch(arch=m.generator, input_nc=m.input_nc, output_nc=m.output_nc,
                         ngf=m.ngf, norm=m.norm, depth=depth, dropout=m.dropout)
    info = GeneratorInfo(source="nectar-checkpoint", path=Path("."), arch=m.generator,
                         summary=arch.describe(), parameters=None, input_nc=m.input_nc,
                         output_nc=m.output_nc, directions=tuple(nets.generators),
                         step=nets.step, multiple=arch.multiple, norm=m.norm, ngf=m.ngf,
                         depth=depth)
    runners = {d: TorchGenerator(net, nets.device) for d, net in nets.generators.items()}
    return Translator(info, dict(runners))


def evaluate_set(nets: EvalNets, images: EvalSet, *, progress: Progress | None = None,
                 cancel: Cancel | None = None, thumb_size: int = 0,
                 on_generated: OnGenerated | None = None,
                 translator: Translator | None = None,
                 inception_weights: str | None = None) -> StepEvaluation:
    """Evaluate every item of ``images``; per-image results and their means.

    Args:
        translator: translates instead of ``nets.generators`` (a loose generator file,
            which has no run config; paired data only, as it has no D).
        inception_weights: a local Inception-v3 weights file for FID and KID (default:
            the config's ``logging.inception_weights``); without one, or when it cannot
            be used, both are reported as unavailable with the reason.
        progress: called with (images done, images in all) after each image.
        cancel: polled before each image; True raises :class:`EvaluationCancelled`.
        thumb_size: longest side of the thumbnails kept per image (0: none).
        on_generated: receives each item's full-size A→B output.

    Raises:
        EvaluationCancelled: ``cancel()`` returned True.
        ImageReadError: an image cannot be decoded.
    """
    started = time.monotonic()
    all_nets = [*nets.generators.values(), *nets.discriminators.values()]
    results = []
    features = _FidFeatures(inception_weights or nets.config.logging.inception_weights,
                            nets.device)
    with eval_mode(all_nets):
        translator = translator or translator_for(nets)
        for done, item in enumerate(images.items):
            if cancel is not None and cancel():
                raise EvaluationCancelled(f"evaluation cancelled after {done} images")
            results.append(_evaluate_item(nets, translator, item, images.kind, thumb_size,
                                          on_generated, features.add))
            if progress is not None:
                progress(done + 1, len(images.items))
    mean = mean_metrics(results, metric_names(images.kind))
    mean.update(features.scores())
    return StepEvaluation(step=nets.step, split=images.split, kind=images.kind,
                          images=tuple(results), mean=mean,
                          unavailable=features.unavailable,
                          seconds=time.monotonic() - started)


class _FidFeatures:
    """Inception features of the real and generated B images, when weights are given.

    A weights file that cannot be used makes FID and KID unavailable with the reason;
    the per-image metrics are measured all the same.
    """

    def __init__(self, weights: str | None, device: torch.device) -> None:
        self.device = device
        self.net: nn.Module | None = None
        self.unavailable: dict[str, str] = {}
        self.real: list[np.ndarray] = []
        self.fake: list[np.ndarray] = []
        if not weights:
            self.unavailable = fid_unavailable()
            return
        try:
            self.net = fid.load_inception(weights, device)
        except EvaluationError as exc:
            self.unavailable = fid_unavailable(f"unavailable — {exc}")

    def add(self, real: np.ndarray, fake: np.ndarray) -> None:
        if self.net is not None:
            self.real.append(fid.inception_features(self.net, real, self.device))
            self.fake.append(fid.inception_features(self.net, fake, self.device))

    def scores(self) -> dict[str, float]:
        if self.net is None:
            return {}
        real, fake = np.stack(self.real), np.stack(self.fake)
        return {"fid": fid.frechet_distance(real, fake),
                "kid": fid.kernel_inception_distance(real, fake)}


def _evaluate_item(nets: EvalNets, translator: Translator, item: EvalItem, kind: str,
                   thumb_size: int, on_generated: OnGenerated | None,
                   on_pair: OnPair) -> ImageResult:
    m = nets.config.model
    a, b = load_item(item, m.input_nc, m.output_nc)
    fake_b = translator.translate(a, direction="AtoB")  # (H, W, output_nc) uint8
    if on_generated is not None:
        on_generated(item, fake_b)
    shown = {"A": a, "G(A)": fake_b, "B": b}
    if kind == "paired":
        target = resized_like(b, a.shape[0], a.shape[1])
        metrics = paired_metrics(fake_b, target)
        on_pair(target, fake_b)
    else:
        fake_a = translator.translate(b, direction="BtoA")
        metrics = {
            "cycle_l1_a": l1_distance(translator.translate(fake_b, direction="BtoA"), a),
            "cycle_l1_b": l1_distance(translator.translate(fake_a, direction="AtoB"), b),
            "d_score_a": _d_score(nets, "D_A", fake_a),
            "d_score_b": _d_score(nets, "D_B", fake_b),
        }
        shown["G(B)"] = fake_a
        on_pair(b, fake_b)
    thumbs = {k: thumbnail(v, thumb_size) for k, v in shown.items()} if thumb_size else {}
    return ImageResult(name=item.name, metrics=metrics, a_path=str(item.a_path),
                       b_path=str(item.b_path), thumbnails=thumbs)


def _d_score(nets: EvalNets, name: str, image: np.ndarray) -> float:
    """Mean patch reading of discriminator ``name`` on a uint8 (H, W, C) image."""
    d = nets.discriminators[name]
    x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float()
    x = (x / 127.5 - 1.0)[None].to(nets.device)  # (1, C, H, W) in [-1, 1]
    with torch.inference_mode():
        raw = d(x)[0, 0].float().cpu().numpy()  # (h, w)
    return float(reading(raw, nets.config.loss.gan_mode).mean())


def thumbnail(image: np.ndarray, size: int) -> np.ndarray:
    """An owned uint8 copy whose longest side is at most ``size`` (aspect kept)."""
    h, w = image.shape[:2]
    scale = min(1.0, size / max(h, w))
    if scale >= 1.0:
        return np.ascontiguousarray(image).copy()
    img = Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image)
    small = img.resize((max(1, round(w * scale)), max(1, round(h * scale))),
                       Image.Resampling.BILINEAR)
    arr = np.array(small, dtype=np.uint8)
    return arr[:, :, None] if arr.ndim == 2 else arr
