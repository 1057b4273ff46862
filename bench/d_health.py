"""What the D-health signals cost: training steps with and without them, side by side.

Usage::

    .venv/bin/python bench/d_health.py                     # pix2pix and CycleGAN at 256²
    .venv/bin/python bench/d_health.py --models pix2pix --steps 9
    .venv/bin/python bench/d_health.py --quick             # smoke run, a few seconds

One model per case, built with ``bench/train_step.py``'s reference settings (fp32,
batch 1, random tensors, no data loading). Steps alternate on/off (the order flips every
round) by switching ``core.training.d_health.ENABLED``, so noise from other work on the
machine hits both alike; ``on/off`` is the ratio of the median step times (the target is
≤ 1.02) and ``min on/off`` that of the fastest steps (less hurt by other work). Because
a 2 % difference is within a busy machine's noise, the signals are also timed on their
own, on the gradients and D outputs of a real step (``signals ms``, and
``signals/step`` as a share of the median step without them).
Tests never assert on the printed times.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from train_step import bench_overrides  # a sibling script, not a package

from nectar_gui.core.presets import load_preset
from nectar_gui.core.runtime import Runtime
from nectar_gui.core.training import d_health
from nectar_gui.core.training.gan_model import GanModel
from nectar_gui.core.training.models import create_model


def build(model: str, size: int, tiny: bool) -> tuple[GanModel, dict[str, torch.Tensor]]:
    cfg = load_preset(model).with_overrides(bench_overrides(model, size, tiny=tiny))
    runtime = Runtime(cfg.runtime)
    torch.manual_seed(cfg.runtime.seed)
    gen = torch.Generator().manual_seed(1)
    batch = {k: torch.rand(1, 3, size, size, generator=gen) * 2 - 1 for k in ("A", "B")}
    return create_model(cfg, runtime), batch


def timed_step(gan: GanModel, batch: dict[str, torch.Tensor], enabled: bool) -> float:
    d_health.ENABLED = enabled
    t0 = time.perf_counter()
    losses = gan.train_step(batch)
    float(sum(losses.values()))  # the device has finished (a no-op on the CPU)
    return time.perf_counter() - t0


def signals_alone(gan: GanModel, batch: dict[str, torch.Tensor], repeats: int = 5) -> float:
    """Seconds for one step's signals, on a real step's gradients and D-sized score maps."""
    d_health.ENABLED = True
    gan.train_step(batch)  # leaves G's and D's gradients in place
    d = gan.nets[gan.discriminator_names[0]]
    channels = next(d.parameters()).shape[1]
    size = batch["A"].shape[-1]
    with torch.no_grad():
        pred = d(torch.zeros(1, channels, size, size))  # (1, 1, h, w), e.g. 30×30 at 256²
    suffixes = [""] if len(gan.discriminator_names) == 1 else ["_A", "_B"]
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for group in ("G", "D"):
            gan._record_grad_norms(group)
        for suffix in suffixes:
            gan._record_patch_signals(pred, -pred, suffix)
        [float(v) for v in gan.d_health.values()]  # every value computed
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def run_case(model: str, size: int, args: argparse.Namespace) -> dict[str, Any]:
    gan, batch = build(model, size, args.quick)
    for _ in range(args.warmup):
        timed_step(gan, batch, True)
    times: dict[bool, list[float]] = {True: [], False: []}
    for i in range(args.steps):
        for enabled in ((True, False) if i % 2 == 0 else (False, True)):
            times[enabled].append(timed_step(gan, batch, enabled))
    on, off = statistics.median(times[True]), statistics.median(times[False])
    alone = signals_alone(gan, batch)
    d_health.ENABLED = True
    return {"model": model, "size": size, "on": on, "off": off, "alone": alone,
            "min_ratio": min(times[True]) / min(times[False])}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument("--models", default="pix2pix,cyclegan", help="comma-separated models")
    p.add_argument("--sizes", default="256", help="comma-separated square sizes")
    p.add_argument("--steps", type=int, default=5, help="timed rounds (one step on + one off)")
    p.add_argument("--warmup", type=int, default=1, help="untimed steps first")
    p.add_argument("--quick", action="store_true", help="tiny networks at 64², 2 rounds")
    args = p.parse_args(argv)
    if args.quick:
        args.sizes, args.steps = "64", 2
    print(f"{'model':9} {'size':>5} {'on s':>8} {'off s':>8} {'on/off':>7} "
          f"{'min on/off':>11} {'signals ms':>11} {'signals/step':>13}")
    for model in args.models.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            r = run_case(model, size, args)
            print(f"{r['model']:9} {r['size']:>5} {r['on']:8.3f} {r['off']:8.3f} "
                  f"{r['on'] / r['off']:7.3f} {r['min_ratio']:11.3f} {1000 * r['alone']:11.2f} "
                  f"{100 * r['alone'] / r['off']:12.2f}%", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
