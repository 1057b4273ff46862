"""Training loader throughput: images/s per epoch against what a step consumes.

Usage::

    .venv/bin/python bench/data.py                      # synthetic JPEGs, 256², batch 16
    .venv/bin/python bench/data.py --data DIR --workers 0,4,8 --epochs 3
    .venv/bin/python bench/data.py --step-ms 12         # compare with a 12 ms step

The loader is the one training uses (:class:`nectar_gui.core.training.loader.TrainLoader`:
one DataLoader for the run, persistent workers, pinned memory when ``--pin``), fed by the
dataset built from the same config. Each row drains whole epochs and prints images/s of
the first epoch (cold: every file decoded) and of the later ones (decoded images served
from the cache when ``--cache-mb`` holds them). ``--step-ms`` gives the training step's
time; ``vs step`` is then loader images/s ÷ images the step consumes per second (> 1:
the loader keeps up).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from gpu import synthetic_dataset

from nectar_gui.core.config import DataSection
from nectar_gui.core.data.datasets import EpochSampler, build_dataset
from nectar_gui.core.training.loader import TrainLoader


def drain(data: Path, size: int, batch: int, workers: int, cache_mb: int, epochs: int,
          pin: bool, device_preprocess: bool = False) -> list[float]:
    """Images/s of each epoch through a fresh TrainLoader."""
    cfg = DataSection(root=str(data), load_size=size + size // 8, crop_size=size,
                      num_workers=workers, cache_mb=cache_mb,
                      device_preprocess=device_preprocess)
    dataset = build_dataset(cfg, input_nc=3, output_nc=3)
    device = torch.device("cuda" if pin else "cpu")
    loader = TrainLoader(dataset, cfg, EpochSampler(len(dataset), seed=0, epoch=0),
                         batch_size=batch, device=device)
    rates = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        n = sum(len(b["A"]) for b in loader.epoch(epoch))  # a tensor, or a list of images
        rates.append(n / (time.perf_counter() - t0))
    return rates


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", help="an aligned dataset folder (default: synthetic JPEGs)")
    p.add_argument("--images", type=int, default=256, help="synthetic images")
    p.add_argument("--size", type=int, default=256)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--workers", default="0,2,4")
    p.add_argument("--cache-mb", default="0,2048", help="cache sizes to compare")
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--pin", action="store_true", help="pinned memory (needs CUDA)")
    p.add_argument("--step-ms", type=float, help="training step time to compare with")
    p.add_argument("--device-preprocess", action="store_true",
                   help="the loader only decodes (data.device_preprocess; the resize and "
                        "crop then run on the training device, not measured here)")
    p.add_argument("--quick", action="store_true", help="small sizes (a smoke run)")
    args = p.parse_args(argv)
    if args.quick:
        args.images, args.size, args.batch, args.workers, args.epochs = 16, 64, 4, "0,1", 2
        args.cache_mb = "0"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.data) if args.data else synthetic_dataset(Path(tmp), args.images,
                                                                   args.size)
        print(f"loader bench: {data} · {args.size}² crops · batch {args.batch}")
        print(f"{'workers':>7} {'cache MiB':>9} {'epoch 1 img/s':>13} {'later img/s':>11} "
              f"{'vs step':>8}")
        for workers in map(int, args.workers.split(",")):
            for cache in map(int, args.cache_mb.split(",")):
                rates = drain(data, args.size, args.batch, workers, cache, args.epochs,
                              args.pin, args.device_preprocess)
                later = statistics.median(rates[1:]) if len(rates) > 1 else rates[0]
                need = args.batch * 1000 / args.step_ms if args.step_ms else None
                ratio = f"{later / need:8.2f}" if need else f"{'—':>8}"
                print(f"{workers:7d} {cache:9d} {rates[0]:13.1f} {later:11.1f} {ratio}",
                      flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
