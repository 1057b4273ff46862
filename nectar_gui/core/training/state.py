"""Step counters and the glue between a trainer's state and a checkpoint on disk."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nectar_gui import __version__
from nectar_gui.core.checkpoints import save_checkpoint
from nectar_gui.core.config import NectarConfig
from nectar_gui.core.training.gan_model import GanModel


@dataclass
class Counters:
    """Where a run is: global step, epoch, and steps taken within the epoch."""

    step: int = 0
    epoch: int = 0
    epoch_step: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Counters:
        return cls(step=int(data["step"]), epoch=int(data["epoch"]),
                   epoch_step=int(data["epoch_step"]))


def checkpoint_meta(config: NectarConfig, counters: Counters) -> dict[str, Any]:
    """What a checkpoint says about itself: enough to rebuild the networks without the run."""
    return {"step": counters.step, "epoch": counters.epoch, "kind": config.model.kind,
            "config": config.model_dump(mode="json"), "nectar_version": __version__,
            "created": time.time()}


def save_training_checkpoint(folder: Path, *, model: GanModel, counters: Counters,
                             rng: dict[str, Any], elapsed: float, meta: dict[str, Any],
                             keep: int) -> Path:
    """Write weights + everything resume needs (optimizers, pools, RNG, counters)."""
    state = {"model": model.state_dict(), "rng": rng, "counters": counters.to_dict(),
             "elapsed": elapsed}
    return save_checkpoint(folder, counters.step, weights=model.weights(), state=state,
                           meta=meta, keep=keep)
