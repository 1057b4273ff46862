"""Seconds-fast configs for real training runs in tests (CPU, 32 px, ngf 8)."""

from __future__ import annotations

from pathlib import Path

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.presets import load_preset

TINY = {
    "data.load_size": 36, "data.crop_size": 32, "data.num_workers": 0,
    "model.ngf": 8, "model.ndf": 8,
    "optim.n_epochs": 1, "optim.n_epochs_decay": 1,
    "runtime.threads": 1, "logging.metrics_interval_s": 0.0,
    # The CPU even where a GPU is: tests compare runs bit for bit, which CUDA does not promise.
    "runtime.device": "cpu",
}


def tiny_config(kind: str, data: Path, **overrides: object) -> NectarConfig:
    """A tiny config of the given kind ('pix2pix' or 'cyclegan') on ``data``."""
    base = load_preset(kind)
    extra: dict[str, object] = {**TINY, "data.root": str(data)}
    if kind == "pix2pix":
        extra["model.unet_downs"] = 5
    else:
        extra.update({"model.resnet_blocks": 2, "loss.pool_size": 3})
    extra.update(overrides)
    return base.with_overrides(extra)
