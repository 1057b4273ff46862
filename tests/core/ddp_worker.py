"""Test-only torchrun entry: runs ``nectar`` (``cli.main``) on this rank, then dumps its state.

The real command line runs unchanged; two thin wrappers only record what it did. After
the run each rank writes into DUMP_DIR:

- ``rank<r>.safetensors``: every network's parameters, keyed ``<net>.<parameter>``;
- ``rank<r>.losses.json``: one entry per loss flush with this rank's own averages
  (``local``) and what the session reported, averaged over all ranks (``reduced``).

With ``NECTAR_TEST_FAKE_CUDA_GPUS=N`` in the environment every rank believes the machine
has N CUDA GPUs (and nothing more: no kernel ever runs on them), so the check that
refuses more processes than GPUs is tested under a real torchrun on any machine.

Usage: python -m torch.distributed.run … tests/core/ddp_worker.py DUMP_DIR train …
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from nectar_gui import cli
from nectar_gui.core.training import schedule, session
from nectar_gui.core.training.control import TrainingControl
from nectar_gui.core.training.reports import Report


def main() -> int:
    dump, rank = Path(sys.argv[1]), int(os.environ["RANK"])
    flushes: list[dict[str, dict[str, float]]] = []
    take = schedule.LossMeter.take_values
    run = session.TrainingSession.run

    def recording_take(self: schedule.LossMeter, reduce: bool = False) -> schedule.MeterValues:
        local = ({} if self._sum is None
                 else dict(zip(self._names, (self._sum / self._count).tolist(), strict=True)))
        reduced = take(self, reduce)
        if reduced.losses:
            flushes.append({"local": local, "reduced": reduced.losses})
        return reduced

    def run_and_dump(self: session.TrainingSession, control: TrainingControl
                     ) -> Iterator[Report]:
        yield from run(self, control)
        if self.model is not None:
            params = {f"{name}.{key}": p.detach().cpu().contiguous()
                      for name, net in self.model.nets.items()
                      for key, p in net.named_parameters()}
            save_file(params, str(dump / f"rank{rank}.safetensors"))
        (dump / f"rank{rank}.losses.json").write_text(json.dumps(flushes))

    patches: list[tuple[Any, str, Any]] = [(schedule.LossMeter, "take_values", recording_take),
                                           (session.TrainingSession, "run", run_and_dump)]
    fake_gpus = os.environ.get("NECTAR_TEST_FAKE_CUDA_GPUS")
    if fake_gpus is not None:
        patches += [(torch.cuda, "is_available", lambda: True),
                    (torch.cuda, "device_count", lambda: int(fake_gpus))]
    for owner, name, value in patches:
        setattr(owner, name, value)
    return cli.main(sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
