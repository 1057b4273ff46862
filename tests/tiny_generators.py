"""Tiny real generators on disk for the Translate tests: a reference-layout ``.pth`` and
a CycleGAN run with one checkpoint, built with the real networks (seeded, CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from PIL import Image

from tests.tiny import tiny_config


def reference_pth(path: Path, *, ngf: int = 8, n_blocks: int = 2, seed: int = 0) -> Path:
    """Save a ResNet generator's state dict the way the reference code does."""
    import torch

    from nectar_gui.core.models import build_generator

    torch.manual_seed(seed)
    net = build_generator(arch="resnet", input_nc=3, output_nc=3, ngf=ngf, norm="instance",
                          dropout=False, n_blocks=n_blocks)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(net.state_dict(), path)
    return path


def cyclegan_run(run_dir: Path, data: Path, *, steps: tuple[int, ...] = (4, 8)) -> Path:
    """A run folder holding CycleGAN checkpoints (G_A, G_B, D_A, D_B) at ``steps``."""
    import torch

    from nectar_gui.core.checkpoints import save_checkpoint
    from nectar_gui.core.models import build_discriminator, build_generator

    config = tiny_config("cyclegan", data)
    m = config.model
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(config.to_json(), encoding="utf-8")
    for step in steps:
        torch.manual_seed(step)
        weights = {}
        for name in ("G_A", "G_B"):
            net = build_generator(arch=m.generator, input_nc=3, output_nc=3, ngf=m.ngf,
                                  norm=m.norm, dropout=m.dropout, n_blocks=m.resnet_blocks)
            weights[name] = net.state_dict()
        for name in ("D_A", "D_B"):
            weights[name] = build_discriminator(arch=m.discriminator, input_nc=3, ndf=m.ndf,
                                                norm=m.norm, n_layers=m.d_layers
                                                ).state_dict()
        save_checkpoint(run_dir / "checkpoints", step, weights=weights, state={},
                        meta={"config": json.loads(config.to_json())}, keep=10)
    return run_dir


def write_photo(path: Path, width: int, height: int, *, seed: int = 0,
                mode: str = "RGB") -> Path:
    """A smooth random picture (gradients plus noise), saved in ``mode``."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    base = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1),
                     (x + y) * 127 // max(width + height - 2, 1)], axis=2)
    pixels = np.clip(base + rng.integers(-20, 20, base.shape), 0, 255).astype(np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).convert(mode).save(path)
    return path
