"""Pick the trainer for a config, and wrap its networks for distributed training."""

from __future__ import annotations

import inspect
from typing import Any

import torch
from torch import nn

from nectar_gui.core.config import NectarConfig
from nectar_gui.core.runtime import Runtime
from nectar_gui.core.training.cyclegan import CycleGanModel
from nectar_gui.core.training.gan_model import GanModel, Wrapper
from nectar_gui.core.training.pix2pix import Pix2PixModel

_TRAINERS: dict[str, type[GanModel]] = {"pix2pix": Pix2PixModel, "cyclegan": CycleGanModel}


def create_model(config: NectarConfig, runtime: Runtime, wrap: Wrapper | None = None) -> GanModel:
    """Build the trainer named by ``config.model.kind`` on the runtime's device."""
    try:
        trainer = _TRAINERS[config.model.kind]
    except KeyError:
        raise ValueError(f"Unknown model kind {config.model.kind!r}. Choose one of: "
                         f"{', '.join(_TRAINERS)}.") from None
    return trainer(config, runtime, wrap)


def wrapper_for(runtime: Runtime) -> Wrapper | None:
    """DDP (one wrapper per network) under torchrun, torch.compile when asked, else None."""
    wraps: list[Wrapper] = []
    if runtime.cfg.compile:
        wraps.append(lambda m: torch.compile(m))  # type: ignore[arg-type,return-value]
    if runtime.dist.enabled:
        wraps.append(lambda m: _ddp(m, runtime))
    if not wraps:
        return None

    def wrap(module: nn.Module) -> nn.Module:
        for w in wraps:
            module = w(module)
        return module

    return wrap


def _ddp(module: nn.Module, runtime: Runtime) -> nn.Module:
    from torch.nn.parallel import DistributedDataParallel

    device_ids = [runtime.device.index] if runtime.device.type == "cuda" else None
    # Buffers are not synced at each forward: batch-norm statistics stay per rank instead
    # of being overwritten by rank 0's (which also breaks repeated forwards). Parameters
    # are broadcast from rank 0 here and kept equal by the gradient all-reduce.
    # Newer torch names this forward_sync_buffers and deprecates broadcast_buffers.
    new_name = "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    no_buffer_sync: dict[str, Any] = ({"forward_sync_buffers": False} if new_name
                                      else {"broadcast_buffers": False})
    return DistributedDataParallel(module, device_ids=device_ids,
                                   find_unused_parameters=False, **no_buffer_sync)
