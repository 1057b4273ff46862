"""Tiny datasets and configs shared by the engine tests (CPU, 32 px, ngf 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.data.demo import write_demo_dataset
from nectar_gui.core.presets import load_preset

TINY = {
    "data.load_size": 36, "data.crop_size": 32, "data.num_workers": 0,
    "model.ngf": 8, "model.ndf": 8,
    "optim.n_epochs": 1, "optim.n_epochs_decay": 1,
    "runtime.threads": 1, "logging.metrics_interval_s": 0.0,
}


@pytest.fixture(scope="session")
def paired_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_dataset(tmp_path_factory.mktemp("paired") / "d", "paired",
                              n_train=6, n_test=2, size=32)


@pytest.fixture(scope="session")
def unpaired_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_demo_dataset(tmp_path_factory.mktemp("unpaired") / "d", "unpaired",
                              n_train=6, n_test=2, size=32)


def tiny_config(kind: str, data: Path, **overrides: object) -> NectarConfig:
    """A seconds-fast config of the given kind ('pix2pix' or 'cyclegan')."""
    base = load_preset(kind)
    extra: dict[str, object] = {**TINY, "data.root": str(data)}
    if kind == "pix2pix":
        extra["model.unet_downs"] = 5
    else:
        extra.update({"model.resnet_blocks": 2, "loss.pool_size": 3})
    extra.update(overrides)
    return base.with_overrides(extra)
