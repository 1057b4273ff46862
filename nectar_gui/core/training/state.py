"""Step counters and the glue between a trainer's state and a checkpoint on disk."""

from __future__ import annotations

import textwrap
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


# Model settings that do not change the networks' weights (only how they start).
_WEIGHT_NEUTRAL = frozenset({"init_gain"})


def resume_mismatch_message(path: Path, meta: dict[str, Any], config: NectarConfig,
                            exc: Exception) -> str:
    """Why a checkpoint's weights do not fit ``config``'s networks, and what to do.

    Names the model settings that differ from those saved in the checkpoint when it has
    them; otherwise a shortened form of the loader's complaint.
    """
    saved_config = meta.get("config")
    saved = saved_config.get("model") if isinstance(saved_config, dict) else None
    saved = saved if isinstance(saved, dict) else {}
    now = config.model.model_dump(mode="json")
    changed = sorted(k for k in now
                     if k in saved and k not in _WEIGHT_NEUTRAL and saved[k] != now[k])
    if changed:
        was = ", ".join(f"model.{k} = {saved[k]!r}" for k in changed)
        asked = ", ".join(f"model.{k} = {now[k]!r}" for k in changed)
        return (f"Cannot resume from {path}: the run was trained with {was}, but the config "
                f"now asks for {asked}. A run can only continue with the networks it was "
                f"trained with: keep those settings, or start a new run")
    detail = textwrap.shorten(str(exc), width=200, placeholder=" …")
    return (f"Cannot resume from {path}: {detail}. The run's config must build the same "
            f"networks it was trained with")
