"""Evaluate a run's checkpoints: the engine behind ``nectar eval`` and the Evaluate tab.

``evaluate_checkpoint`` loads one checkpoint's networks (weights from safetensors; the
training state through ``torch.load(weights_only=True)``), evaluates a split of the
run's dataset and returns a :class:`StepEvaluation`. It takes a progress callback and a
cancel callable so a worker thread can drive it. Every failure a user can cause is an
:class:`EvaluationError` with a message saying what to do.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from nectar_gui.core.config import parse_config
from nectar_gui.core.evaluation.engine import (
    Cancel,
    EvalNets,
    OnGenerated,
    Progress,
    evaluate_set,
)
from nectar_gui.core.evaluation.items import EvalItem, eval_set
from nectar_gui.core.evaluation.records import (
    EvaluationError,
    StepEvaluation,
)
from nectar_gui.core.models.from_config import discriminator_for
from nectar_gui.core.rundir import RunPaths, RunReader, complete_checkpoints
from nectar_gui.core.runtime import DeviceError, resolve_device
from nectar_gui.core.translate.info import TranslateError
from nectar_gui.core.translate.loading import (
    generator_for_direction,
    load_network,
    open_translator,
    read_checkpoint,
)

# Checkpoint network names per model kind, by role.
_GENERATORS = {"pix2pix": {"AtoB": "G"}, "cyclegan": {"AtoB": "G_A", "BtoA": "G_B"}}
_DISCRIMINATORS = {"pix2pix": (), "cyclegan": ("D_A", "D_B")}


def checkpoint_steps(run_dir: Path) -> list[int]:
    """Steps of the run's complete checkpoints (EvaluationError when it is no run)."""
    run_dir = Path(run_dir)
    if not RunReader.is_run_dir(run_dir):
        raise EvaluationError(f"{run_dir} is not a run folder (config.json is missing)")
    steps = [int(p.name) for p in complete_checkpoints(RunPaths(run_dir).checkpoints)]
    if not steps:
        raise EvaluationError(f"The run {run_dir.name} has no checkpoint yet; train it "
                              f"until one is saved")
    return steps


def load_eval_nets(run_dir: Path, step: int, *, device: str = "auto") -> EvalNets:
    """The generators (and CycleGAN's discriminators) of checkpoint ``step``."""
    steps = checkpoint_steps(run_dir)
    if step not in steps:
        raise EvaluationError(f"The run {Path(run_dir).name} has no checkpoint at step "
                              f"{step} (checkpoints: {', '.join(map(str, steps))})")
    folder = RunPaths(Path(run_dir)).checkpoints / f"{step:08d}"
    try:
        ckpt, config = read_checkpoint(folder)
        target = resolve_device(device)
        m = config.model
        built = {name: load_network(generator_for_direction(m, direction), ckpt, name)
                 for direction, name in _GENERATORS[m.kind].items()}
        for name in _DISCRIMINATORS[m.kind]:
            d = discriminator_for(m, input_nc=m.input_nc if name == "D_A" else m.output_nc)
            built[name] = load_network(d, ckpt, name)
    except (TranslateError, DeviceError) as exc:
        raise EvaluationError(str(exc)) from None
    for net in built.values():
        net.to(target).eval()
    return EvalNets(config=config, step=step, device=target,
                    generators={d: built[n] for d, n in _GENERATORS[m.kind].items()},
                    discriminators={n: built[n] for n in _DISCRIMINATORS[m.kind]})


def evaluate_checkpoint(run_dir: Path, step: int, split: str = "val", limit: int | None = None,
                        *, device: str = "auto", data_root: Path | None = None,
                        progress: Progress | None = None, cancel: Cancel | None = None,
                        thumb_size: int = 128, save_dir: Path | None = None,
                        inception_weights: str | None = None) -> StepEvaluation:
    """Evaluate checkpoint ``step`` of ``run_dir`` on up to ``limit`` images of ``split``.

    Args:
        data_root: the dataset folder, when the run's own ``data.root`` is elsewhere.
        thumb_size: longest side of the per-image thumbnails (0: none).
        save_dir: write each A→B output as ``<name>.png`` here, at the input's size.
        inception_weights: a local Inception-v3 file for FID/KID (default: the run's
            ``logging.inception_weights``).

    Raises:
        EvaluationError: no such run, checkpoint, dataset or split; a foreign or
            damaged checkpoint; an unusable device.
        EvaluationCancelled: ``cancel()`` returned True.
    """
    nets = load_eval_nets(run_dir, step, device=device)
    images = eval_set(nets.config, split, limit, root=data_root)
    if not images.items:
        raise EvaluationError(f"The {split} split of {images.root} has no images")
    saver = _saver(Path(save_dir)) if save_dir is not None else None
    return evaluate_set(nets, images, progress=progress, cancel=cancel,
                        thumb_size=thumb_size, on_generated=saver,
                        inception_weights=inception_weights)


def evaluate_generator_file(path: Path, data_root: Path, split: str = "val",
                            limit: int | None = None, *, device: str = "auto",
                            progress: Progress | None = None, cancel: Cancel | None = None,
                            thumb_size: int = 128, save_dir: Path | None = None,
                            inception_weights: str | None = None) -> StepEvaluation:
    """Evaluate a loose generator file (a reference ``.pth``, ``.safetensors`` or Nectar
    ``.onnx``) on the paired images of ``data_root``'s ``split``.

    Such a file carries no run config and no discriminator, so the dataset is named by
    the caller and only paired data can be measured (L1, PSNR, SSIM against the
    targets). The result's step is 0: the file does not say how long it trained.

    Raises:
        EvaluationError: the file or the dataset cannot be used; the message says why.
        EvaluationCancelled: ``cancel()`` returned True.
    """
    try:
        translator = open_translator(Path(path), device=device)
    except TranslateError as exc:
        raise EvaluationError(str(exc)) from None
    info = translator.info
    if "AtoB" not in info.directions:
        raise EvaluationError(f"{Path(path).name} has no A→B generator to evaluate")
    config = parse_config({"model": {"kind": "pix2pix", "input_nc": info.input_nc,
                                     "output_nc": info.output_nc},
                           "data": {"root": str(data_root)}})
    images = eval_set(config, split, limit, measured="a generator file")
    if not images.items:
        raise EvaluationError(f"The {split} split of {images.root} has no images")
    nets = EvalNets(config=config, generators={}, discriminators={},
                    device=torch.device("cpu"), step=0)  # no D: the device goes unused
    saver = _saver(Path(save_dir)) if save_dir is not None else None
    return evaluate_set(nets, images, progress=progress, cancel=cancel,
                        thumb_size=thumb_size, on_generated=saver, translator=translator,
                        inception_weights=inception_weights)


def _saver(folder: Path) -> OnGenerated:
    folder.mkdir(parents=True, exist_ok=True)

    def save(item: EvalItem, image: np.ndarray) -> None:
        target = folder / f"{item.name}.png"
        tmp = folder / f".tmp-{os.getpid()}-{target.name}"
        try:
            Image.fromarray(image[:, :, 0] if image.shape[2] == 1 else image).save(tmp, "PNG")
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    return save
